"""``aisam train``: train any SB3 / sb3-contrib / aisam algorithm, optionally with a bonus.

With no arguments it trains PPO with a satiation bonus on a small combination-lock
transition table (about a minute on a laptop CPU) and prints a short summary. Every
run writes TensorBoard logs, periodic evaluations (on the env *without* the bonus)
and the final model under ``--out``.

    aisam train
    aisam train --algo a2c --bonus entropy --env-kwargs n_states=30 kind=clusters
    aisam train --env CartPole-v1 --bonus prediction-error --steps 100000
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import logging
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from aisam_agents import AGENTS
from aisam_agents.cli_options import add_options, from_args, option, validate
from aisam_agents.errors import InvalidConfigError, require_extra

require_extra("stable_baselines3", "agents")
from stable_baselines3.common.callbacks import (  # noqa: E402  (after the extra check)
    BaseCallback,
    CallbackList,
    EvalCallback,
)

log = logging.getLogger(__name__)
SB3_ALGOS = ("PPO", "A2C", "DQN", "SAC", "TD3", "DDPG")
BONUSES = ("none", "satiation", "prediction-error", "entropy")
DEFAULT_ENV = "aisam/TransitionTable-v0"
DEFAULT_ENV_KWARGS: dict[str, Any] = {"n_states": 10, "n_actions": 3, "kind": "lock"}
#: used when ``--algo-kwargs`` is not given: short rollouts suit small worlds
DEFAULT_ALGO_KWARGS: dict[str, dict[str, Any]] = {
    "ppo": {"n_steps": 128, "batch_size": 256, "ent_coef": 0.01}
}


def _check_device(name: str, value: str) -> None:
    """Rejects a device string torch cannot parse (``"auto"`` passes)."""
    import torch

    if value != "auto":
        try:
            torch.device(value)
        except RuntimeError as exc:
            raise InvalidConfigError(f"bad {name} {value!r}: {exc}") from exc


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run needs; the defaults are ``aisam train``'s built-in job.

    Each field is one ``aisam train`` option (:mod:`aisam_agents.cli_options`).

    Attributes:
        env_id: registered gymnasium id.
        env_kwargs: keyword arguments of ``gym.make``, as k=v pairs or one JSON object
            (None: the env's preset).
        algo: algorithm: a name (SB3, sb3-contrib or aisam, case-insensitive) or
            ``module:Class`` of any class with SB3's shape.
        algo_kwargs: keyword arguments of the algorithm, e.g. n_steps=256 (None: the
            algorithm's preset).
        policy: policy alias, or auto (MlpPolicy, MlpLstmPolicy or MultiInputPolicy).
        bonus: intrinsic reward added to the env's.
        bonus_coef: intrinsic-reward coefficient.
        bonus_kwargs: keyword arguments of the bonus (e.g. curve=exponential).
        total_steps: environment steps to train for.
        n_envs: parallel envs (SB3 DummyVecEnv).
        seed: seeds envs, algorithm and bonus.
        eval_freq: evaluate every this many env steps (0: never).
        eval_episodes: episodes per evaluation.
        out: output folder (TensorBoard logs, evaluations, model.zip).
        device: torch device.
        progress_bar: show the progress bar.
    """

    env_id: str = option(DEFAULT_ENV, flag="--env")
    env_kwargs: dict[str, Any] | None = option(
        None,
        default_text=f"{' '.join(f'{k}={v}' for k, v in DEFAULT_ENV_KWARGS.items())} for "
        f"{DEFAULT_ENV}, none for other envs",
    )
    algo: str = option("ppo")
    algo_kwargs: dict[str, Any] | None = option(
        None,
        default_text=f"{' '.join(f'{k}={v}' for k, v in DEFAULT_ALGO_KWARGS['ppo'].items())} "
        "for ppo, none for others",
    )
    policy: str = option("auto")
    bonus: str = option("satiation", choices=BONUSES)
    bonus_coef: float = option(0.1)
    bonus_kwargs: dict[str, Any] = option(default_factory=dict)
    total_steps: int = option(30_000, flag="--steps", low=1)
    n_envs: int = option(8, low=1)
    seed: int = option(0, low=0)
    eval_freq: int = option(5_000, low=0)
    eval_episodes: int = option(5, low=1)
    out: str = option("runs/train")
    device: str = option("auto", check=_check_device)
    progress_bar: bool = option(True, flag="--progress")

    def __post_init__(self) -> None:
        validate(self)

    def resolved(self) -> TrainConfig:
        """This config with the presets filled in (``env_kwargs``, ``algo_kwargs``)."""
        env_kwargs = self.env_kwargs
        if env_kwargs is None:
            env_kwargs = dict(DEFAULT_ENV_KWARGS) if self.env_id == DEFAULT_ENV else {}
        algo_kwargs = self.algo_kwargs
        if algo_kwargs is None:
            algo_kwargs = dict(DEFAULT_ALGO_KWARGS.get(self.algo.lower(), {}))
        return replace(self, env_kwargs=env_kwargs, algo_kwargs=algo_kwargs)


@dataclass(frozen=True)
class TrainResult:
    """What a run produced.

    Attributes:
        model_path: the saved final model.
        eval_reward: mean extrinsic return of the last evaluation (``nan``: none ran).
        states_discovered: distinct ``info["state"]`` values seen in training (0 when
            the env reports none).
        episodes: training episodes finished.
        episodes_solved: training episodes with a positive extrinsic return.
        first_solve_step: env steps before the first solved episode (-1: none).
        seconds: wall-clock training time.
        steps: env steps trained; SB3 collects whole rollouts, so this can exceed
            ``total_steps``.
    """

    model_path: Path
    eval_reward: float
    states_discovered: int
    episodes: int
    episodes_solved: int
    first_solve_step: int
    seconds: float
    steps: int


class ExplorationStats(BaseCallback):
    """Counts distinct ``info["state"]`` values, episodes, and episodes with positive return.

    Episode returns are the ``Monitor``'s, i.e. extrinsic (the bonus wraps outside it).
    """

    def __init__(self) -> None:
        super().__init__(verbose=0)
        self.states: set[int] = set()
        self.episodes = 0
        self.solved = 0
        self.first_solve_step = -1

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            if "state" in info:
                self.states.add(int(info["state"]))
            episode = info.get("episode")
            if episode is not None:
                self.episodes += 1
                if episode["r"] > 0:
                    self.solved += 1
                    if self.first_solve_step < 0:
                        self.first_solve_step = self.num_timesteps
        return True


def available_algorithms() -> dict[str, str]:
    """Lower-case algorithm name -> ``"module:Class"`` of every algorithm ``--algo`` names.

    SB3's, sb3-contrib's (when installed) and aisam's own (:data:`aisam_agents.AGENTS`);
    any other class with SB3's shape is named by ``"module:Class"`` instead.
    """
    algos = {name.lower(): f"stable_baselines3:{name}" for name in SB3_ALGOS}
    try:
        contrib = importlib.import_module("sb3_contrib")
        base = importlib.import_module("stable_baselines3.common.base_class").BaseAlgorithm
        for name, obj in vars(contrib).items():
            if inspect.isclass(obj) and issubclass(obj, base):
                algos[name.lower()] = f"sb3_contrib:{name}"
    except ModuleNotFoundError:
        pass  # sb3-contrib is optional: its algorithms are simply not offered
    algos.update(AGENTS)
    return algos


def resolve_algorithm(name: str) -> type:
    """The algorithm class ``name``: a name of :func:`available_algorithms` or ``module:Class``.

    Names are case-insensitive. A ``module:Class`` may be any class with SB3's shape
    (:func:`check_agent_shape`), e.g. ``mypkg.agents:MyAgent``.
    """
    if ":" not in name:
        algos = available_algorithms()
        target = algos.get(name.lower())
        if target is None:
            raise InvalidConfigError(
                f"unknown --algo {name!r}; choose one of {sorted(algos)} or give "
                "module:Class of a class with SB3's shape"
            )
        module, _, cls = target.partition(":")
        return getattr(require_extra(module, "agents"), cls)
    module, _, cls = name.partition(":")
    try:
        obj = getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError, ValueError) as exc:  # ValueError: an empty name
        raise InvalidConfigError(f"--algo {name}: cannot import it ({exc})") from exc
    check_agent_shape(obj, name)
    return obj


def check_agent_shape(obj: Any, name: str) -> None:
    """Raises :class:`InvalidConfigError` unless ``obj`` is a class with SB3's shape.

    That shape is ``__init__(policy, env, ...)``, ``learn(total_timesteps, callback=,
    progress_bar=)`` calling SB3 callbacks, ``predict``, ``save`` and ``load``: what
    ``aisam train`` and SB3's helpers (``evaluate_policy``, ``EvalCallback``) use.
    """
    shape = (
        "an agent needs __init__(policy, env, ...), learn(total_timesteps, callback=, "
        "progress_bar=), predict, save and load"
    )
    if not inspect.isclass(obj):
        raise InvalidConfigError(f"--algo {name} is not a class; {shape}")
    missing = [
        m for m in ("learn", "predict", "save", "load") if not callable(getattr(obj, m, None))
    ]
    if missing:
        raise InvalidConfigError(f"--algo {name} has no {', '.join(missing)}; {shape}")
    try:
        inspect.signature(obj).bind("MlpPolicy", None)
        inspect.signature(obj.learn).bind(obj, 1, callback=None, progress_bar=False)
    except TypeError as exc:
        raise InvalidConfigError(f"--algo {name}: {exc}; {shape}") from exc


def built(what: str, factory: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``factory(*args, **kwargs)``, reporting a rejected setting as bad ``what``.

    SB3 checks its settings with ``assert`` and type errors surface as ``TypeError``;
    both name the setting in their message, which is passed on.
    """
    try:
        return factory(*args, **kwargs)
    except (TypeError, AssertionError) as exc:
        raise InvalidConfigError(f"bad {what}: {exc}") from exc


def add_bonus(venv: Any, bonus: str, coef: float, kwargs: dict[str, Any], seed: int) -> Any:
    """Wraps an SB3 ``VecEnv`` with the named bonus (``"none"``: unchanged).

    ``kwargs["model_config"]`` may be a dict of ``ModelConfig`` fields (as given on the
    command line); the learned models are seeded with ``seed`` unless it says otherwise.
    """
    wrappers = importlib.import_module("aisam_wrappers")
    if bonus == "none":
        if kwargs:
            raise InvalidConfigError(f"--bonus-kwargs {sorted(kwargs)} given with --bonus none")
        return venv
    if bonus == "satiation":
        return wrappers.SatiationBonus(venv, intrinsic_coef=coef, **kwargs)
    kwargs = dict(kwargs)
    if kwargs.get("model", "rnd" if bonus == "prediction-error" else "count") in ("rnd", "forward"):
        models = importlib.import_module("aisam_wrappers.models")
        settings = kwargs.get("model_config") or {}  # a dict from the command line
        if not isinstance(settings, dict | models.ModelConfig):
            raise InvalidConfigError(
                f"--bonus-kwargs model_config must be a JSON object of ModelConfig fields, "
                f"got {settings!r}"
            )
        if isinstance(settings, dict):
            kwargs["model_config"] = built(
                "--bonus-kwargs model_config", models.ModelConfig, **{"seed": seed, **settings}
            )
    if bonus == "prediction-error":
        return wrappers.PredictionErrorBonus(venv, intrinsic_coef=coef, **kwargs)
    if bonus == "entropy":
        return wrappers.EntropyBonus(venv, intrinsic_coef=coef, **kwargs)
    raise InvalidConfigError(f"unknown bonus {bonus!r}; choose one of {BONUSES}")


def make_vec_env(env_id: str, env_kwargs: dict[str, Any], n_envs: int, seed: int) -> Any:
    """An SB3 ``DummyVecEnv`` of ``n_envs`` monitored ``gym.make(env_id, **env_kwargs)``."""
    import gymnasium as gym
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv

    importlib.import_module("aisam_envs")  # registers the aisam/ ids
    if env_id not in gym.registry:
        raise InvalidConfigError(f"unknown env {env_id!r}; see `aisam envs` for aisam's ids")
    venv = built(
        "--env-kwargs", DummyVecEnv, [lambda: Monitor(gym.make(env_id, **env_kwargs))] * n_envs
    )
    venv.seed(seed)
    return venv


def _policy(algo_cls: type, policy: str, venv: Any) -> str:
    from gymnasium import spaces

    is_dict = isinstance(venv.observation_space, spaces.Dict)
    if policy != "auto":
        if policy.startswith("MultiInput") != is_dict:  # SB3 fails deep inside otherwise
            raise InvalidConfigError(
                f"--policy {policy} does not fit the observation space "
                f"{venv.observation_space}: MultiInput policies are for Dict spaces only"
            )
        return policy
    aliases = getattr(algo_cls, "policy_aliases", {})
    if is_dict and "MultiInputPolicy" in aliases:
        return "MultiInputPolicy"
    return next((a for a in ("MlpPolicy", "MlpLstmPolicy") if a in aliases), "MlpPolicy")


def build_model(algo_cls: type, config: TrainConfig, venv: Any, tensorboard_log: Path) -> Any:
    """``algo_cls(policy, venv, seed=, device=, tensorboard_log=, **config.algo_kwargs)``.

    The three run settings go only to a constructor that takes them (a class with SB3's
    shape need not); the ones it does not take are noted in the log.
    """
    params = inspect.signature(algo_cls).parameters
    any_kwarg = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    settings = {
        "seed": config.seed,
        "device": config.device,
        "tensorboard_log": str(tensorboard_log),
    }
    taken = {k: v for k, v in settings.items() if any_kwarg or k in params}
    if len(taken) < len(settings):
        skipped = ", ".join(f"{k}=" for k in settings if k not in taken)
        log.info("%s takes no %s: not passed", algo_cls.__name__, skipped)
    return built(
        f"settings for {config.algo} (--algo-kwargs, --policy or the env's spaces)",
        algo_cls,
        _policy(algo_cls, config.policy, venv),
        venv,
        **taken,
        **config.algo_kwargs,
    )


def _check_out(out: Path) -> None:
    """Rejects an output path that cannot be a run folder, before anything is built."""
    if out.exists() and not out.is_dir():
        raise InvalidConfigError(f"--out {out} exists and is not a folder")


def train(config: TrainConfig) -> TrainResult:
    """Trains ``config.algo`` on ``config.env_id`` (with the bonus), evaluates and saves it."""
    config = config.resolved()
    _check_out(Path(config.out))
    algo_cls = resolve_algorithm(config.algo)
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    venv = make_vec_env(config.env_id, config.env_kwargs, config.n_envs, config.seed)
    venv = built(
        "--bonus-kwargs", add_bonus, venv, config.bonus, config.bonus_coef, config.bonus_kwargs,
        config.seed,
    )  # fmt: skip
    model = build_model(algo_cls, config, venv, out / "tb")
    stats = ExplorationStats()
    callbacks: list[Any] = [stats]
    evaluator = None
    if config.eval_freq > 0:
        eval_env = make_vec_env(config.env_id, config.env_kwargs, 1, config.seed + 10_000)
        evaluator = EvalCallback(
            eval_env,
            n_eval_episodes=config.eval_episodes,
            eval_freq=max(1, config.eval_freq // config.n_envs),
            log_path=str(out / "eval"),
            best_model_save_path=str(out / "best"),
            verbose=0,
        )
        callbacks.append(evaluator)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():  # evaluating without the bonus is the point, not a slip
            warnings.filterwarnings("ignore", "Training and eval env are not of the same type")
            warnings.filterwarnings("ignore", "rich is experimental")  # tqdm's note on its bar
            model.learn(
                config.total_steps,
                callback=CallbackList(callbacks),
                progress_bar=config.progress_bar,
            )
    finally:
        venv.close()
        if evaluator is not None:
            evaluator.eval_env.close()
    seconds = time.perf_counter() - start
    model_path = out / "model.zip"
    model.save(model_path)
    eval_reward = float(evaluator.last_mean_reward) if evaluator and evaluator.n_calls else np.nan
    if not np.isfinite(eval_reward):
        eval_reward = float("nan")
    return TrainResult(
        model_path,
        eval_reward,
        len(stats.states),
        stats.episodes,
        stats.solved,
        stats.first_solve_step,
        seconds,
        model.num_timesteps,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``aisam train``: one per :class:`TrainConfig` field."""
    add_options(parser, TrainConfig)


def run(args: argparse.Namespace) -> int:
    """Runs ``aisam train`` and prints its summary; 2 on bad settings."""
    import torch

    torch.set_num_threads(1)  # small policies train fastest on one thread
    notes = logging.StreamHandler(sys.stdout)  # the library's notes, shown before training
    notes.setFormatter(logging.Formatter("aisam train: %(message)s"))
    log.addHandler(notes)
    log.setLevel(logging.INFO)
    try:
        config = from_args(TrainConfig, args).resolved()
        result = train(config)
    except ValueError as exc:  # our InvalidConfigError, or an env / algorithm rejecting kwargs
        print(f"aisam train: {exc}", file=sys.stderr)
        return 2
    finally:
        log.removeHandler(notes)
    kwargs = " ".join(f"{k}={v}" for k, v in config.env_kwargs.items())
    print(f"aisam train: {config.algo} on {config.env_id} {kwargs}, bonus={config.bonus}")
    print(
        f"  {result.steps:,} steps in {result.seconds:.0f} s "
        f"({result.steps / max(result.seconds, 1e-9):,.0f} steps/s)"
        + (f", asked for {config.total_steps:,}" if result.steps != config.total_steps else "")
    )
    if result.states_discovered:
        print(f"  states discovered: {result.states_discovered}")
    print(f"  episodes: {result.episodes}, solved (return > 0): {result.episodes_solved}")
    print(f"  last evaluation: mean extrinsic return {result.eval_reward:.3f}")
    print(f"  model: {result.model_path}   TensorBoard: tensorboard --logdir {config.out}/tb")
    return 0
