"""Shared fixtures of the world-model tests: small tables and a tiny-config factory."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from aisam_agents.world_model import WorldModel, WorldModelConfig


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def tiny_model(n_states: int = 16, n_actions: int = 4, **overrides: object) -> WorldModel:
    """A tiny world model over ``Discrete(n_states)`` observations, on the CPU."""
    config = WorldModelConfig.preset("tiny", device="cpu", **overrides)
    return WorldModel(spaces.Discrete(n_states), spaces.Discrete(n_actions), config)


@pytest.fixture
def make_model() -> object:
    """The :func:`tiny_model` factory."""
    return tiny_model


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
