"""Shared fixtures of the PonderDreamer tests: a small lock table and a tiny agent factory."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import pytest
import torch

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_agents.ponder_dreamer import PonderDreamer
from aisam_agents.world_model import WorldModelConfig


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def lock_env(n_states: int = 6) -> gym.Env:
    """A combination lock of ``n_states`` states and 2 actions, episodes of 30 steps."""
    return gym.make(
        "aisam/TransitionTable-v0",
        n_states=n_states,
        n_actions=2,
        kind="lock",
        max_episode_steps=30,
    )


def tiny_agent(env: Any = None, **kwargs: Any) -> PonderDreamer:
    """A small, fast agent on the CPU (one-layer model, short windows and horizon)."""
    settings: dict[str, Any] = dict(
        world_model=WorldModelConfig.preset("tiny", device="cpu", n_layer=1, max_frames=4),
        learning_starts=8,
        batch_size=4,
        horizon=3,
        train_ratio=4.0,
        ponder_hidden=8,
        ponder_max_steps=4,
        critic_hidden=16,
        seed=0,
        device="cpu",
    )
    settings.update(kwargs)
    return PonderDreamer("auto", lock_env() if env is None else env, **settings)


@pytest.fixture
def make_agent() -> Any:
    """The :func:`tiny_agent` factory."""
    return tiny_agent


@pytest.fixture
def make_env() -> Any:
    """The :func:`lock_env` factory."""
    return lock_env
