"""aisam/Parity-v0: spaces, parity labels, difficulty range, seeding, errors."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_envs.errors import InvalidActionError, InvalidConfigError, ResetNeededError
from aisam_envs.parity import ParityEnv, sample_parity


def test_passes_gymnasium_check_env() -> None:
    check_env(gym.make("aisam/Parity-v0", n_bits=6, render_mode="rgb_array").unwrapped)


def test_rgb_array_shows_the_question() -> None:
    env = ParityEnv(n_bits=6, min_active=3, max_active=3, render_mode="rgb_array")
    obs, _ = env.reset(seed=1)
    image = env.render()
    assert image.shape == (8, 48, 3) and image.dtype == np.uint8
    expected = {-1.0: 0, 0.0: 128, 1.0: 255}
    np.testing.assert_array_equal(image[4, 4::8, 0], [expected[v] for v in obs])
    assert (image == image[:1, :, :1]).all()  # flat grey-level cells
    assert ParityEnv(n_bits=6).render() is None


def test_sb3_make_vec_env_renders_without_warnings() -> None:
    env_util = pytest.importorskip("stable_baselines3.common.env_util")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SB3 asks for render_mode="rgb_array"
        venv = env_util.make_vec_env("aisam/Parity-v0", n_envs=2, env_kwargs={"n_bits": 4})
    venv.reset()
    assert [image.shape for image in venv.get_images()] == [(8, 32, 3)] * 2


def test_unknown_render_mode_is_refused() -> None:
    with pytest.raises(InvalidConfigError, match="render_mode must be None or one of"):
        ParityEnv(render_mode="ansi")


def test_sample_parity_labels_and_difficulty() -> None:
    x, parity, n_active = sample_parity(np.random.default_rng(0), 2000, 10, 3, 7)
    assert x.shape == (2000, 10) and x.dtype == np.float32
    assert set(np.unique(x)) <= {-1.0, 0.0, 1.0}
    np.testing.assert_array_equal(np.count_nonzero(x, axis=1), n_active)
    np.testing.assert_array_equal(parity, (x == 1).sum(1) % 2)
    assert n_active.min() == 3 and n_active.max() == 7
    assert 0.4 < parity.mean() < 0.6


def test_reward_is_one_for_the_right_answer_only() -> None:
    env = ParityEnv(n_bits=5, episode_length=3)
    obs, info = env.reset(seed=0)
    total = 0.0
    for t in range(3):
        answer = int((obs == 1).sum() % 2)
        assert np.count_nonzero(obs) == info["n_active"]
        obs, reward, terminated, truncated, info = env.step(answer if t != 1 else 1 - answer)
        total += reward
        assert terminated == (t == 2) and not truncated
        assert info["correct"] == (t != 1)
    assert total == 2.0
    with pytest.raises(ResetNeededError):
        env.step(0)


def test_extrapolation_range_and_seeding() -> None:
    env = ParityEnv(n_bits=12, min_active=7, max_active=12)
    first = [env.reset(seed=5)[0] for _ in range(2)]
    np.testing.assert_array_equal(first[0], first[1])
    counts = [env.reset()[1]["n_active"] for _ in range(300)]
    assert min(counts) >= 7 and max(counts) == 12


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_bits": 0},
        {"n_bits": 4, "min_active": 0},
        {"n_bits": 4, "max_active": 5},
        {"n_bits": 4, "min_active": 3, "max_active": 2},
        {"episode_length": 0},
        {"n_bits": 8.7},
        {"n_bits": True},
        {"min_active": 1.9},
        {"max_active": 2.5},
        {"episode_length": 2.5},
        {"episode_length": float("nan")},
        {"episode_length": float("inf")},
    ],  # fmt: skip
)
def test_bad_config_is_rejected(kwargs: dict) -> None:
    with pytest.raises(InvalidConfigError):
        ParityEnv(**kwargs)


def test_numpy_integers_are_accepted() -> None:
    env = ParityEnv(n_bits=np.int64(6), min_active=np.int32(2), episode_length=np.uint8(3))
    assert (env.n_bits, env.min_active, env.max_active, env.episode_length) == (6, 2, 6, 3)
    assert type(env.n_bits) is int and env.observation_space.shape == (6,)
    np.testing.assert_array_equal(env.reset(seed=np.int64(4))[0], env.reset(seed=4)[0])
    with pytest.raises(InvalidConfigError, match="seed must be an int"):
        env.reset(seed=2.5)


@pytest.mark.parametrize("action", [2, -1, 0.5, True, np.array([1])])
def test_bad_action_is_rejected(action: object) -> None:
    env = ParityEnv()
    env.reset(seed=0)
    with pytest.raises(InvalidActionError):
        env.step(action)
