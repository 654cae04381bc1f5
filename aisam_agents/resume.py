"""Resuming an ``aisam train`` run: what its checkpoints hold besides the model, and how a
run is rebuilt from one (:func:`aisam_agents.train.build_run` calls these).

A checkpoint (:mod:`aisam_agents.checkpointing`) carries a fingerprint of the run's
settings (:data:`RUN_SETTINGS`), the bonus's state, the metrics' counters and the
evaluations; :func:`resume_state` finds the run's config and its latest good checkpoint
and refuses one of other settings, :func:`load_model` and :func:`restore_run` put the
state back into a freshly built run.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aisam_agents.checkpointing import (
    FOLDER,
    MODEL_FILE,
    Checkpointer,
    latest_checkpoint,
    set_replay_state,
    set_rng_state,
)
from aisam_agents.cli_options import flags
from aisam_agents.errors import CheckpointError
from aisam_agents.object_state import encode, restore
from aisam_agents.safe_load import safe_load
from aisam_wrappers import find_bonus

if TYPE_CHECKING:
    from stable_baselines3.common.callbacks import EvalCallback

    from aisam_agents.train import Run, TrainConfig

log = logging.getLogger(__name__)

#: the settings that make a run what it is: ``--resume`` refuses a checkpoint (or an
#: option given with it) of other values; the others (device, progress bar, checkpoint
#: interval) may change between the sessions of one run
RUN_SETTINGS = (
    "env_id",
    "env_kwargs",
    "preset",
    "algo",
    "algo_kwargs",
    "policy",
    "bonus",
    "bonus_coef",
    "bonus_kwargs",
    "total_steps",
    "n_envs",
    "vec_env",
    "seed",
    "eval_freq",
    "eval_episodes",
)


def can_continue(model: Any) -> bool:
    """Whether ``model.learn`` can continue a run (takes ``reset_num_timesteps``)."""
    return "reset_num_timesteps" in inspect.signature(model.learn).parameters


def fingerprint(config: TrainConfig) -> dict[str, str]:
    """The :data:`RUN_SETTINGS` of a resolved ``config`` as JSON text (what a checkpoint
    holds to be matched on resume)."""
    return {name: json.dumps(getattr(config, name), sort_keys=True) for name in RUN_SETTINGS}


def checkpointer(run: Run) -> Checkpointer | None:
    """The run's checkpoint callback, or None (none asked, or an algorithm whose ``learn``
    cannot continue a run, which is noted in the log)."""
    if not run.config.checkpoint_every:
        return None
    if not can_continue(run.model):
        log.info(
            "no checkpoints: %s.learn takes no reset_num_timesteps, so it cannot continue a run",
            type(run.model).__name__,
        )
        return None

    def state() -> dict[str, Any]:
        mixer = find_bonus(run.venv)
        return {
            "fingerprint": fingerprint(run.config),
            "bonus": None if mixer is None else encode(mixer),
            "metrics": run.metrics.state_dict(),
            "evaluator": evaluator_state(run.evaluator),
        }

    return Checkpointer(run.out / FOLDER, run.config.checkpoint_every, state, run.start_step)


def evaluator_state(evaluator: EvalCallback | None) -> dict[str, Any] | None:
    """The evaluations so far and the evaluator's step count, as plain containers."""
    if evaluator is None:
        return None
    return {
        "n_calls": int(evaluator.n_calls),
        "timesteps": [int(t) for t in evaluator.evaluations_timesteps],
        "results": [[float(r) for r in rs] for rs in evaluator.evaluations_results],
        "lengths": [[int(n) for n in ns] for ns in evaluator.evaluations_length],
        "best": float(evaluator.best_mean_reward),
        "last": float(evaluator.last_mean_reward),
    }


def resume_state(config: TrainConfig) -> tuple[TrainConfig, dict[str, Any]]:
    """The config of the run in ``config.resume`` and its latest good checkpoint.

    The run's ``config.json`` gives its settings; an option of ``config`` set to other
    than its default must agree with them where it is one of :data:`RUN_SETTINGS` (the
    device, progress bar and checkpoint interval may change). The checkpoint must have
    been made by a run of the same settings.

    Raises:
        CheckpointError: no run there, a finished one, an option or a checkpoint of
            other settings (the message names each), or no checkpoint that reads whole.
    """
    out = Path(config.resume or "")
    saved_file = out / "config.json"
    if not saved_file.is_file():
        raise CheckpointError(f"--resume {out}: no run there (it has no config.json)")
    if (out / "summary.json").exists():
        raise CheckpointError(f"--resume {out}: that run has finished (it has summary.json)")
    if config.out is not None and Path(config.out) != out:
        raise CheckpointError(f"--resume {out} continues the run there: give no other --out")
    saved = type(config)(**json.loads(saved_file.read_text()))
    names = flags(type(config))
    given = {
        f.name: getattr(config, f.name)
        for f in dataclasses.fields(config)
        if getattr(config, f.name) != _default(f)
    }
    differ = [
        f"{names[k]} {given[k]!r} (the run has {getattr(saved, k)!r})"
        for k in RUN_SETTINGS
        if k in given and given[k] != getattr(saved, k)
    ]
    if differ:
        raise CheckpointError(
            f"--resume {out}: {'; '.join(differ)}: a resumed run keeps its settings; give "
            "only --resume (or start a new run)"
        )
    config = dataclasses.replace(
        saved,
        out=str(out),
        resume=str(out),
        overwrite=False,
        device=config.device,
        progress_bar=config.progress_bar,
        checkpoint_every=given.get("checkpoint_every", saved.checkpoint_every),
    )
    checkpoint = latest_checkpoint(out / FOLDER)
    ours, theirs = fingerprint(config), checkpoint.get("fingerprint", {})
    differ = [f"{names[k]} {theirs.get(k)} there" for k in RUN_SETTINGS if theirs.get(k) != ours[k]]
    if differ:
        raise CheckpointError(
            f"--resume {out}: its checkpoint of step {checkpoint['step']:,} was made by another "
            f"run ({'; '.join(differ)}; config.json has "
            + ", ".join(f"{names[k]} {ours[k]}" for k in RUN_SETTINGS if theirs.get(k) != ours[k])
            + ")"
        )
    log.info("resuming from the checkpoint of step %s", f"{checkpoint['step']:,}")
    return config, checkpoint


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def load_model(algo_cls: type, config: TrainConfig, venv: Any, checkpoint: dict[str, Any]) -> Any:
    """The model saved in ``checkpoint``, on ``venv``, loaded without running code from it."""
    if not can_continue(algo_cls):
        raise CheckpointError(
            f"--algo {config.algo} cannot continue a run: its learn takes no reset_num_timesteps"
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / MODEL_FILE
        path.write_bytes(checkpoint["model"].numpy().tobytes())
        return safe_load(algo_cls, path, env=venv, device=config.device)  # type: ignore[arg-type]


def restore_run(run: Run, checkpoint: dict[str, Any]) -> None:
    """Puts the checkpoint's bonus, replay buffer, callbacks and generators back into a run
    whose model it loaded; the envs start fresh episodes, seeded by the run's seed and the
    checkpoint's step (an env's own state cannot be saved in general)."""
    mixer = find_bonus(run.venv)
    if checkpoint["bonus"] is not None and mixer is not None:
        restore(mixer, checkpoint["bonus"])
    set_replay_state(run.model, checkpoint["replay"])
    run.metrics.load_state_dict(checkpoint["metrics"])
    saved, evaluator = checkpoint["evaluator"], run.evaluator
    if saved is not None and evaluator is not None:
        evaluator.n_calls = saved["n_calls"]
        evaluator.evaluations_timesteps = list(saved["timesteps"])
        evaluator.evaluations_results = [list(r) for r in saved["results"]]
        evaluator.evaluations_length = [list(n) for n in saved["lengths"]]
        evaluator.best_mean_reward, evaluator.last_mean_reward = saved["best"], saved["last"]
    set_rng_state(run.model, checkpoint["rng"])
    run.venv.seed(run.config.seed + run.start_step)
