"""The ``noisy_tv`` table kind: a few TV states with irreducible noise, reachable from the start."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_envs.errors import InvalidConfigError
from aisam_envs.table.tables import make_table


def test_tv_rows_are_uniform_over_distinct_other_states_and_the_rest_deterministic() -> None:
    t = make_table("noisy_tv", 100, 3, seed=4, n_tv=3, n_noise=20)
    assert t.next_states.shape == (100, 3, 20)
    for s in (1, 2, 3):
        for a in range(3):
            succ = t.next_states[s, a]
            assert len(set(succ.tolist())) == 20
            assert not np.isin(succ, [1, 2, 3]).any()
            np.testing.assert_allclose(t.probs[s, a], 1 / 20, rtol=1e-6)
    entropy = t.transition_entropy()
    np.testing.assert_allclose(entropy[1:4], np.log(20), rtol=1e-5)
    assert np.abs(entropy[0]).max() < 1e-6 and np.abs(entropy[4:]).max() < 1e-6
    assert (t.probs[4:, :, 0] == 1).all()


def test_a_tv_is_reachable_from_the_start_in_one_step() -> None:
    t = make_table("noisy_tv", 50, 2, seed=0, n_tv=2, n_noise=10)
    assert t.next_states[0, 0, 0] == 1 and t.probs[0, 0, 0] == 1
    assert t.distances()[1] == 1 and t.reachable()[1]


def test_the_env_draws_the_tv_noise_uniformly() -> None:
    env = gym.make("aisam/TransitionTable-v0", n_states=40, n_actions=2, kind="noisy_tv",
                   n_tv=1, n_noise=8, max_episode_steps=2)  # fmt: skip
    noise = set(env.unwrapped.table.next_states[1, 0].tolist())
    seen = []
    env.reset(seed=3)
    for _ in range(1600):
        env.reset()
        env.step(0)  # 0 -> TV 1
        seen.append(env.step(1)[4]["state"])
    assert set(seen) == noise
    counts = np.unique(seen, return_counts=True)[1]
    assert counts.min() > 0.6 * 200 and counts.max() < 1.4 * 200


def test_same_seed_same_table() -> None:
    a, b = (make_table("noisy_tv", 60, 3, seed=7, n_noise=12) for _ in range(2))
    assert np.array_equal(a.next_states, b.next_states) and np.array_equal(a.probs, b.probs)


@pytest.mark.parametrize(
    "params", [{"n_tv": 0}, {"n_tv": 99}, {"n_noise": 1}, {"n_noise": 97}, {"n_tv": 1.5}]
)
def test_bad_parameters_are_refused(params: dict) -> None:
    with pytest.raises(InvalidConfigError):
        make_table("noisy_tv", 100, 3, **params)
