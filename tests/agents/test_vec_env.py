"""GymnasiumToSB3VecEnv: SB3's VecEnv over gymnasium vector envs (table and rooms)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_agents.intrinsic_ppo import IntrinsicPPO
from aisam_agents.vec_env import GymnasiumToSB3VecEnv, per_env_infos
from aisam_envs.errors import InvalidConfigError
from aisam_wrappers import make_bonus

TABLE = "aisam/TransitionTable-v0"
# random start states and stochastic transitions: seeds and resets show in the stream
TASK = {"n_states": 6, "n_actions": 3, "kind": "stochastic", "max_episode_steps": 7}


def table(mode: str = "NextStep", n: int = 3, **kwargs: Any) -> GymnasiumToSB3VecEnv:
    venv = gym.make_vec(
        TABLE, n, vectorization_mode="vector_entry_point", autoreset_mode=mode, **TASK, **kwargs
    )
    return GymnasiumToSB3VecEnv(venv)


def rollout(env: Any, steps: int = 40, seed: int = 5) -> list[tuple[Any, ...]]:
    """``(obs, rewards, dones, terminal obs, episode r/l)`` per step, fixed actions."""
    env.seed(seed)
    out = [(env.reset(),)]
    actions = np.random.default_rng(0).integers(0, 3, size=(steps, env.num_envs))
    for a in actions:
        obs, rewards, dones, infos = env.step(a)
        ends = [
            (i, int(info["terminal_observation"]), info["episode"]["r"], info["episode"]["l"])
            for i, info in enumerate(infos)
            if "episode" in info
        ]
        out.append((obs.copy(), rewards.copy(), dones.copy(), ends))
    return out


def assert_same(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x[0], y[0])
        if len(x) > 1:
            np.testing.assert_allclose(x[1], y[1], rtol=1e-6, atol=1e-7)
            np.testing.assert_array_equal(x[2], y[2])
            assert x[3] == y[3]


def test_matches_dummy_vec_env_in_both_autoreset_modes() -> None:
    single = DummyVecEnv([lambda: Monitor(gym.make(TABLE, **TASK))] * 3)
    expected = rollout(single)
    assert sum(len(step[3]) for step in expected[1:]) >= 6  # episodes ended along the way
    for mode in ("NextStep", "SameStep"):
        env = table(mode)
        assert env.same_step == (mode == "SameStep")
        assert_same(rollout(env), expected)  # NEXT_STEP's reset steps never show
        env.close()


def test_an_async_vector_env_steps_between_step_async_and_step_wait() -> None:
    """``step_async`` sends the actions to an env that steps asynchronously (so a bonus
    can learn meanwhile), with the same stream as the synchronous env; a wrapper around
    one is stepped whole, in ``step_wait`` (its ``step_async`` would skip the wrapper)."""
    from gymnasium.vector import AsyncVectorEnv
    from gymnasium.vector.async_vector_env import AsyncState

    def make(wrapped: bool = False) -> GymnasiumToSB3VecEnv:
        venv = gym.make_vec(TABLE, 3, vectorization_mode="async", **TASK)
        assert isinstance(venv, AsyncVectorEnv)
        return GymnasiumToSB3VecEnv(
            gym.wrappers.vector.RecordEpisodeStatistics(venv) if wrapped else venv
        )

    expected = rollout(table())
    env = make()
    assert_same(rollout(env), expected)
    env.step_async(np.zeros(3, dtype=np.int64))
    assert env.venv._state == AsyncState.WAITING_STEP  # sent, not yet waited for
    env.step_wait()
    env.close()
    wrapped = make(wrapped=True)
    wrapped.reset()
    wrapped.step_async(np.zeros(3, dtype=np.int64))
    assert wrapped.venv.env._state == AsyncState.DEFAULT
    wrapped.step_wait()
    wrapped.close()


def test_episode_ends_carry_last_step_info_and_time_limit_flag() -> None:
    env = table("SameStep", n=2)
    env.seed(0)
    env.reset()
    assert [set(i) for i in env.reset_infos] == [{"state"}, {"state"}]
    ended = []
    for _ in range(30):
        obs, _, dones, infos = env.step(np.zeros(2, dtype=np.int64))
        for i in np.flatnonzero(dones):
            info = infos[i]
            assert info["state"] == info["terminal_observation"]  # the last step's state
            assert env.reset_infos[i]["state"] == obs[i]  # the new episode's first
            assert info["TimeLimit.truncated"] == (info["episode"]["l"] == 7)
            ended.append(info["episode"]["l"])
        assert all("episode" not in infos[i] for i in np.flatnonzero(~dones))
    assert ended and max(ended) <= 7
    env.close()


class ScoreInInfo(gym.vector.VectorWrapper):
    """Reports ``raw_reward`` = 10 x the reward, as Montezuma's unclipped score."""

    def step(self, actions: Any) -> Any:
        obs, rewards, terminated, truncated, info = self.env.step(actions)
        return obs, rewards, terminated, truncated, {**info, "raw_reward": 10.0 * rewards}


def test_episode_return_is_the_raw_score_where_reported() -> None:
    task = {"n_states": 3, "n_actions": 2, "kind": "lock", "max_episode_steps": 5}
    venv = gym.make_vec(TABLE, 2, vectorization_mode="vector_entry_point", **task)
    env = GymnasiumToSB3VecEnv(ScoreInInfo(venv))
    env.seed(0)
    env.reset()
    returns, scores = np.zeros(2), []
    for a in np.random.default_rng(1).integers(0, 2, size=(60, 2)):
        _, rewards, dones, infos = env.step(a)
        returns += rewards
        for i in np.flatnonzero(dones):
            scores.append((infos[i]["episode"]["r"], 10.0 * returns[i]))
            returns[i] = 0.0
    assert any(r > 0 for r, _ in scores)  # some episodes were solved
    for got, want in scores:
        assert got == pytest.approx(want)
    env.close()


def test_seed_reset_and_options() -> None:
    env = table()
    assert env.seed(3) == [3, 4, 5]
    first = env.reset()
    env.seed(3)
    np.testing.assert_array_equal(env.reset(), first)
    env.set_options([{}, {}, {"reset_mask": np.ones(3, bool)}])
    with pytest.raises(InvalidConfigError, match="one options dict"):
        env.reset()
    env.close()


def test_attributes_methods_and_bad_input() -> None:
    env = table()
    assert env.get_attr("autoreset_mode", [0, 2]) == [gym.vector.AutoresetMode.NEXT_STEP] * 2
    assert env.env_is_wrapped(Monitor) == [True] * 3
    assert env.env_is_wrapped(gym.wrappers.TimeLimit, 1) == [False]
    env.set_attr("tag", 7)
    assert env.get_attr("tag") == [7, 7, 7]
    with pytest.raises(InvalidConfigError, match="sets all"):
        env.set_attr("tag", 8, indices=[0])
    calls = env.env_method("reset", seed=1, indices=[0, 1])  # the one vector env, once
    assert len(calls) == 2 and calls[0] is calls[1]
    env.close()
    sync = gym.make_vec(TABLE, 2, vectorization_mode="sync", n_states=4, kind="lock")
    wrapped = GymnasiumToSB3VecEnv(sync)  # SyncVectorEnv: per-env attributes and calls
    assert wrapped.get_attr("spec", 1)[0].id == TABLE
    assert len(wrapped.env_method("reset", seed=0)) == 2
    wrapped.close()
    with pytest.raises(InvalidConfigError, match="takes a gymnasium VectorEnv"):
        GymnasiumToSB3VecEnv(DummyVecEnv([lambda: gym.make(TABLE)]))  # type: ignore[arg-type]
    with pytest.raises(InvalidConfigError, match="step_async"):
        wrapped.step_wait()


def test_per_env_infos_follow_masks_and_nesting() -> None:
    info = {
        "a": np.array([1, 2, 3]),
        "b": np.array([4, 5, 6]),
        "_b": np.array([False, True, False]),
        "final_obs": np.zeros(3),
        "final_info": {"c": np.array([7, 8, 9]), "_c": np.array([True, False, False])},
        "_final_info": np.array([True, False, False]),
    }
    assert per_env_infos(info, 3) == [
        {"a": 1, "final_info": {"c": 7}},
        {"a": 2, "b": 5},
        {"a": 3},
    ]


def test_sb3_ppo_and_intrinsic_ppo_train_on_it() -> None:
    env = table("SameStep", n=4, obs_type="onehot")
    model = PPO("MlpPolicy", env, n_steps=16, batch_size=32, n_epochs=1, seed=0, device="cpu")
    model.learn(64)
    assert model.num_timesteps == 64 and len(model.ep_info_buffer) > 0
    split = make_bonus("prediction-error", table("NextStep", n=4, obs_type="onehot"), split=True)
    agent = IntrinsicPPO("MlpPolicy", split, n_steps=16, batch_size=32, n_epochs=1, seed=0)
    agent.learn(64)
    assert agent.num_timesteps == 64 and len(agent.ep_info_buffer) > 0
    env.close()
    split.close()


@pytest.mark.parametrize("mode", ["NextStep", "SameStep"])
def test_rooms_vector_env(mode: str) -> None:
    pytest.importorskip("ale_py")
    pytest.importorskip("cv2")
    venv = gym.make_vec(
        "aisam/Montezuma-Reduced-v0", 2, vectorization_mode="vector_entry_point",
        ram_info=True, running_jumps=True, num_workers=1, autoreset_mode=mode,
        max_num_frames_per_episode=60, noop_max=1,
    )  # fmt: skip
    env = GymnasiumToSB3VecEnv(venv)
    assert env.observation_space.shape == (4, 84, 84)
    assert env.env_method("get_action_meanings")[0][6:] == ["RIGHTFIRE", "LEFTFIRE"]
    env.seed(0)
    obs = env.reset()
    assert obs.shape == (2, 4, 84, 84) and obs.dtype == np.uint8
    lengths = []
    for _ in range(31):
        obs, rewards, dones, infos = env.step(np.array([3, 4]))
        for info in infos:
            assert {"room", "level", "lives", "inventory", "rooms_visited"} <= set(info)
        for i in np.flatnonzero(dones):
            assert infos[i]["terminal_observation"].shape == (4, 84, 84)
            assert infos[i]["TimeLimit.truncated"] and infos[i]["episode"]["r"] == 0.0
            assert env.reset_infos[i]["rooms_visited"] == 1
            lengths.append(infos[i]["episode"]["l"])
    assert lengths == [15, 15, 15, 15]  # 60 frames / frameskip 4, reset steps not counted
    env.close()
