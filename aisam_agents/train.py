"""``aisam train``: train any SB3 / sb3-contrib / aisam algorithm, optionally with a bonus.

With no arguments it trains PPO with a satiation bonus on a small combination-lock
transition table (about a minute on a laptop CPU) and prints a short summary. Each run
gets its own folder (``--out``, by default a fresh ``runs/train/<env>-<algo>-<time>``)
holding its config (``config.json``), the final model (``model.zip``), evaluations on
the env *without* the bonus (``eval/``, ``best/``), TensorBoard logs (``tb/``),
exploration metrics (``metrics.csv``) and ``summary.json``.

    aisam train
    aisam train --algo a2c --bonus entropy --env-kwargs n_states=30 kind=clusters
    aisam train --env CartPole-v1 --bonus prediction-error --steps 100000
"""

from __future__ import annotations

import argparse
import difflib
import inspect
import json
import logging
import re
import shutil
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from aisam_agents.algorithms import (
    accepted_settings,
    choose_policy,
    resolve_algorithm,
    rollout_size,
)
from aisam_agents.callbacks import ExplorationMetrics
from aisam_agents.checkpointing import FOLDER, Checkpointer
from aisam_agents.cli_options import add_options, from_args, option, validate
from aisam_agents.presets import (
    DEFAULT_ENV,
    PRESETS,
    Preset,
    bonus_settings,
    find_preset,
    make_env_fn,
    presets_help,
    register_ids,
)
from aisam_agents.resume import can_continue, checkpointer, load_model, restore_run, resume_state
from aisam_envs.errors import InvalidConfigError, check_device_name, require_extra, resolve_device
from aisam_wrappers import BONUSES, make_bonus

require_extra("stable_baselines3", "agents")
from stable_baselines3.common.callbacks import CallbackList, EvalCallback  # noqa: E402
from stable_baselines3.common.utils import configure_logger  # noqa: E402

log = logging.getLogger(__name__)
#: used when ``--algo-kwargs`` is not given: short rollouts suit small worlds
DEFAULT_ALGO_KWARGS: dict[str, dict[str, Any]] = {
    "ppo": {"n_steps": 128, "batch_size": 256, "ent_coef": 0.01}
}
#: what a run writes into its folder; a folder holding any of them holds a run
RUN_FILES = (
    "config.json",
    "summary.json",
    "model.zip",
    "metrics.csv",
    "tb",
    "eval",
    "best",
    FOLDER,
)


def _pairs(kwargs: dict[str, Any]) -> str:
    """``{"a": 1}`` -> ``"a=1"``, as ``--env-kwargs`` takes them."""
    return " ".join(f"{k}={v}" for k, v in kwargs.items())


def _check_device(name: str, value: str) -> None:
    """:func:`check_device_name`, naming the option (``--device``) or field."""
    try:
        check_device_name(value)
    except InvalidConfigError as exc:
        raise InvalidConfigError(f"{name}: {exc}") from exc


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run needs; the defaults are ``aisam train``'s built-in job.

    Each field is one ``aisam train`` option (:mod:`aisam_agents.cli_options`). A field
    left ``None`` is filled per run by :meth:`resolved` and :func:`train`: env kwargs and
    vector env from the env's preset (:data:`aisam_agents.presets.PRESETS`), algorithm
    kwargs from :data:`DEFAULT_ALGO_KWARGS`, ``eval_freq`` for the preset's number of
    evaluations (10; none for Atari), ``out`` a fresh folder.

    Attributes:
        env_id: registered gymnasium id.
        env_kwargs: keyword arguments of ``gym.make``, as k=v pairs or one JSON object.
        algo: algorithm: auto (the preset's: ppo, maskableppo for TextWorld), a name
            (SB3, sb3-contrib or aisam, case-insensitive) or ``module:Class`` of any
            class with SB3's shape.
        algo_kwargs: keyword arguments of the algorithm, e.g. n_steps=256; without them,
            the preset's for the algorithm, else DEFAULT_ALGO_KWARGS's.
        preset: training setup of the env's family, from the presets table (auto: by
            the env id; none: the env as registered).
        policy: policy alias, or auto (the preset's: MlpPolicy, CnnPolicy for Atari,
            their Lstm versions for recurrent algorithms, MultiInputPolicy for Dict
            observations).
        bonus: intrinsic reward added to the env's.
        bonus_coef: intrinsic-reward coefficient (an algorithm with two value heads, such as
            intrinsic_ppo, takes the intrinsic reward apart and weighs it itself: leave it
            at 1 there).
        bonus_kwargs: keyword arguments of the bonus (e.g. curve=exponential).
        total_steps: environment steps to train for, rounded up to whole rollouts.
        n_envs: parallel envs.
        vec_env: dummy (all envs in this process), subproc (one process per env) or
            native (the env's own vector env, where it has one).
        seed: seeds envs, algorithm and bonus.
        eval_freq: evaluate every this many env steps, on the env without the bonus
            (0: never).
        eval_episodes: episodes per evaluation.
        checkpoint_every: save a checkpoint (``OUT/checkpoints``, the last two kept) every
            this many env steps, rounded up to whole rollouts (0: never).
        resume: continue the run in this folder from its latest good checkpoint, with
            its settings (options given with it must agree with them).
        out: the run's folder.
        overwrite: replace the run already in the out folder.
        device: torch device.
        progress_bar: show the progress bar.
    """

    env_id: str = option(DEFAULT_ENV, flag="--env")
    env_kwargs: dict[str, Any] | None = option(None, default_text="the preset's")
    preset: str = option("auto", choices=("auto", "none", *PRESETS))
    algo: str = option("auto")
    algo_kwargs: dict[str, Any] | None = option(
        None,
        default_text=f"{_pairs(DEFAULT_ALGO_KWARGS['ppo'])} for ppo; for intrinsic_ppo on "
        "Atari the RND paper's PPO settings; none for others",
    )
    policy: str = option("auto")
    bonus: str = option("satiation", choices=tuple(BONUSES))
    bonus_coef: float | None = option(None, default_text="0.1; 1 for intrinsic_ppo")
    bonus_kwargs: dict[str, Any] = option(default_factory=dict)
    total_steps: int = option(30_000, flag="--steps", low=1)
    n_envs: int = option(8, low=1)
    vec_env: str | None = option(
        None, choices=("dummy", "subproc", "native"), default_text="the preset's"
    )
    seed: int = option(0, low=0)
    eval_freq: int | None = option(
        None, low=0, default_text="the preset's: 10 evaluations per run, none for Atari"
    )
    eval_episodes: int | None = option(None, low=1, default_text="the preset's: 5, 1 for Atari")
    checkpoint_every: int | None = option(
        None, low=0, default_text="10 checkpoints per run, rounded to rollouts"
    )
    resume: str | None = option(None, metavar="OUT")
    out: str | None = option(None, default_text="runs/train/<env>-<algo>-<time>")
    overwrite: bool = option(False)
    device: str = option("auto", check=_check_device)
    progress_bar: bool = option(True, flag="--progress")

    def __post_init__(self) -> None:
        validate(self)

    def resolved(self) -> TrainConfig:
        """This config with the presets and a fresh run folder filled in.

        ``eval_freq`` and an ``auto`` policy stay: they depend on the algorithm, which
        :func:`train` builds.
        """
        preset_name, preset = find_preset(self.preset, self.env_id)
        env_kwargs = self.env_kwargs
        if env_kwargs is None:
            env_kwargs = dict(preset.env_kwargs)
        algo = preset.algo if self.algo == "auto" else self.algo
        algo_kwargs = self.algo_kwargs
        if algo_kwargs is None:
            family = preset.algo_kwargs.get(algo.lower())
            default = DEFAULT_ALGO_KWARGS.get(algo.lower(), {})
            algo_kwargs = family(self.n_envs) if family else dict(default)
        out = self.out if self.out is not None else fresh_run_folder(self.env_id, algo)
        return replace(
            self,
            preset=preset_name,
            env_kwargs=env_kwargs,
            algo=algo,
            algo_kwargs=algo_kwargs,
            vec_env=self.vec_env or preset.vec_env,
            eval_episodes=self.eval_episodes or preset.eval_episodes,
            bonus_kwargs=bonus_settings(preset, self.bonus, self.bonus_kwargs),
            out=out,
        )


@dataclass(frozen=True)
class TrainResult:
    """What a run produced (also in its folder's ``summary.json``).

    Attributes:
        config: the run's config, every preset and default filled in.
        model_path: the saved final model, in the run's folder.
        steps: env steps trained: ``total_steps`` rounded up to whole rollouts.
        steps_asked: ``total_steps``.
        seconds: wall-clock training time.
        eval_reward: mean extrinsic return of the last evaluation (None: none ran).
        eval_note: why no evaluation ran ("" when one did).
        states_discovered: distinct ``info["state"]`` values seen in training (0 when
            the env reports none).
        episodes: training episodes finished.
        episodes_solved: training episodes with a positive extrinsic return.
        first_solve_step: env steps before the first solved episode (-1: none).
        metrics: the run's :meth:`ExplorationMetrics.summary`.
    """

    config: TrainConfig
    model_path: Path
    steps: int
    steps_asked: int
    seconds: float
    eval_reward: float | None
    eval_note: str
    states_discovered: int
    episodes: int
    episodes_solved: int
    first_solve_step: int
    metrics: dict[str, float]


def fresh_run_folder(env_id: str, algo: str) -> str:
    """``runs/train/<env>-<algo>-<YYYYmmdd-HHMMSS>``, with ``-2``, ``-3`` ... if taken."""
    name = re.sub(r"[^\w.-]+", "_", f"{env_id}-{algo}-{time.strftime('%Y%m%d-%H%M%S')}")
    folder = Path("runs/train") / name
    n = 1
    while folder.exists():
        n += 1
        folder = Path("runs/train") / f"{name}-{n}"
    return str(folder)


def prepare_run_folder(out: Path, overwrite: bool) -> None:
    """Makes ``out`` ready for one run: refuses one holding another run unless ``overwrite``.

    With ``overwrite`` the previous run's files (:data:`RUN_FILES`) are removed first, so
    no evaluation, best model or TensorBoard log of it stays mixed with the new run's.
    """
    if out.exists() and not out.is_dir():
        raise InvalidConfigError(f"--out {out} exists and is not a folder")
    found = [name for name in RUN_FILES if (out / name).exists()]
    if found and not overwrite:
        raise InvalidConfigError(
            f"--out {out} holds another run ({', '.join(found)}); pass --overwrite "
            "(overwrite=True) to replace it, or no --out for a fresh folder"
        )
    for name in found:
        path = out / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    out.mkdir(parents=True, exist_ok=True)


def built(what: str, factory: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``factory(*args, **kwargs)``, reporting a rejected setting as bad ``what``.

    SB3 checks its settings with ``assert`` or ``ValueError``, type errors surface as
    ``TypeError`` and ours as :class:`InvalidConfigError`; all name the setting in their
    message, which is passed on after the option it came from.
    """
    try:
        return factory(*args, **kwargs)
    except (TypeError, AssertionError, ValueError) as exc:
        raise InvalidConfigError(f"bad {what}: {exc}") from exc


def make_vec_env(config: TrainConfig, n_envs: int, seed: int, vec_env: str) -> Any:
    """The SB3 ``VecEnv`` of ``n_envs`` envs of a resolved ``config``, set up by its preset.

    Each env is ``Monitor``-wrapped inside any preprocessing (true scores in the logs);
    the preset may add Atari preprocessing and a frame stack.
    """
    import gymnasium as gym
    from stable_baselines3.common.vec_env import DummyVecEnv, VecFrameStack

    from aisam_agents.subproc import CheckedSubprocVecEnv

    register_ids(config.env_id)
    if config.env_id not in gym.registry:
        close = difflib.get_close_matches(config.env_id, gym.registry, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise InvalidConfigError(
            f"unknown --env {config.env_id!r}; {hint}see `aisam envs` for aisam's ids"
        )
    _, preset = find_preset(config.preset, config.env_id)
    if vec_env == "native":
        return make_native_vec_env(config, preset, n_envs, seed)
    make = make_env_fn(config.env_id, config.env_kwargs or {}, preset.atari)
    if vec_env == "subproc" and n_envs > 1:
        built("--env-kwargs", make).close()  # a bad setting is found here, not in a worker
        venv = CheckedSubprocVecEnv([make] * n_envs)  # a dead worker: an error naming it
    else:
        venv = built("--env-kwargs", DummyVecEnv, [make] * n_envs)
    venv.seed(seed)
    return VecFrameStack(venv, preset.frame_stack) if preset.frame_stack else venv


def make_native_vec_env(config: TrainConfig, preset: Preset, n_envs: int, seed: int) -> Any:
    """The env's own vector env (``vector_entry_point``) as an SB3 ``VecEnv``.

    The vector env preprocesses for itself (the Montezuma one as ale-py's does), so no
    ``AtariWrapper`` or frame stack is added; the adapter logs episodes as ``Monitor``
    does, with the true score where the env reports ``info["raw_reward"]``.
    """
    import gymnasium as gym

    from aisam_agents.vec_env import GymnasiumToSB3VecEnv

    if gym.spec(config.env_id).vector_entry_point is None:
        raise InvalidConfigError(
            f"--vec-env native: {config.env_id} has no vector env of its own; "
            "choose --vec-env dummy or subproc"
        )
    if preset.atari and preset.vec_env != "native":
        raise InvalidConfigError(
            f"--vec-env native: the {config.preset} preset's score would be the clipped "
            "reward of ale-py's vector env; choose --vec-env dummy or subproc "
            "(aisam/Montezuma-Reduced-v0 steps natively by default)"
        )
    kwargs = {**preset.vector_kwargs, **(config.env_kwargs or {})}
    venv = built(
        "--env-kwargs", gym.make_vec, config.env_id, n_envs,
        vectorization_mode="vector_entry_point", **kwargs,
    )  # fmt: skip
    sb3_venv = GymnasiumToSB3VecEnv(venv)
    sb3_venv.seed(seed)
    return sb3_venv


def build_model(algo_cls: type, config: TrainConfig, venv: Any, tensorboard_log: Path) -> Any:
    """``algo_cls(config.policy, venv, seed=, device=, tensorboard_log=, **config.algo_kwargs)``.

    The three run settings go only to a constructor that takes them (a class of SB3's
    shape need not); the ones it does not take are noted in the log.
    """
    settings = {
        "seed": config.seed,
        "device": config.device,
        "tensorboard_log": str(tensorboard_log),
    }
    taken = accepted_settings(algo_cls, settings)
    if len(taken) < len(settings):
        skipped = ", ".join(f"{k}=" for k in settings if k not in taken)
        log.info("%s takes no %s: not passed", algo_cls.__name__, skipped)
    return built(
        f"settings for {config.algo} (--algo-kwargs, --policy or the env's spaces)",
        algo_cls,
        config.policy,
        venv,
        **taken,
        **config.algo_kwargs,
    )


def plan_steps(model: Any, total_steps: int, n_envs: int) -> int:
    """The env steps the run will take: ``total_steps`` rounded up to whole rollouts.

    SB3 checks the budget only between rollouts, so ``learn(total_steps)`` would stop at
    the same boundary without saying so; the rounding is noted in the log instead.
    """
    rollout = rollout_size(model, n_envs)
    if rollout is None:
        return total_steps
    size, why = rollout
    steps = -(-total_steps // size) * size
    if steps != total_steps:
        log.info("rounding %s steps up to %s: %s", f"{total_steps:,}", f"{steps:,}", why)
    return steps


def _evaluator(
    config: TrainConfig, model: Any, steps: int, out: Path
) -> tuple[EvalCallback | None, str]:
    """The evaluation callback of a resolved ``config`` with ``eval_freq`` set (None: none
    is due), and why there is none.

    An algorithm whose ``predict`` takes ``action_masks`` (MaskablePPO) is evaluated
    with the env's masks, as it trains.
    """
    if config.eval_freq == 0:
        return None, "--eval-freq 0"
    if config.eval_freq > steps:
        note = f"--eval-freq {config.eval_freq:,} is more than the run's {steps:,} steps"
        log.info("no evaluation: %s", note)
        return None, note
    eval_env = make_vec_env(
        config, 1, config.seed + 10_000, "native" if config.vec_env == "native" else "dummy"
    )
    evaluator_cls = EvalCallback
    if "action_masks" in inspect.signature(model.predict).parameters:
        evaluator_cls = require_extra(
            "sb3_contrib.common.maskable.callbacks", "agents"
        ).MaskableEvalCallback
    evaluator = evaluator_cls(
        eval_env,
        n_eval_episodes=config.eval_episodes,
        eval_freq=max(1, config.eval_freq // config.n_envs),
        log_path=str(out / "eval"),
        best_model_save_path=str(out / "best"),
        verbose=0,
    )
    return evaluator, ""


@dataclass
class Run:
    """One training run, built and ready to learn: what :func:`train` drives, and what a
    soak or a notebook can step in chunks (``run.learn(n)`` continues where it stopped).

    Attributes:
        config: the run's config, every preset and default filled in (``config.json``).
        out: the run's folder.
        venv: the training env, with the bonus.
        model: the algorithm.
        steps: env steps the run trains for: ``total_steps`` rounded up to whole rollouts.
        start_step: env steps already trained (a resumed run's checkpoint; 0 otherwise).
        metrics: the exploration metrics callback (``metrics.csv``).
        evaluator: the evaluation callback (None: no evaluation is due).
        eval_note: why no evaluation runs ("" when one does).
        checkpointer: the checkpoint callback (None: ``checkpoint_every`` 0, or an
            algorithm that cannot continue a run).
    """

    config: TrainConfig
    out: Path
    venv: Any
    model: Any
    steps: int
    start_step: int
    metrics: ExplorationMetrics
    evaluator: EvalCallback | None
    eval_note: str
    checkpointer: Checkpointer | None

    @property
    def callbacks(self) -> CallbackList:
        """The run's callbacks: metrics, evaluation and checkpoints."""
        found = [self.metrics, self.evaluator, self.checkpointer]
        return CallbackList([c for c in found if c is not None])

    def learn(self, steps: int, progress_bar: bool = False) -> None:
        """Trains ``steps`` more env steps with the run's callbacks, continuing the step
        count, episodes and logs of the previous call (or of the resumed run). Nothing when
        ``steps`` is 0 (a run checkpointed at its last step)."""
        if steps <= 0:
            return
        kwargs: dict[str, Any] = {}
        if can_continue(self.model):
            kwargs["reset_num_timesteps"] = False
        with warnings.catch_warnings():  # evaluating without the bonus is the point, not a slip
            warnings.filterwarnings("ignore", "Training and eval env are not of the same type")
            warnings.filterwarnings("ignore", "rich is experimental")  # tqdm's note on its bar
            self.model.learn(steps, callback=self.callbacks, progress_bar=progress_bar, **kwargs)

    def close(self) -> None:
        """Closes the envs (worker processes too) and the TensorBoard writer."""
        self.venv.close()
        if self.evaluator is not None:
            self.evaluator.eval_env.close()
        logger = getattr(self.model, "_logger", None)
        if logger is not None:
            logger.close()


def build_run(config: TrainConfig) -> Run:
    """Builds a run: its folder, envs, bonus, model, callbacks and TensorBoard logger.

    With ``config.resume`` the run in that folder is rebuilt from its ``config.json`` and
    its latest good checkpoint (:func:`resume_state`), ready to learn the remaining
    steps; otherwise the folder is prepared (:func:`prepare_run_folder`) and the run's
    ``config.json`` written.
    """
    checkpoint: dict[str, Any] | None = None
    if config.resume is not None:
        config, checkpoint = resume_state(config)
    else:
        config = config.resolved()
    out = Path(config.out or "")
    resolve_device(config.device)  # e.g. CUDA asked for where there is none: say so now
    if checkpoint is None:
        prepare_run_folder(out, config.overwrite)
    log.info("run folder: %s", out)
    algo_cls = resolve_algorithm(config.algo)
    split = getattr(algo_cls, "two_reward_streams", False)
    if split and config.bonus == "none":
        raise InvalidConfigError(
            f"--algo {config.algo} needs an intrinsic reward: choose a --bonus"
        )
    venv = make_vec_env(config, config.n_envs, config.seed, config.vec_env or "dummy")
    bonus_coef = config.bonus_coef if config.bonus_coef is not None else (1.0 if split else 0.1)
    config = replace(config, bonus_coef=bonus_coef)
    venv = built(
        "--bonus settings",
        make_bonus,
        config.bonus,
        venv,
        intrinsic_coef=bonus_coef,
        seed=config.seed,
        split=split,
        **config.bonus_kwargs,
    )
    preset = find_preset(config.preset, config.env_id)[1]
    policy = choose_policy(algo_cls, config.policy, venv.observation_space, preset.policies)
    config = replace(config, policy=policy)
    if checkpoint is None:
        model = build_model(algo_cls, config, venv, out / "tb")
    else:
        model = load_model(algo_cls, config, venv, checkpoint)
    steps = plan_steps(model, config.total_steps, config.n_envs)
    eval_note = ""
    if config.eval_freq is None:
        per_run = preset.evaluations
        config = replace(config, eval_freq=max(steps // per_run, 1) if per_run else 0)
        if not per_run:
            eval_note = f"the {config.preset} preset evaluates only when --eval-freq is given"
    if config.checkpoint_every is None:
        config = replace(config, checkpoint_every=_round_up(max(steps // 10, 1), model))
    if checkpoint is None:
        (out / "config.json").write_text(json.dumps(asdict(config), indent=1) + "\n")
    metrics = ExplorationMetrics(out / "metrics.csv", record_every=max(steps // 100, 1))
    evaluator, why_none = _evaluator(config, model, steps, out)
    if hasattr(model, "set_logger") and getattr(model, "tensorboard_log", None) is not None:
        # one logger for the run's learn calls (SB3 opens a new one per call otherwise);
        # a resumed run writes on in the same TensorBoard run
        name = inspect.signature(model.learn).parameters.get("tb_log_name")
        tb_name = name.default if name is not None else type(model).__name__
        model.set_logger(configure_logger(0, str(out / "tb"), tb_name, checkpoint is None))
    run = Run(
        config=config,
        out=out,
        venv=venv,
        model=model,
        steps=steps,
        start_step=0 if checkpoint is None else int(checkpoint["step"]),
        metrics=metrics,
        evaluator=evaluator,
        eval_note=eval_note or why_none,
        checkpointer=None,
    )
    run.checkpointer = checkpointer(run)
    if checkpoint is not None:
        restore_run(run, checkpoint)
    return run


def _round_up(every: int, model: Any) -> int:
    """``every`` env steps rounded up to the model's whole rollouts."""
    rollout = rollout_size(model, getattr(model, "n_envs", 1))
    size = rollout[0] if rollout else 1
    return -(-every // size) * size


def train(config: TrainConfig) -> TrainResult:
    """Trains ``config.algo`` on ``config.env_id`` (with the bonus), evaluates and saves it.

    Everything the run writes goes into one folder (``config.out``, by default a fresh
    one); see the module docstring. With ``config.resume`` it continues the run in that
    folder from its latest good checkpoint and ends at the same total steps.
    """
    run = build_run(config)
    config, steps, evaluator, metrics = run.config, run.steps, run.evaluator, run.metrics
    start = time.perf_counter()
    try:
        run.learn(steps - run.start_step, progress_bar=config.progress_bar)
    finally:
        run.close()
    seconds = time.perf_counter() - start
    model_path = run.out / "model.zip"
    run.model.save(model_path)
    eval_reward, eval_note = None, run.eval_note
    if evaluator is not None and evaluator.evaluations_results:
        eval_reward = float(evaluator.last_mean_reward)
    elif evaluator is not None:
        eval_note = f"none ran in {steps:,} steps with --eval-freq {config.eval_freq:,}"
    summary = metrics.summary()
    result = TrainResult(
        config=config,
        model_path=model_path,
        steps=int(summary["steps"]),
        steps_asked=config.total_steps,
        seconds=seconds,
        eval_reward=eval_reward,
        eval_note=eval_note,
        states_discovered=len(metrics.states),
        episodes=metrics.episodes,
        episodes_solved=metrics.solved,
        first_solve_step=metrics.first_solve_step,
        metrics=summary,
    )
    _write_summary(run.out / "summary.json", result, evaluator)
    return result


def _write_summary(path: Path, result: TrainResult, evaluator: EvalCallback | None) -> None:
    """``summary.json``: ``result`` as JSON plus every evaluation's mean return."""
    evaluations = {}
    if evaluator is not None:
        evaluations = {
            "timesteps": [int(t) for t in evaluator.evaluations_timesteps],
            "mean_return": [float(sum(r) / len(r)) for r in evaluator.evaluations_results],
        }
    summary = {**asdict(result), "model_path": str(result.model_path), "evaluations": evaluations}
    path.write_text(json.dumps(summary, indent=1) + "\n")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``aisam train``: one per :class:`TrainConfig` field; the presets below."""
    add_options(parser, TrainConfig)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter  # keeps the table's lines
    parser.epilog = presets_help()


def run(args: argparse.Namespace) -> int:
    """Runs ``aisam train`` and prints its summary; 2 on bad settings."""
    import torch

    torch.set_num_threads(1)  # small policies train fastest on one thread
    notes = logging.StreamHandler(sys.stdout)  # the library's notes, shown before training
    notes.setFormatter(logging.Formatter("aisam train: %(message)s"))
    log.addHandler(notes)
    log.setLevel(logging.INFO)
    try:
        result = train(from_args(TrainConfig, args))
    except ValueError as exc:  # our InvalidConfigError, or an env / algorithm rejecting kwargs
        print(f"aisam train: {exc}", file=sys.stderr)
        return 2
    finally:
        log.removeHandler(notes)
    print(summary_text(result))
    return 0


def summary_text(result: TrainResult) -> str:
    """The lines ``aisam train`` prints after a run; every missing number says why."""
    config, m = result.config, result.metrics
    lines = [
        " ".join(
            ["aisam train:", config.algo, f"({config.policy}) on", config.env_id]
            + ([_pairs(config.env_kwargs)] if config.env_kwargs else [])
        )
        + f", preset {config.preset}, bonus={config.bonus}",
        f"  {result.steps:,} steps in {result.seconds:.0f} s ({m['steps_per_second']:,.0f} "
        "steps/s)"
        + (f", asked for {result.steps_asked:,}" if result.steps != result.steps_asked else ""),
    ]
    if result.episodes:
        lines.append(
            f"  episodes: {result.episodes}, solved (return > 0): {result.episodes_solved}; "
            f"last 100: mean score {m['score_mean']:.3g}, max {m['score_max']:.3g}, mean "
            f"length {m['episode_length_mean']:.0f}"
        )
    else:
        lines.append(f"  episodes: none finished in {result.steps:,} steps (no score yet)")
    found = [f"{result.states_discovered} states"] if result.states_discovered else []
    for name in ("rooms", "maps"):
        if f"{name}_total" in m:
            most = m.get(f"{name}_per_episode_max")
            found.append(
                f"{m[f'{name}_total']} {name}"
                + (f" (at most {most} in one episode)" if most is not None else "")
            )
    found += [f"{m['badges_max']:.0f} badges"] if "badges_max" in m else []
    if found:
        lines.append(f"  discovered: {', '.join(found)}")
    if "intrinsic_reward_mean" in m:
        lines.append(f"  intrinsic reward: {m['intrinsic_reward_mean']:.4g} per step (mean)")
    if result.eval_reward is None:
        lines.append(f"  evaluation: none ({result.eval_note})")
    else:
        lines.append(f"  last evaluation: mean extrinsic return {result.eval_reward:.3f}")
    out = result.model_path.parent
    lines.append(f"  run folder: {out}   TensorBoard: tensorboard --logdir {out / 'tb'}")
    return "\n".join(lines)
