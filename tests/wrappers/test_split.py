"""Split mode: the reward stays extrinsic, the intrinsic stream travels in info and on the
wrapper (``last_intrinsic``), and the two add up to the mixed reward."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from bonus_helpers import ScriptedEnv
from gymnasium.vector import SyncVectorEnv
from stable_baselines3.common.vec_env import DummyVecEnv
from tolerance import F32

from aisam_wrappers import (
    EntropyBonus,
    InvalidConfigError,
    PredictionErrorBonus,
    SatiationBonus,
    find_bonus,
    make_bonus,
)

REWARDS = [0.0, 1.0, 0.0, 2.0, 0.5] * 8  # the scripted env's reward at each step
BONUSES: dict[str, Callable[..., Any]] = {
    "satiation": SatiationBonus,
    "rnd": lambda env, **kw: PredictionErrorBonus(env, train_batch=4, **kw),
    "entropy": EntropyBonus,
}
COEFS = {"extrinsic_coef": 2.0, "intrinsic_coef": 0.5}


def _run(kind: str, bonus: str, split: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """Agent rewards, info intrinsic rewards and ``last_intrinsic`` over 30 steps of 2 envs
    (one for ``single``), all ``(steps, n_envs)``; and the wrapped env."""
    make = lambda: ScriptedEnv(rewards=REWARDS)  # noqa: E731
    actions = np.random.default_rng(0).integers(0, 8, (30, 2))
    rewards, infos, lasts = [], [], []
    if kind == "single":
        env = BONUSES[bonus](make(), split=split, **COEFS)
        env.reset(seed=0)
        for a in actions[:, 0]:
            _, r, _, _, info = env.step(int(a))
            rewards.append([r]), infos.append([info["intrinsic_reward"]])
            lasts.append(env.last_intrinsic.copy())
    elif kind == "vector":
        env = BONUSES[bonus](SyncVectorEnv([make, make]), split=split, **COEFS)
        env.reset(seed=0)
        for a in actions:
            _, r, _, _, info = env.step(a)
            rewards.append(r), infos.append(info["intrinsic_reward"])
            assert env.last_intrinsic is info["intrinsic_reward"]  # one array, no copy
            lasts.append(env.last_intrinsic)
    else:
        env = BONUSES[bonus](DummyVecEnv([make, make]), split=split, **COEFS)
        env.reset()
        for a in actions:
            _, r, _, step_infos = env.step(a)
            rewards.append(r), infos.append([i["intrinsic_reward"] for i in step_infos])
            lasts.append(env.last_intrinsic)
    return np.array(rewards), np.array(infos), np.array(lasts), env


@pytest.mark.parametrize("bonus", list(BONUSES))
@pytest.mark.parametrize("kind", ["single", "vector", "sb3"])
def test_split_streams_add_up_to_the_mixed_reward(kind: str, bonus: str) -> None:
    mixed, mixed_int, _, _ = _run(kind, bonus, split=False)
    reward, intrinsic, last, env = _run(kind, bonus, split=True)
    extrinsic = np.broadcast_to(np.array(REWARDS[:30])[:, None], reward.shape)
    np.testing.assert_allclose(reward, 2.0 * extrinsic, **F32)  # the extrinsic part only
    np.testing.assert_allclose(intrinsic, 0.5 * mixed_int, **F32)  # normalised, times its coef
    np.testing.assert_allclose(reward + intrinsic, mixed, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(last, intrinsic, **F32)
    assert np.ptp(intrinsic) > 0
    assert find_bonus(env).last_intrinsic is env.last_intrinsic


def test_split_must_be_a_bool_and_none_cannot_split() -> None:
    with pytest.raises(InvalidConfigError, match="split"):
        SatiationBonus(ScriptedEnv(), split="yes")
    env = gym.make("FrozenLake-v1")
    assert make_bonus("none", env) is env
    with pytest.raises(InvalidConfigError, match="no intrinsic reward to split"):
        make_bonus("none", env, split=True)
