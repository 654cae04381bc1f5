"""Checkpoints of an ``aisam train`` run: written atomically, verified when read.

A checkpoint is one file, ``OUT/checkpoints/step-<N>.pt``, that ``torch.load(...,
weights_only=True)`` reads (opening it runs no code). It is an outer dict ``{"format",
"version", "step", "sha256", "payload"}`` whose ``payload`` (a uint8 tensor) is itself a
``torch.save`` of the run's state, and ``sha256`` its digest, so a file cut short or
damaged anywhere is found before any of it is used:

- ``model``: the SB3 ``save`` of the model (weights and optimiser; plain settings as JSON,
  read back by :func:`aisam_agents.safe_load.safe_load`, which unpickles nothing), as
  uint8 bytes;
- ``bonus``: the bonus's state (:func:`aisam_agents.object_state.encode`: its networks,
  optimiser, normalisers, counts), or None;
- ``replay``: an off-policy agent's replay buffer (its filled arrays), or None;
- ``rng``: python's, numpy's and torch's global generators and the action space's;
- ``callbacks``: the exploration metrics' counters and the evaluations so far;
- ``fingerprint``: the settings that make the run what it is (:func:`fingerprint`),
  compared on resume.

Files are written to a temporary name in the same folder, flushed to disk (``fsync``) and
renamed over, so a kill at any moment leaves whole checkpoints only; the last
:data:`KEEP` are kept.
"""

from __future__ import annotations

import hashlib
import io
import logging
import random
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aisam_agents.errors import CheckpointError
from aisam_envs.atomic import atomic_write
from aisam_envs.errors import require_extra

require_extra("stable_baselines3", "agents")
from stable_baselines3.common.buffers import DictReplayBuffer, ReplayBuffer  # noqa: E402
from stable_baselines3.common.callbacks import BaseCallback  # noqa: E402
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm  # noqa: E402
from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm  # noqa: E402

log = logging.getLogger(__name__)

FORMAT = "aisam-train-checkpoint"
VERSION = 1
#: checkpoints kept in a run's folder (the older ones are removed)
KEEP = 2
FOLDER = "checkpoints"
_NAME = re.compile(r"step-(\d+)\.pt")
#: the name a checkpointed model file is saved and loaded under (SB3 appends .zip otherwise)
MODEL_FILE = "model.zip"
#: the replay buffer's arrays a checkpoint holds (its filled part)
_REPLAY_ARRAYS = ("observations", "next_observations", "actions", "rewards", "dones", "timeouts")


def _to_bytes(obj: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def _as_tensor(data: bytes) -> torch.Tensor:
    return torch.frombuffer(bytearray(data), dtype=torch.uint8)


def write_checkpoint(folder: Path, step: int, state: dict[str, Any]) -> Path:
    """Saves ``state`` (weights-only data) as ``folder/step-<step>.pt``; keeps the last
    :data:`KEEP` checkpoints. Returns the new file."""
    folder.mkdir(parents=True, exist_ok=True)
    payload = _to_bytes(state)
    outer = {
        "format": FORMAT,
        "version": VERSION,
        "step": int(step),
        "sha256": hashlib.sha256(payload).hexdigest(),
        "payload": _as_tensor(payload),
    }
    path = folder / f"step-{step}.pt"
    with atomic_write(path) as file:
        file.write(_to_bytes(outer))
    for old, _ in list_checkpoints(folder)[KEEP:]:
        old.unlink(missing_ok=True)
    return path


def list_checkpoints(folder: Path) -> list[tuple[Path, int]]:
    """``(file, step)`` of the checkpoints in ``folder``, newest first."""
    if not folder.is_dir():
        return []
    found = [(p, int(m.group(1))) for p in folder.iterdir() if (m := _NAME.fullmatch(p.name))]
    return sorted(found, key=lambda item: -item[1])


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The state saved in ``path``, verified whole (format, digest, step).

    Raises:
        CheckpointError: the file is truncated, damaged, or not a train checkpoint.
    """
    try:
        outer = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch reports a cut-short zip in several ways
        raise CheckpointError(f"{path} is truncated or damaged ({exc})") from exc
    if not isinstance(outer, dict) or outer.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an aisam train checkpoint")
    if outer.get("version") != VERSION:
        raise CheckpointError(f"{path} has version {outer.get('version')}, expected {VERSION}")
    payload = outer["payload"].numpy().tobytes()
    if hashlib.sha256(payload).hexdigest() != outer.get("sha256"):
        raise CheckpointError(f"{path} is damaged: its contents do not match their digest")
    state = torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)
    if state.get("step") != outer["step"]:
        raise CheckpointError(f"{path} is damaged: its step does not match")
    return state


def latest_checkpoint(folder: Path) -> dict[str, Any]:
    """The newest checkpoint in ``folder`` that reads whole; each damaged newer one is
    reported in one log line and skipped.

    Raises:
        CheckpointError: no checkpoint in ``folder`` reads whole.
    """
    found = list_checkpoints(folder)
    if not found:
        raise CheckpointError(f"no checkpoint in {folder}: nothing to resume from")
    for path, _ in found:
        try:
            return read_checkpoint(path)
        except CheckpointError as exc:
            log.warning("skipping a damaged checkpoint: %s", exc)
    raise CheckpointError(f"every checkpoint in {folder} is damaged: nothing to resume from")


def model_bytes(model: Any) -> torch.Tensor:
    """The file ``model.save`` writes (SB3's zip, or an agent's own weights-only file) as a
    uint8 tensor."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / MODEL_FILE
        model.save(path)
        return _as_tensor(path.read_bytes())


def rng_state(model: Any) -> dict[str, Any]:
    """The generators a run draws from: python's, numpy's and torch's global ones (CUDA's
    too where present) and the model's action space's (off-policy exploration)."""
    # the legacy global generator: SB3 seeds it and its buffers draw minibatches from it
    kind, keys, pos, has_gauss, cached = np.random.get_state()  # noqa: NPY002
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    space = getattr(model, "action_space", None)
    if space is not None:
        state["action_space"] = space.np_random.bit_generator.state
    return state


def set_rng_state(model: Any, state: dict[str, Any]) -> None:
    """Puts back what :func:`rng_state` saved."""
    random.setstate(state["python"])
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))  # noqa: NPY002
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if "action_space" in state:
        model.action_space.np_random.bit_generator.state = state["action_space"]


def replay_state(model: Any) -> dict[str, Any] | None:
    """The filled part of an off-policy model's replay buffer as tensors (None: it has
    none, or one of a class this does not know, which is then noted in the log)."""
    buffer = getattr(model, "replay_buffer", None)
    if buffer is None:
        return None
    if not isinstance(buffer, ReplayBuffer | DictReplayBuffer):
        log.info("a %s is not checkpointed: resuming starts it empty", type(buffer).__name__)
        return None
    end = buffer.buffer_size if buffer.full else buffer.pos
    arrays: dict[str, Any] = {}
    for name in _REPLAY_ARRAYS:
        value = getattr(buffer, name, None)
        if isinstance(value, dict):
            arrays[name] = {k: torch.from_numpy(v[:end].copy()) for k, v in value.items()}
        elif isinstance(value, np.ndarray) and value.size:  # optimize_memory_usage: none
            arrays[name] = torch.from_numpy(value[:end].copy())
    return {"pos": int(buffer.pos), "full": bool(buffer.full), "arrays": arrays}


def set_replay_state(model: Any, state: dict[str, Any] | None) -> None:
    """Writes what :func:`replay_state` saved into the model's (fresh) replay buffer."""
    if state is None:
        return
    buffer = model.replay_buffer
    for name, saved in state["arrays"].items():
        live = getattr(buffer, name)
        if isinstance(saved, dict):
            for key, value in saved.items():
                live[key][: len(value)] = value.numpy()
        else:
            live[: len(saved)] = saved.numpy()
    buffer.pos, buffer.full = state["pos"], state["full"]


class Checkpointer(BaseCallback):
    """Saves a checkpoint at the start of a rollout once ``every`` env steps have passed
    since the last one: the model has then taken every update of the steps so far and
    holds no half-collected rollout. An agent outside SB3's rollout loops (LearnMax,
    PonderDreamer: they learn as they step) is checkpointed after the env step instead.

    Args:
        folder: where the checkpoints go (``OUT/checkpoints``).
        every: env steps between checkpoints, at least.
        state: returns everything but the model's own state (bonus, callbacks, fingerprint),
            called when a checkpoint is due.
        last: the step of the checkpoint the run resumed from (0: a fresh run).
    """

    def __init__(
        self, folder: Path, every: int, state: Callable[[], dict[str, Any]], last: int = 0
    ) -> None:
        super().__init__(verbose=0)
        self.folder, self.every, self._state, self.last = folder, every, state, last

    def _init_callback(self) -> None:
        self._after_step = not isinstance(self.model, OnPolicyAlgorithm | OffPolicyAlgorithm)

    def _on_rollout_start(self) -> None:
        self._save_if_due()

    def _on_step(self) -> bool:
        if self._after_step:
            self._save_if_due()
        return True

    def _save_if_due(self) -> None:
        step = self.model.num_timesteps
        if step // self.every > self.last // self.every:
            self.save(step)

    def save(self, step: int) -> Path:
        """Writes the checkpoint of ``step`` now."""
        state = {
            "step": int(step),
            "model": model_bytes(self.model),
            "replay": replay_state(self.model),
            "rng": rng_state(self.model),
            **self._state(),
        }
        path = write_checkpoint(self.folder, step, state)
        self.last = step
        return path
