"""``ExplorationMetrics``: scores, states, places and intrinsic reward from any SB3 run."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.logger import configure

from aisam_agents.callbacks import COLUMNS, ExplorationMetrics
from aisam_envs.errors import InvalidConfigError
from aisam_wrappers import SatiationBonus


class Rooms(gym.Env[np.ndarray, int]):
    """Episodes of 4 steps walking rooms 0..3 (level 1 from the second episode on) and
    maps ``step % 2``, with ``badges`` = the episode's index; reward 1 per episode."""

    observation_space = spaces.Box(0.0, 1.0, (1,), np.float32)
    action_space = spaces.Discrete(2)

    def __init__(self) -> None:
        self.t = 0
        self.episode = -1

    def reset(self, *, seed: int | None = None, options: Any = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self.t = 0
        self.episode += 1
        return np.zeros(1, np.float32), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        self.t += 1
        info = {
            "room": self.t - 1,
            "level": min(self.episode, 1),
            "map_id": self.t % 2,
            "badges": self.episode,
        }
        done = self.t == 4
        return np.zeros(1, np.float32), float(done), done, False, info


def _learn(env: Any, metrics: ExplorationMetrics, steps: int, tmp_path: Path) -> PPO:
    model = PPO("MlpPolicy", env, n_steps=16, batch_size=16, n_epochs=1, seed=0)
    model.set_logger(configure(str(tmp_path / "log"), ["csv"]))
    model.learn(steps, callback=metrics)
    return model


def test_places_scores_and_episodes_are_counted(tmp_path: Path) -> None:
    metrics = ExplorationMetrics(tmp_path / "metrics.csv", record_every=32)
    _learn(make_vec_env(Rooms, n_envs=2, seed=0), metrics, 64, tmp_path)
    summary = metrics.summary()
    # 64 steps / 4 per episode = 16 episodes, 8 per env (episodes 0..7 of each)
    assert summary["episodes"] == 16 and summary["solved"] == 16
    assert summary["steps"] == 64 and summary["first_solve_step"] == 8
    assert summary["score_mean"] == 1.0 and summary["episode_length_mean"] == 4.0
    assert summary["rooms_total"] == 8  # rooms 0..3 at levels 0 and 1
    assert summary["rooms_per_episode_mean"] == 4.0 and summary["rooms_per_episode_max"] == 4
    assert summary["maps_total"] == 2 and summary["maps_per_episode_max"] == 2
    assert summary["badges_max"] == 7.0
    assert "states_discovered" not in summary  # the env reports no info["state"]
    assert "intrinsic_reward_mean" not in summary  # no bonus
    assert summary["steps_per_second"] > 0


def test_records_go_to_the_csv_and_to_sb3s_logger(tmp_path: Path) -> None:
    metrics = ExplorationMetrics(tmp_path / "metrics.csv", record_every=32)
    _learn(make_vec_env(Rooms, n_envs=2, seed=0), metrics, 64, tmp_path)
    with (tmp_path / "metrics.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == COLUMNS
    assert [int(r["steps"]) for r in rows] == [32, 64]
    assert rows[0]["episodes"] == "8" and rows[0]["states_discovered"] == ""
    with (tmp_path / "log" / "progress.csv").open() as f:
        logged = list(csv.DictReader(f))
    assert {"exploration/rooms_total", "exploration/score_mean"} <= set(logged[0])
    assert logged[-1]["exploration/rooms_total"] == "8"


def test_table_states_and_the_intrinsic_reward_are_logged(tmp_path: Path) -> None:
    import aisam_envs  # noqa: F401  (registers the ids)

    env = make_vec_env("aisam/TransitionTable-v0", n_envs=2, seed=0, env_kwargs={"n_states": 6})
    metrics = ExplorationMetrics()
    _learn(SatiationBonus(env, intrinsic_coef=0.1), metrics, 64, tmp_path)
    summary = metrics.summary()
    assert 1 <= summary["states_discovered"] <= 6
    assert summary["states_discovered"] == len(metrics.states)
    assert summary["intrinsic_reward_mean"] > 0
    assert "rooms_total" not in summary and "badges_max" not in summary


def test_training_end_records_what_the_last_rollout_did_not(tmp_path: Path) -> None:
    metrics = ExplorationMetrics(tmp_path / "metrics.csv", record_every=100)
    _learn(make_vec_env(Rooms, n_envs=2, seed=0), metrics, 64, tmp_path)
    with (tmp_path / "metrics.csv").open() as f:
        assert [int(r["steps"]) for r in csv.DictReader(f)] == [64]


class LifeLost(gym.Wrapper[np.ndarray, int, np.ndarray, int]):
    """Ends the agent's episode after every 2nd step while the game (the inner episode,
    which the ``Monitor`` inside sees) goes on, as SB3's ``EpisodicLifeEnv`` does."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.game_over = True

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.game_over = terminated or truncated
        return obs, reward, self.game_over or info["room"] % 2 == 1, truncated, info

    def reset(self, **kwargs: Any) -> tuple[np.ndarray, dict]:
        if self.game_over:
            return self.env.reset(**kwargs)
        return np.zeros(1, np.float32), {}  # a life lost: the game goes on


def test_an_episode_is_the_monitors_not_a_life(tmp_path: Path) -> None:
    env = make_vec_env(Rooms, n_envs=2, seed=0, wrapper_class=LifeLost)
    metrics = ExplorationMetrics()
    _learn(env, metrics, 64, tmp_path)
    summary = metrics.summary()
    assert summary["episodes"] == 16 and summary["episode_length_mean"] == 4.0
    assert summary["rooms_per_episode_max"] == 4  # not 2: a life lost starts no episode


def test_record_every_is_checked() -> None:
    with pytest.raises(InvalidConfigError, match="record_every must be >= 1"):
        ExplorationMetrics(record_every=0)


def test_agents_without_rollouts_get_a_row_every_record_every_steps(tmp_path: Path) -> None:
    """LearnMax's ``learn`` is one long loop of env steps with no rollout ends: the rows
    come every ``record_every`` env steps all the same."""
    from aisam_agents import LearnMax

    env = make_vec_env(Rooms, n_envs=2, seed=0)
    metrics = ExplorationMetrics(tmp_path / "metrics.csv", record_every=32)
    LearnMax("auto", env, seed=0, device="cpu", learning_starts=16).learn(128, callback=metrics)
    with (tmp_path / "metrics.csv").open() as handle:
        steps = [int(row["steps"]) for row in csv.DictReader(handle)]
    assert steps == [32, 64, 96, 128]
