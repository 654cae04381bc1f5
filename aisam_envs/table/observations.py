"""How a table state id is shown to the agent: ``discrete``, ``onehot`` or ``embedding``.

``embedding`` gives every state a fixed pseudo-random ``obs_dim`` vector (unit variance
per coordinate) computed from the state id by hashing, so nothing of size
``n_states x obs_dim`` is ever stored: neural agents scale to millions of states.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from gymnasium import spaces

from aisam_envs.errors import InvalidConfigError, check_int
from aisam_envs.table import rng

OBS_TYPES = ("discrete", "onehot", "embedding")
_EMBED_SALT = 0xA15A_E3B0_0000_0001  # keeps embedding streams apart from episode streams
_SQRT3 = math.sqrt(3.0)


class ObservationEncoder:
    """Maps state ids to observations of one ``obs_type``, on numpy or torch.

    Args:
        obs_type: ``"discrete"`` (the id), ``"onehot"`` (``(S,)`` float32) or
            ``"embedding"`` (``(obs_dim,)`` float32 in [-sqrt 3, sqrt 3]).
        n_states: S.
        obs_dim: length of an embedding.
        seed: which embedding (the env passes its ``table_seed``).
    """

    def __init__(self, obs_type: str, n_states: int, obs_dim: int = 16, seed: int = 0) -> None:
        if not isinstance(obs_type, str) or obs_type not in OBS_TYPES:
            raise InvalidConfigError(f"unknown obs_type {obs_type!r}; choose one of {OBS_TYPES}")
        if obs_type == "embedding":
            obs_dim = check_int("obs_dim", obs_dim, 1, 2**16)  # beyond: memory, not a check
        self.obs_type = obs_type
        self.n_states = n_states
        self.obs_dim = obs_dim
        self._key = rng.key_from_seed(seed) ^ _EMBED_SALT
        self.space: spaces.Space[Any]
        if obs_type == "discrete":
            self.space = spaces.Discrete(n_states)
        elif obs_type == "onehot":
            self.space = spaces.Box(0.0, 1.0, (n_states,), np.float32)
        else:
            self.space = spaces.Box(-_SQRT3, _SQRT3, (obs_dim,), np.float32)

    def encode(self, state: int) -> Any:
        """The observation of one state (an int for ``discrete``)."""
        if self.obs_type == "discrete":
            return state
        return self.encode_numpy(np.array([state]))[0]

    def encode_numpy(self, states: np.ndarray) -> np.ndarray:
        """Observations of ``(N,)`` state ids: ``(N,)`` int64 or ``(N, D)`` float32."""
        if self.obs_type == "discrete":
            return states.astype(np.int64)
        if self.obs_type == "onehot":
            out = np.zeros((states.shape[0], self.n_states), dtype=np.float32)
            out[np.arange(states.shape[0]), states] = 1.0
            return out
        counters = states.astype(np.uint64)[:, None] * np.uint64(self.obs_dim) + np.arange(
            self.obs_dim, dtype=np.uint64
        )
        keys = np.full_like(counters, self._key)
        return (rng.uniform_numpy(keys, counters) * 2 - 1) * np.float32(_SQRT3)

    def encode_torch(self, states: Any) -> Any:
        """:meth:`encode_numpy` on an int torch tensor, on its device."""
        import torch

        if self.obs_type == "discrete":
            return states.long()
        if self.obs_type == "onehot":
            return torch.nn.functional.one_hot(states.long(), self.n_states).float()
        offsets = torch.arange(self.obs_dim, device=states.device)
        counters = states.long()[:, None] * self.obs_dim + offsets
        keys = torch.full_like(counters, rng._signed(self._key))
        return (rng.uniform_torch(keys, counters) * 2 - 1) * _SQRT3
