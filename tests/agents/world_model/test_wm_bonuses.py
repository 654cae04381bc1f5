"""The world model plugs into the intrinsic-reward wrappers as a PredictiveModel."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import aisam_envs  # noqa: F401  (registers the ids)

wrappers = pytest.importorskip("aisam_wrappers")


def test_world_model_is_a_predictive_model(make_model) -> None:
    assert isinstance(make_model(16, 4), wrappers.PredictiveModel)


@pytest.mark.parametrize("bonus", ["PredictionErrorBonus", "EntropyBonus"])
def test_bonuses_run_on_the_world_model(make_model, bonus: str) -> None:
    env = gym.make("aisam/TransitionTable-v0", n_states=16, n_actions=4, kind="random")
    model = make_model(16, 4)
    env = getattr(wrappers, bonus)(env, model=model)
    env.reset(seed=0)
    intrinsic = []
    for t in range(80):
        _, _, terminated, truncated, info = env.step(t % 4)
        intrinsic.append(info["intrinsic_reward"])
        if terminated or truncated:
            env.reset()
    assert np.isfinite(intrinsic).all() and np.ptp(intrinsic) > 0
