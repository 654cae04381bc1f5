"""Helpers of the wrapper tests: a scripted env whose observations we choose."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces


class ScriptedEnv(gym.Env):
    """``Discrete(n)`` env that moves to the state named by the action.

    Episodes end after ``episode_len`` steps (terminated); reward is ``rewards[t]`` of the
    episode's step ``t`` (0 past its end), so tests can inject NaN/inf.
    """

    def __init__(self, n: int = 8, episode_len: int = 1000, rewards: Sequence[float] = ()) -> None:
        self.observation_space = spaces.Discrete(n)
        self.action_space = spaces.Discrete(n)
        self.episode_len = episode_len
        self.rewards = list(rewards)
        self.t = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
        super().reset(seed=seed)
        self.t = 0
        return 0, {"cell": 0}

    def step(self, action: Any) -> tuple[int, float, bool, bool, dict[str, Any]]:
        reward = self.rewards[self.t] if self.t < len(self.rewards) else 0.0
        self.t += 1
        return int(action), reward, self.t >= self.episode_len, False, {"cell": int(action) // 2}


def intrinsic_trace(env: gym.Env, actions: Sequence[int], seed: int = 0) -> np.ndarray:
    """``info["intrinsic_reward"]`` of each step of ``actions`` (resetting on episode end)."""
    env.reset(seed=seed)
    out = []
    for a in actions:
        _, _, terminated, truncated, info = env.step(a)
        out.append(info["intrinsic_reward"])
        if terminated or truncated:
            env.reset()
    return np.array(out)
