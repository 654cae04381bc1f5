"""Property-based bad input for every env: any constructor keywords and any ``step`` input
either work (and then the env runs, its observations in its space) or raise an aisam error
that names the argument; never a dependency's exception, a hang, or a silent wrong result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from fuzz import FAST, GARBAGE, call_or_aisam_error, keywords
from hypothesis import given
from hypothesis import strategies as st

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_envs.parity import ParityEnv
from aisam_envs.table.env import TransitionTableEnv
from aisam_envs.table.vector import TransitionTableVectorEnv

TABLE = {
    "n_states": [1, 2, 8, 64],
    "n_actions": [1, 2, 4],
    "kind": ["random", "stochastic", "lock", "clusters"],
    "table_seed": [0, 7],
    "obs_type": ["discrete", "onehot", "embedding"],
    "obs_dim": [1, 4, 16],
    "goal_states": [None, [0], (1, 2)],
    "goal_reward": [1.0, -0.5],
    "start_state": [0, None, 1],
    "render_mode": [None, "ansi"],
}
VECTOR = {
    **{k: v for k, v in TABLE.items() if k != "render_mode"},
    "num_envs": [1, 3],
    "max_episode_steps": [None, 1, 5],
    "autoreset_mode": ["NextStep", "SameStep", "Disabled"],
    "backend": ["numpy"],
    "device": [None],
}
PARITY = {
    "n_bits": [1, 4, 8],
    "min_active": [0, 1, 2],
    "max_active": [None, 2, 8],
    "episode_length": [1, 3],
    "render_mode": [None, "ansi"],
}
ALIASES = {"kind": "kind", "autoreset_mode": "autoreset_mode"}


def run_a_little(env: gym.Env | gym.vector.VectorEnv) -> None:
    """Reset and three sampled steps: every observation in the space, rewards finite."""
    space = env.observation_space
    obs, _ = env.reset(seed=0)
    assert space.contains(obs), f"reset's observation is not in {space}"
    env.action_space.seed(0)
    for _ in range(3):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        assert space.contains(obs), f"step's observation is not in {space}"
        assert np.all(np.isfinite(reward))
        if isinstance(env, gym.Env) and (terminated or truncated):
            env.reset()
    env.close()


def check_constructor(make: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    env = call_or_aisam_error(lambda: make(**kwargs), kwargs, ALIASES)
    if env is not None:
        run_a_little(env)
    return env


@FAST
@given(keywords(TABLE))
def test_transition_table_env_keywords(kwargs: dict[str, Any]) -> None:
    check_constructor(TransitionTableEnv, kwargs)


@FAST
@given(keywords(VECTOR))
def test_transition_table_vector_env_keywords(kwargs: dict[str, Any]) -> None:
    check_constructor(TransitionTableVectorEnv, kwargs)


@FAST
@given(keywords(PARITY))
def test_parity_env_keywords(kwargs: dict[str, Any]) -> None:
    check_constructor(ParityEnv, kwargs)


def check_step(env: Any, action: Any) -> None:
    """``step(action)`` works (observation in the space) or raises an aisam error about the
    action; either way the env goes on."""
    env.reset(seed=0)
    result = call_or_aisam_error(lambda: env.step(action), ["action"], {"action": "actions"})
    if result is not None:
        assert env.observation_space.contains(result[0])
        if isinstance(env, gym.Env) and (result[2] or result[3]):
            env.reset()
    env.reset(seed=0)
    env.step(env.action_space.sample())  # a bad action broke nothing


ACTIONS = st.one_of(GARBAGE, st.integers(-10, 10), st.lists(st.integers(-2, 5), max_size=4))


@FAST
@given(action=ACTIONS)
def test_single_env_step_inputs(action: Any) -> None:
    for env in _single_envs():
        check_step(env, action)


@FAST
@given(action=st.one_of(ACTIONS, st.lists(st.floats(width=32), min_size=3, max_size=3)))
def test_vector_env_step_inputs(action: Any) -> None:
    env = _vector_env()
    check_step(env, action if not isinstance(action, list) else np.asarray(action))


_CACHE: dict[str, Any] = {}


def _single_envs() -> list[gym.Env]:
    if "single" not in _CACHE:
        envs = [TransitionTableEnv(n_states=8, n_actions=3), ParityEnv(n_bits=4)]
        for env in envs:
            env.reset(seed=0)
        _CACHE["single"] = envs
    return _CACHE["single"]


def _vector_env() -> gym.vector.VectorEnv:
    if "vector" not in _CACHE:
        env = TransitionTableVectorEnv(num_envs=3, n_states=8, n_actions=3)
        env.reset(seed=0)
        _CACHE["vector"] = env
    return _CACHE["vector"]


@pytest.fixture(scope="module", autouse=True)
def _close_cached() -> Any:
    yield
    for env in [*_CACHE.get("single", []), _CACHE.get("vector")]:
        if env is not None:
            env.close()
