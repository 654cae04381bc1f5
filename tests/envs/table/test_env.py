"""The single ``aisam/TransitionTable-v0`` env: API, checkers, determinism, bad input."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_envs.errors import InvalidActionError, InvalidConfigError, ResetNeededError

ID = "aisam/TransitionTable-v0"
OBS_TYPES = ["discrete", "onehot", "embedding"]


@pytest.mark.parametrize("obs_type", OBS_TYPES)
@pytest.mark.parametrize("kind", ["random", "stochastic", "lock", "clusters"])
def test_gymnasium_check_env_passes(kind: str, obs_type: str) -> None:
    check_env(gym.make(ID, kind=kind, obs_type=obs_type, n_states=16).unwrapped)


def test_render_modes() -> None:
    env = gym.make(ID, n_states=10, render_mode="rgb_array").unwrapped
    assert (env.render() == 0).all()  # before the first reset: state -1 shows as 0
    env.reset(seed=0)
    env.step(1)
    image = env.render()
    assert image.shape == (8, 32, 3) and image.dtype == np.uint8  # 4 binary digits for 0..9
    digits = [int(bit) for bit in f"{env.state:04b}"]
    np.testing.assert_array_equal(image[4, 4::8, 0], [255 * d for d in digits])
    text = gym.make(ID, n_states=10, render_mode="ansi").unwrapped
    text.reset(seed=0)
    assert text.render() == "state 0/10 (random table)"
    with pytest.raises(InvalidConfigError, match="render_mode must be None or one of"):
        gym.make(ID, render_mode="human_text")


def test_sb3_make_vec_env_asks_for_a_supported_render_mode() -> None:
    env_util = pytest.importorskip("stable_baselines3.common.env_util")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        venv = env_util.make_vec_env(ID, n_envs=2, env_kwargs={"n_states": 300})
    venv.reset()
    assert [image.shape for image in venv.get_images()] == [(8, 72, 3)] * 2


@pytest.mark.parametrize("obs_type", OBS_TYPES)
def test_sb3_check_env_passes(obs_type: str) -> None:
    sb3_env_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    env = gym.make(ID, kind="stochastic", obs_type=obs_type, n_states=16)
    sb3_env_checker.check_env(env, warn=False)


def test_observation_types_encode_the_state() -> None:
    onehot = gym.make(ID, obs_type="onehot", n_states=10)
    obs, info = onehot.reset(seed=0)
    assert obs.shape == (10,) and obs[info["state"]] == 1.0 and obs.sum() == 1.0
    emb = gym.make(ID, obs_type="embedding", obs_dim=8, n_states=1000, start_state=None)
    seen = {}
    for seed in range(50):
        obs, info = emb.reset(seed=seed)
        assert obs.shape == (8,) and obs.dtype == np.float32 and obs in emb.observation_space
        if info["state"] in seen:  # the same state always shows the same vector
            assert np.array_equal(seen[info["state"]], obs)
        seen[info["state"]] = obs
    vectors = np.stack(list(seen.values()))
    assert len(np.unique(vectors, axis=0)) == len(seen) > 40  # distinct states, distinct vectors
    assert abs(vectors.std() - 1.0) < 0.15  # unit variance per coordinate


def test_rewards_terminations_and_time_limit_follow_the_table() -> None:
    env = gym.make(ID, kind="lock", n_states=5, n_actions=2, table_seed=4)
    table = env.unwrapped.table
    _, q = table.value_iteration(0.9)
    obs, _ = env.reset(seed=0)
    total, steps, terminated = 0.0, 0, False
    while not terminated:
        obs, reward, terminated, truncated, info = env.step(int(q[obs].argmax()))
        total, steps = total + reward, steps + 1
        assert info["state"] == obs
    assert (total, steps, obs) == (1.0, 4, 4)
    env = gym.make(ID, kind="random", max_episode_steps=7)
    env.reset(seed=0)
    flags = [env.step(0)[3] for _ in range(7)]
    assert flags == [False] * 6 + [True]


def test_same_seed_same_trajectory() -> None:
    def rollout(seed: int) -> list[int]:
        env = gym.make(ID, kind="stochastic", n_states=50, start_state=None)
        obs, _ = env.reset(seed=seed)
        out = [obs]
        for i in range(200):
            obs, _, terminated, truncated, _ = env.step(i % 4)
            out.append(obs)
            if terminated or truncated:
                out.append(env.reset()[0])
        return out

    assert rollout(3) == rollout(3)
    assert rollout(3) != rollout(4)


def test_stochastic_transitions_sample_the_table_probabilities() -> None:
    env = gym.make(ID, kind="stochastic", n_states=8, n_actions=1, n_successors=3).unwrapped
    table = env.table
    counts = np.zeros(8)
    env.reset(seed=0)
    for _ in range(6000):
        env.reset()
        counts[env.step(0)[0]] += 1
    expected = np.zeros(8)
    np.add.at(expected, table.next_states[0, 0], table.probs[0, 0])
    assert np.abs(counts / counts.sum() - expected).max() < 0.03


def test_ready_made_table_is_used() -> None:
    from aisam_envs.table.tables import make_table

    table = make_table("lock", 7, 3, seed=9)
    assert gym.make(ID, table=table).unwrapped.table is table
    with pytest.raises(InvalidConfigError, match="must be a TransitionTable"):
        gym.make(ID, table="lock")


@pytest.mark.parametrize("action", [4, -1, 1.0, True, "0", np.array([1]), None])
def test_bad_actions_raise_clear_errors(action: object) -> None:
    env = gym.make(ID, n_actions=4).unwrapped
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match=r"\[0, 4\)"):
        env.step(action)


def test_numpy_integer_actions_are_accepted() -> None:
    env = gym.make(ID).unwrapped
    env.reset(seed=0)
    for action in (np.int64(1), np.int32(2), np.array(3), np.uint8(0)):
        env.step(action)


def test_step_after_termination_or_before_reset_raises() -> None:
    env = gym.make(ID, kind="random", n_states=2, n_actions=1, goal_states=[1]).unwrapped
    with pytest.raises(ResetNeededError, match="call reset"):
        env.step(0)
    env.reset(seed=0)
    while not env.step(0)[2]:  # walk until the goal ends the episode
        pass
    with pytest.raises(ResetNeededError, match="call reset"):
        env.step(0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"obs_type": "pixels"}, "unknown obs_type 'pixels'"),
        ({"obs_type": "embedding", "obs_dim": 2.5}, "obs_dim must be an int"),
        ({"obs_type": "embedding", "obs_dim": "4"}, "obs_dim must be an int"),
        ({"obs_type": "embedding", "obs_dim": 0}, r"obs_dim must be in \[1, 65536\]"),
        ({"table_seed": -1}, "table_seed must be >= 0"),
        ({"table_seed": 2.5}, "table_seed must be an int"),
        ({"table_seed": "a"}, "table_seed must be an int"),
        ({"table_seed": True}, "table_seed must be an int"),
        ({"start_state": 1.5}, "start_state must be an int"),
        ({"goal_reward": float("nan")}, "goal_reward must be (finite|a real number)"),
        ({"kind": "stochastic", "n_successors": 2.5}, "n_successors must be an int"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidConfigError, match=match):
        gym.make(ID, **kwargs)


def test_numpy_integer_seeds_are_accepted() -> None:
    kwargs = {"kind": "stochastic", "obs_type": "embedding", "obs_dim": 4, "start_state": None}
    plain = gym.make(ID, table_seed=3, **kwargs)
    numpy = gym.make(ID, table_seed=np.int64(3), **kwargs)
    assert np.array_equal(numpy.unwrapped.table.next_states, plain.unwrapped.table.next_states)
    assert np.array_equal(numpy.reset(seed=np.int64(5))[0], plain.reset(seed=5)[0])
    assert np.array_equal(numpy.step(1)[0], plain.step(1)[0])


@pytest.mark.parametrize(("seed", "match"), [(2.5, "an int"), (True, "an int"), (-1, ">= 0")])
def test_bad_reset_seed_raises(seed: object, match: str) -> None:
    with pytest.raises(InvalidConfigError, match=f"seed must be {match}"):
        gym.make(ID).reset(seed=seed)


def test_ppo_trains_on_it_through_make_vec_env() -> None:
    sb3 = pytest.importorskip("stable_baselines3")
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.evaluation import evaluate_policy

    kwargs = {"kind": "lock", "n_states": 4, "n_actions": 2, "table_seed": 1}
    venv = make_vec_env(ID, n_envs=4, seed=0, env_kwargs={**kwargs, "max_episode_steps": 20})
    model = sb3.PPO("MlpPolicy", venv, n_steps=64, batch_size=64, seed=0, learning_rate=3e-3)
    model.learn(3000)
    eval_env = gym.make(ID, **kwargs, max_episode_steps=20)
    mean, _ = evaluate_policy(model, eval_env, n_eval_episodes=5, deterministic=True)
    assert mean == 1.0  # the 3-digit lock is opened every time
