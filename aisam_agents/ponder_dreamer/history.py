"""Per-env histories of observations and actions, from which the world model's features of
the current state are read when acting (in ``learn`` and in ``predict``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from aisam_agents.world_model import WorldModel
from aisam_envs.errors import InvalidConfigError

__all__ = ["History", "history_features"]


@dataclass(frozen=True)
class History:
    """The last ``K`` frames of ``n`` envs, right-aligned: row ``i``'s valid frames are its
    last ``length[i]`` columns, oldest first. ``predict`` returns it as its ``state``.

    Attributes:
        obs: ``(n, K, *obs_shape)`` observations the actions were taken in.
        actions: ``(n, K)`` int64 actions taken in them.
        length: ``(n,)`` int64 valid frames per env, ``<= K``.
    """

    obs: np.ndarray
    actions: np.ndarray
    length: np.ndarray

    @classmethod
    def empty(cls, n: int, frames: int, obs_shape: tuple[int, ...], dtype: np.dtype) -> History:
        """``n`` empty histories of at most ``frames`` frames."""
        return cls(
            np.zeros((n, frames, *obs_shape), dtype),
            np.zeros((n, frames), np.int64),
            np.zeros(n, np.int64),
        )

    def check(self, n: int, frames: int, obs_shape: tuple[int, ...]) -> None:
        """Raises InvalidConfigError unless this is a history of ``n`` envs as ``predict``
        returned it."""
        ok = (
            isinstance(self.obs, np.ndarray)
            and self.obs.shape == (n, frames, *obs_shape)
            and np.shape(self.actions) == (n, frames)
            and np.shape(self.length) == (n,)
        )
        if not ok:
            raise InvalidConfigError(
                f"state must be the History predict() returned for these {n} observations "
                "(or None at the start of episodes)"
            )

    def restart(self, episode_start: np.ndarray | None) -> History:
        """The histories with the rows where ``episode_start`` ``(n,)`` is true emptied."""
        if episode_start is None:
            return self
        start = np.asarray(episode_start, dtype=bool).reshape(-1)
        if start.shape != self.length.shape:
            raise InvalidConfigError(
                f"episode_start must have shape {self.length.shape}, got {start.shape}"
            )
        return History(self.obs, self.actions, np.where(start, 0, self.length))

    def push(self, obs: np.ndarray, actions: np.ndarray) -> History:
        """The histories after taking ``actions`` ``(n,)`` in ``obs`` ``(n, *obs_shape)``."""
        k = self.obs.shape[1]
        if k == 0:
            return self
        return History(
            np.concatenate([self.obs[:, 1:], obs[:, None].astype(self.obs.dtype)], 1),
            np.concatenate([self.actions[:, 1:], actions[:, None].astype(np.int64)], 1),
            np.minimum(self.length + 1, k),
        )


def history_features(model: WorldModel, history: History) -> torch.Tensor:
    """``(n, d_model)`` the features of the step that predicted each env's current state:
    the model run over its history (zeros for an empty one, as in imagination from a
    single observation). One forward pass per distinct history length."""
    n = history.length.shape[0]
    out = torch.zeros(n, model.config.n_embd, device=model.device)
    for length in np.unique(history.length):
        if length == 0:
            continue
        rows = np.flatnonzero(history.length == length)
        dist = model.predict_next(history.obs[rows, -length:], history.actions[rows, -length:])
        out[torch.as_tensor(rows, device=model.device)] = dist.features
    return out
