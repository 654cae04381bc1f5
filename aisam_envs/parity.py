"""``aisam/Parity-v0``: the PonderNet parity task as a contextual bandit.

Each observation is a vector of ``n_bits`` entries of which a random number ``k`` (uniform
in ``[min_active, max_active]``) are set to +1 or -1 and the rest are 0; the agent answers
the parity of the number of +1 entries (action 1: odd, 0: even) and gets reward 1 for a
right answer, 0 otherwise. ``k`` is the input's difficulty, reported in
``info["n_active"]``, so an adaptive-computation agent can be scored per difficulty.
An episode is ``episode_length`` independent questions.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from aisam_envs._render import cell_strip, check_render_mode
from aisam_envs.errors import (
    InvalidActionError,
    InvalidConfigError,
    ResetNeededError,
    check_int,
    reject_unknown_keywords,
)

__all__ = ["ParityEnv", "sample_parity"]


def sample_parity(
    rng: np.random.Generator, batch: int, n_bits: int, min_active: int, max_active: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``batch`` parity questions at once.

    Returns:
        ``x`` ``(batch, n_bits)`` float32 in {-1, 0, 1}; ``parity`` ``(batch,)`` int64, 1 if
        the number of +1 entries is odd; ``n_active`` ``(batch,)`` int64 non-zero entries.
    """
    n_active = rng.integers(min_active, max_active + 1, size=batch)
    rank = np.argsort(rng.random((batch, n_bits)), axis=1).argsort(axis=1)
    active = rank < n_active[:, None]
    signs = rng.integers(0, 2, size=(batch, n_bits)) * 2 - 1
    x = np.where(active, signs, 0).astype(np.float32)
    parity = (np.count_nonzero(x > 0, axis=1) % 2).astype(np.int64)
    return x, parity, n_active.astype(np.int64)


@reject_unknown_keywords
class ParityEnv(gym.Env[np.ndarray, np.int64]):
    """Answer the parity of the +1 entries of a random {-1, 0, 1} vector.

    Args:
        n_bits: vector length (the paper: 64 for interpolation, 96 for extrapolation).
        min_active: fewest non-zero entries of a question (>= 1).
        max_active: most non-zero entries (``None``: ``n_bits``).
        episode_length: questions per episode (reward 1 for each right answer).

    Observation: ``Box(-1, 1, (n_bits,), float32)``. Action: ``Discrete(2)``.
    ``info``: ``n_active`` (difficulty of the current question), and after a step
    ``parity``, ``correct`` and ``answered_n_active`` of the question just answered.
    """

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(
        self,
        n_bits: int = 8,
        min_active: int = 1,
        max_active: int | None = None,
        episode_length: int = 1,
        render_mode: str | None = None,
    ) -> None:
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        n_bits = check_int("n_bits", n_bits, 1)
        min_active = check_int("min_active", min_active, 1)
        max_active = n_bits if max_active is None else check_int("max_active", max_active, 1)
        if not min_active <= max_active <= n_bits:
            raise InvalidConfigError(
                f"need 1 <= min_active <= max_active <= n_bits, got min_active={min_active}, "
                f"max_active={max_active}, n_bits={n_bits}"
            )
        self.n_bits = n_bits
        self.min_active = min_active
        self.max_active = max_active
        self.episode_length = check_int("episode_length", episode_length, 1)
        self.observation_space = spaces.Box(-1.0, 1.0, (self.n_bits,), np.float32)
        self.action_space = spaces.Discrete(2)
        self._x = np.zeros(self.n_bits, np.float32)
        self._parity = 0
        self._n_active = 0
        self._t = 0
        self._done = True

    def _draw(self) -> np.ndarray:
        x, parity, n_active = sample_parity(
            self.np_random, 1, self.n_bits, self.min_active, self.max_active
        )
        self._x, self._parity, self._n_active = x[0], int(parity[0]), int(n_active[0])
        return self._x.copy()

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Starts an episode with a fresh question."""
        super().reset(seed=None if seed is None else check_int("seed", seed, 0))
        self._t = 0
        self._done = False
        obs = self._draw()
        return obs, {"n_active": self._n_active}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Answers the current question with ``action`` (0: even, 1: odd)."""
        if self._done:
            raise ResetNeededError("step() called on an ended or unstarted episode: call reset()")
        if isinstance(action, np.ndarray) and action.shape == ():
            action = action[()]
        if isinstance(action, bool | np.bool_) or not isinstance(action, int | np.integer):
            raise InvalidActionError(f"action must be 0 or 1, got {action!r}")
        if action not in (0, 1):
            raise InvalidActionError(f"action must be 0 or 1, got {action}")
        correct = int(action) == self._parity
        info = {"parity": self._parity, "correct": correct, "answered_n_active": self._n_active}
        self._t += 1
        terminated = self._t >= self.episode_length
        self._done = terminated
        obs = self._x.copy() if terminated else self._draw()
        info["n_active"] = self._n_active
        return obs, float(correct), terminated, False, info

    def render(self) -> np.ndarray | None:
        """The current question as an RGB strip (one cell per entry: black -1, grey 0,
        white +1) for ``render_mode="rgb_array"``."""
        return cell_strip(self._x) if self.render_mode == "rgb_array" else None
