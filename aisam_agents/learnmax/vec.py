"""Envs as LearnMax takes them (SB3's way), and the stand-in env of a loaded agent."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from gymnasium import spaces
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv

from aisam_envs.errors import InvalidConfigError


def as_vec_env(env: Any) -> VecEnv:
    """``env`` as SB3 takes it: a ``VecEnv`` stays, a gymnasium env (or id) becomes a
    ``DummyVecEnv`` of one monitored env."""
    if isinstance(env, VecEnv):
        return env
    if isinstance(env, str):
        env = gym.make(env)
    if isinstance(env, gym.vector.VectorEnv):
        raise InvalidConfigError(
            "LearnMax takes a gymnasium env or an SB3 VecEnv (as SB3 does), not a gymnasium "
            "vector env: build one with stable_baselines3.common.env_util.make_vec_env"
        )
    if not isinstance(env, gym.Env):
        raise InvalidConfigError(f"env must be a gymnasium env or an SB3 VecEnv, got {env!r}")
    return DummyVecEnv([lambda: Monitor(env)])


class SpacesEnv(gym.Env):
    """A stand-in env with the saved spaces, for an agent loaded without an env (it can
    :meth:`LearnMax.predict` but not learn: stepping it is an error)."""

    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space) -> None:
        self.observation_space, self.action_space = observation_space, action_space

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> Any:
        raise InvalidConfigError("this LearnMax was loaded without an env: call set_env first")

    def step(self, action: Any) -> Any:
        raise InvalidConfigError("this LearnMax was loaded without an env: call set_env first")
