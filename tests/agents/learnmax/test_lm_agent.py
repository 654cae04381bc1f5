"""LearnMax: construction checks, learning smoke test, predict, determinism, save/load."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_agents.errors import CheckpointError
from aisam_agents.learnmax import LearnMax, SalientEvent
from aisam_agents.world_model import WorldModel, WorldModelConfig
from aisam_envs.errors import InvalidConfigError

TABLE = "aisam/TransitionTable-v0"


def table_env(**kwargs) -> gym.Env:
    return gym.make(TABLE, **{"n_states": 32, "n_actions": 3, **kwargs})


def agent(env=None, **kwargs) -> LearnMax:
    kwargs = {"seed": 0, "device": "cpu", "learning_starts": 16, "batch_size": 8, **kwargs}
    return LearnMax("auto", env or table_env(), **kwargs)


class ContinuousActions(gym.Env):
    observation_space = spaces.Discrete(4)
    action_space = spaces.Box(-1, 1, (1,))

    def reset(self, *, seed=None, options=None):
        return 0, {}

    def step(self, action):
        return 0, 0.0, False, False, {}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"horizon": 0},
        {"width": 0},
        {"train_ratio": 0.0},
        {"train_ratio": -1.0},
        {"criterion": "surprise"},
        {"prior_count": 0.0},
        {"horizon": 9},  # beyond the tiny model's 8 frames
        {"epsilon": 1.5},
        {"discount": 0.0},
        {"world_model": 3},
        {"world_model": "huge"},
    ],
)
def test_bad_settings_are_refused_at_construction(kwargs: dict) -> None:
    with pytest.raises(InvalidConfigError):
        agent(**kwargs)


def test_bad_envs_and_models_are_refused() -> None:
    with pytest.raises(InvalidConfigError, match="Discrete action"):
        LearnMax("auto", ContinuousActions(), device="cpu")
    other = WorldModel(spaces.Discrete(10), spaces.Discrete(3), WorldModelConfig(device="cpu"))
    with pytest.raises(InvalidConfigError, match="built for"):
        agent(world_model=other)
    with pytest.raises(InvalidConfigError, match="policy"):
        LearnMax("LstmPolicy", table_env(), device="cpu")
    with pytest.raises(InvalidConfigError, match="vector env"):
        LearnMax("auto", gym.make_vec(TABLE, 2), device="cpu")


class Counter(BaseCallback):
    def _on_step(self) -> bool:
        return True


def test_learns_on_the_default_table() -> None:
    """A short learn() on the registered default table: the model trains and fits it."""
    env = gym.make(TABLE)
    a = LearnMax("auto", env, seed=0, device="cpu", train_ratio=0.5, batch_size=16)
    callback = Counter()
    assert a.learn(400, callback=callback, progress_bar=True) is a
    assert a.num_timesteps == 400 and callback.n_calls == 400
    assert a.learner.n_updates >= 150 and a.imagined_transitions > 0
    assert a.logger.name_to_value or a.logger.name_to_count is not None
    truth = env.unwrapped.table
    states = np.repeat(np.arange(truth.n_states), truth.n_actions)
    actions = np.tile(np.arange(truth.n_actions), truth.n_states)
    pred = a.model.predict_next(states, actions).logits[:, 0].argmax(-1).numpy()
    accuracy = (pred == truth.next_states[states, actions, 0]).mean()
    assert accuracy > 0.2  # from chance (1/64) after 400 steps of a 64 x 4 table


def test_predict_single_and_batched_with_histories() -> None:
    a = agent()
    action, state = a.predict(5, deterministic=True)
    assert np.ndim(action) == 0 and 0 <= action < 3
    actions, state = a.predict(np.array([1, 2]), deterministic=True)
    assert actions.shape == (2,)
    actions2, state2 = a.predict(np.array([3, 4]), state, np.array([False, True]))
    frames, past, lengths = state2
    assert lengths.tolist() == [2, 1] and frames[0, -2:].tolist() == [1, 3]
    assert past[0, -2] == actions[0] and past[:, -1].tolist() == actions2.tolist()


def _params(a: LearnMax) -> list[torch.Tensor]:
    heads = [] if a.heads is None else list(a.heads.state_dict().values())
    value = [] if a.value is None else list(a.value.state_dict().values())
    return list(a.model.state_dict().values()) + heads + value


def test_same_seed_same_run_other_seed_other_run() -> None:
    runs = [agent(seed=s).learn(120) for s in (3, 3, 4)]
    for x, y in zip(_params(runs[0]), _params(runs[1]), strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=0)
    assert any(
        not torch.equal(x, y) for x, y in zip(_params(runs[0]), _params(runs[2]), strict=True)
    )
    obs = np.arange(8)
    assert np.array_equal(runs[0].predict(obs)[0], runs[1].predict(obs)[0])


def test_save_load_round_trip(tmp_path) -> None:
    a = agent(plan_to_salient=True, leaf_value=True, discount=0.9).learn(150)
    a.salient_events.append(SalientEvent(7, 0, np.array(4), 5.0))
    path = tmp_path / "lm.pt"
    a.save(path)
    b = LearnMax.load(path, env=table_env(), device="cpu")
    for x, y in zip(_params(a), _params(b), strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=0)
    assert (b.num_timesteps, b.learner.n_updates) == (a.num_timesteps, a.learner.n_updates)
    assert b.params == a.params and b.seed == a.seed
    torch.testing.assert_close(b.counts.counts, a.counts.counts, rtol=0, atol=0)
    assert [(e.timestep, e.env, e.observation.tolist(), e.change) for e in b.salient_events] == [
        (e.timestep, e.env, e.observation.tolist(), e.change) for e in a.salient_events
    ]
    obs = np.arange(10)
    assert np.array_equal(a.predict(obs)[0], b.predict(obs)[0])  # same random streams too
    assert b.learn(100, reset_num_timesteps=False).num_timesteps == a.num_timesteps + 100
    c = LearnMax.load(path, device="cpu")  # no env: predict only
    assert np.array_equal(
        c.predict(obs, deterministic=True)[0], a.predict(obs, deterministic=True)[0]
    )


def test_damaged_or_foreign_files_are_checkpoint_errors(tmp_path) -> None:
    a = agent()
    path = tmp_path / "lm.pt"
    a.save(path)
    data = path.read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    torch.save({"format": "something else"}, tmp_path / "other.pt")
    payload = torch.load(path, weights_only=True)
    payload["world_model"] = {"nonsense": torch.zeros(1)}
    torch.save(payload, tmp_path / "bad_weights.pt")
    for name in ("cut.pt", "other.pt", "bad_weights.pt", "missing.pt"):
        with pytest.raises(CheckpointError):
            LearnMax.load(tmp_path / name, device="cpu")
    with pytest.raises(InvalidConfigError, match="holds an agent"):
        LearnMax.load(path, env=table_env(n_states=40), device="cpu")


def test_plan_to_salient_values_imagined_frames_that_match_a_salient_state() -> None:
    a = agent(plan_to_salient=True, salient_coef=2.0, criterion="entropy")
    a.salient_events.append(SalientEvent(0, 0, np.array(9), 6.0))
    dist = a.model.predict_next(np.array([1, 1]), np.array([0, 0]))
    score = a._score()(
        dist, torch.tensor([[1], [1]]), torch.tensor([0, 0]), torch.tensor([[9], [8]])
    )
    np.testing.assert_allclose(float(score[0] - score[1]), 2.0, rtol=1e-6)


def test_salient_events_are_recorded_with_their_step_and_env() -> None:
    venv = make_vec_env(TABLE, 2, seed=0, env_kwargs={"n_states": 32, "n_actions": 3})
    a = agent(venv, salience_threshold=2.0, train_ratio=0.25).learn(400)
    assert a.salient_events, "a 2-sigma threshold marks some of 400 steps"
    for e in a.salient_events:
        assert 0 <= e.timestep < 400 and e.env in (0, 1) and abs(e.change) > 2.0
        assert 0 <= int(e.observation) < 32


def test_infogain_counts_every_learned_context_once() -> None:
    """The default criterion's counts hold one visit per env step the model learns from
    (done steps are not learned, so not counted), keyed by the state and the action taken."""
    venv = make_vec_env(TABLE, 2, seed=0, env_kwargs={"n_states": 32, "n_actions": 3,
                                                      "max_episode_steps": 25})  # fmt: skip
    seen = []

    class Record(BaseCallback):
        def _on_step(self) -> bool:
            done = self.locals["dones"]
            obs, acts = self.locals["obs"], self.locals["actions"]
            seen.extend((int(o), int(x)) for o, x, d in zip(obs, acts, done, strict=True) if not d)
            return True

    a = agent(venv).learn(100, callback=Record())
    assert a.params["criterion"] == "infogain" and len(seen) == 100 - 2 * 2  # 2 ends per env
    states = torch.tensor([[s] for s in range(32) for _ in range(3)])
    actions = torch.arange(3).repeat(32)
    expected = np.zeros((32, 3))
    np.add.at(expected, tuple(np.array(seen).T), 1)
    assert a.counts(states, actions).view(32, 3).tolist() == expected.tolist()
