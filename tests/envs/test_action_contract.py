"""Gymnasium's contract, for every env and native vector env: any ``action_space.sample()``
is a valid step (SB3's ``check_env``, plain PPO/DQN/A2C and random agents rely on it)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import aisam_envs  # noqa: F401  (registers the ids)

pytestmark = pytest.mark.filterwarnings("ignore:.*is not fully supported:UserWarning")

STEPS = 60
TW_GAME = {"world_size": 3, "nb_objects": 5, "quest_length": 2, "game_seed": 1}
MZ = ("aisam/Montezuma-Reduced-v0", "aisam/Montezuma-ReducedNoFrameskip-v0")
TW = "aisam/TextWorld-v0"


def _needs(module: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(importlib.util.find_spec(module) is None, reason=f"needs {module}")


SINGLE = [
    pytest.param("aisam/TransitionTable-v0", {}, id="table"),
    pytest.param("aisam/TransitionTable-v0", {"kind": "lock", "obs_type": "onehot"}, id="lock"),
    pytest.param(
        "aisam/TransitionTable-v0",
        {"kind": "clusters", "obs_type": "embedding", "n_actions": 7},
        id="clusters",
    ),
    pytest.param("aisam/TransitionTable-v0", {"kind": "stochastic"}, id="stochastic"),
    pytest.param("aisam/Parity-v0", {}, id="parity"),
    pytest.param("aisam/Parity-v0", {"n_bits": 8, "episode_length": 3}, id="parity-8"),
    *(
        pytest.param(
            env_id,
            {"obs_type": "ram", "running_jumps": jumps},
            id=f"{env_id[6:]}-jumps{int(jumps)}",
            marks=_needs("ale_py"),
        )
        for env_id in MZ
        for jumps in (False, True)
    ),  # fmt: skip
    *(
        pytest.param(
            TW,
            {**TW_GAME, "action_mode": mode, "obs_type": obs, "max_actions": 16},
            id=f"textworld-{mode}-{obs}",
            marks=_needs("textworld"),
        )
        for mode in ("index", "text")
        for obs in ("tokens", "text")
    ),  # fmt: skip
]


def _run(
    env: Any, reset: Callable[[], Any], check_obs: Callable[[Any], bool]
) -> list[dict[str, Any]]:
    """``STEPS`` steps of sampled actions; asserts each is a well-formed step."""
    obs, _ = reset()
    assert check_obs(obs)
    env.action_space.seed(0)
    infos = []
    for _ in range(STEPS):
        action = env.action_space.sample()
        assert action in env.action_space
        obs, reward, terminated, truncated, info = env.step(action)
        assert check_obs(obs)
        assert np.all(np.isfinite(reward))
        infos.append(info)
        if np.ndim(terminated) == 0 and (terminated or truncated):
            obs, _ = reset()
    return infos


@pytest.mark.parametrize(("env_id", "kwargs"), SINGLE)
def test_any_sampled_action_is_a_valid_step(env_id: str, kwargs: dict[str, Any]) -> None:
    env = gym.make(env_id, **kwargs)
    infos = _run(env, lambda: env.reset(seed=0), lambda obs: obs in env.observation_space)
    if kwargs.get("action_mode") == "index":  # most samples lie past the admissible list
        assert any(info["invalid_action"] for info in infos)
        assert not all(info["invalid_action"] for info in infos)
    env.close()


def test_any_sampled_action_is_a_valid_step_pokemon(make_env: Callable[..., Any]) -> None:
    env = make_env()
    _run(env, lambda: env.reset(seed=0), lambda obs: obs in env.observation_space)


VECTOR = [
    pytest.param("aisam/TransitionTable-v0", "vector_entry_point", {}, id="table"),
    *(
        pytest.param(
            MZ[0],
            "vector_entry_point",
            {"running_jumps": jumps, "num_threads": 1},
            id=f"montezuma-jumps{int(jumps)}",
            marks=_needs("ale_py"),
        )
        for jumps in (False, True)
    ),  # fmt: skip
    pytest.param(
        MZ[0],
        "vector_entry_point",
        {"ram_info": True, "running_jumps": True, "num_workers": 2},
        id="montezuma-rooms",
        marks=_needs("ale_py"),
    ),
    pytest.param("aisam/Parity-v0", "sync", {}, id="parity-sync"),
    pytest.param(
        TW,
        "sync",
        {**TW_GAME, "action_mode": "index", "obs_type": "tokens", "max_actions": 16},
        id="textworld-sync",
        marks=_needs("textworld"),
    ),
]


@pytest.mark.parametrize(("env_id", "mode", "kwargs"), VECTOR)
def test_any_sampled_batch_is_a_valid_vector_step(
    env_id: str, mode: str, kwargs: dict[str, Any]
) -> None:
    env = gym.make_vec(env_id, num_envs=3, vectorization_mode=mode, **kwargs)
    _run(env, lambda: env.reset(seed=0), lambda obs: obs in env.observation_space)
    env.close()
