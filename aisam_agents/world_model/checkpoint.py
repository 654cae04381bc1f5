"""Checkpoints of the world model: weights, config and spaces, and no pickled code.

A checkpoint is a ``torch.save`` of plain containers only (strings, numbers, lists and
tensors), so it loads with ``torch.load(weights_only=True)``: opening one never runs code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from aisam_agents.errors import CheckpointError
from aisam_envs.atomic import atomic_write

FORMAT = "aisam.world_model"
VERSION = 1


def space_to_dict(space: spaces.Space) -> dict[str, Any]:
    """A JSON-able description of a Discrete or Box space."""
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.Box):
        bounds = {}
        for name in ("low", "high"):
            # values of the space's own dtype (exact: int64 bounds do not go through floats);
            # one number when all are equal (an image's 0 and 255), else the nested list
            arr = getattr(space, name)
            uniform = arr.size and (arr == arr.flat[0]).all()
            bounds[name] = arr.flat[0].item() if uniform else arr.tolist()
        return {"type": "Box", "shape": list(space.shape), "dtype": str(space.dtype), **bounds}
    raise CheckpointError(f"cannot store a {type(space).__name__} space in a checkpoint")


def space_from_dict(data: dict[str, Any]) -> spaces.Space:
    """Inverse of :func:`space_to_dict`."""
    kind = data.get("type") if isinstance(data, dict) else None
    if kind == "Discrete":
        return spaces.Discrete(data["n"], start=data.get("start", 0))
    if kind == "Box":
        dtype, shape = np.dtype(data["dtype"]), tuple(data["shape"])
        low, high = (np.asarray(data[name], dtype=dtype) for name in ("low", "high"))
        # gymnasium broadcasts Python scalars but not 0-d arrays, so expand a single bound
        low, high = (np.full(shape, b, dtype) if b.ndim == 0 else b for b in (low, high))
        return spaces.Box(low, high, shape=shape, dtype=dtype)
    raise CheckpointError(f"unknown space description {data!r}")


def spaces_entries(observation_space: spaces.Space, action_space: spaces.Space) -> dict[str, str]:
    """The checkpoint entries that store the two spaces: JSON strings of
    :func:`space_to_dict`."""
    return {
        "observation_space": json.dumps(space_to_dict(observation_space)),
        "action_space": json.dumps(space_to_dict(action_space)),
    }


def read_spaces(payload: dict[str, Any]) -> tuple[spaces.Space, spaces.Space]:
    """The observation and action spaces :func:`spaces_entries` stored in ``payload``.

    Raises:
        KeyError, TypeError, ValueError: damaged entries (the caller names the file).
        CheckpointError: a space description of no known type.
    """
    obs_space = space_from_dict(json.loads(payload["observation_space"]))
    return obs_space, space_from_dict(json.loads(payload["action_space"]))


def save_checkpoint(
    path: str | Path,
    config_json: str,
    observation_space: spaces.Space,
    action_space: spaces.Space,
    state_dict: dict[str, torch.Tensor],
) -> None:
    """Writes the checkpoint to ``path`` (tensors moved to the CPU), atomically.

    Raises:
        SaveError: ``path`` cannot be written (its previous contents are kept).
    """
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "config": config_json,
        **spaces_entries(observation_space, action_space),
        "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()},
    }
    with atomic_write(path) as file:
        torch.save(payload, file)


def read_payload(path: Path, fmt: str, version: int, kind: str) -> dict[str, Any]:
    """The dict that ``torch.load(weights_only=True)`` reads from ``path``, after checking
    its ``format`` and ``version`` entries (``kind`` names the file in the errors).

    Raises:
        CheckpointError: the file is missing, not readable, or not of that format/version.
    """
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt files
        raise CheckpointError(f"{path} is not a readable torch file ({exc})") from exc
    if not isinstance(payload, dict) or payload.get("format") != fmt:
        raise CheckpointError(f"{path} is not an aisam {kind}")
    saved = payload.get("version")
    if type(saved) is not int or saved != version:  # type(): True == 1 and 1.0 == 1
        raise CheckpointError(f"{path} has {kind} version {saved!r}; this aisam reads {version!r}")
    return payload


def load_checkpoint(path: str | Path) -> tuple[str, spaces.Space, spaces.Space, dict[str, Any]]:
    """Reads a checkpoint: config JSON, observation space, action space, state dict.

    Raises:
        CheckpointError: the file is missing, not a world-model checkpoint, or corrupt.
    """
    path = Path(path)
    payload = read_payload(path, FORMAT, VERSION, "world-model checkpoint")
    try:
        obs_space, act_space = read_spaces(payload)
        config, state = payload["config"], payload["state_dict"]
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path} is a damaged world-model checkpoint ({exc})") from exc
    if not isinstance(config, str):
        raise CheckpointError(
            f"{path} is damaged: its config should be a JSON string, got {type(config).__name__}"
        )
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise CheckpointError(f"{path} is damaged: its state_dict is not a dict of tensors")
    return config, obs_space, act_space, state
