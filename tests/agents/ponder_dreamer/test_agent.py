"""PonderDreamer as an SB3-shaped agent: bad input, learning loop, predict, evaluate_policy,
save/load, determinism and episode boundaries."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy

from aisam_agents.errors import CheckpointError
from aisam_agents.ponder_dreamer import PonderDreamer
from aisam_agents.world_model import WorldModel, WorldModelConfig
from aisam_envs.errors import InvalidConfigError


def _params(agent: PonderDreamer) -> list[torch.Tensor]:
    return [
        p.detach().clone() for p in [*agent.policy.parameters(), *agent.world_model.parameters()]
    ]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(horizon=0), "horizon"),
        (dict(lam=1.5), "lam"),
        (dict(lam=-0.1), "lam"),
        (dict(actor="lstm"), "actor"),
        (dict(lambda_p=1.0), "lambda_p"),
        (dict(train_ratio=0), "train_ratio"),
        (dict(world_model=3), "world_model"),
        (dict(world_model="huge"), "preset"),
    ],
)
def test_bad_settings_raise_at_construction(make_agent, kwargs, match) -> None:
    with pytest.raises(InvalidConfigError, match=match):
        make_agent(**kwargs)


def test_bad_spaces_raise_at_construction(make_agent, make_env) -> None:
    with pytest.raises(InvalidConfigError, match="only Discrete action"):
        make_agent(gym.make("Pendulum-v1"))
    other = WorldModel(spaces.Discrete(9), spaces.Discrete(2), WorldModelConfig(device="cpu"))
    with pytest.raises(InvalidConfigError, match="built for"):
        make_agent(world_model=other)
    with pytest.raises(InvalidConfigError, match="policy"):
        PonderDreamer("CnnPolicy", make_env())


def test_learn_smoke_on_the_default_table() -> None:
    """``aisam train``'s default table with the default agent (a few seconds on a CPU;
    the duration is reported by ``pytest --durations``, not asserted)."""
    env = gym.make("aisam/TransitionTable-v0", n_states=10, n_actions=3, kind="lock")
    agent = PonderDreamer("auto", env, seed=0, device="cpu", learning_starts=50, train_ratio=16)
    assert agent.learn(200) is agent
    assert agent.num_timesteps == 200 and agent._n_updates > 0
    assert agent.replay.steps == 200


def test_learn_on_a_vec_env_and_evaluate_policy(make_agent, make_env) -> None:
    venv = make_vec_env(make_env, n_envs=3, seed=0)
    agent = make_agent(venv).learn(60)
    assert agent.num_timesteps == 60 and agent.replay.n_envs == 3
    mean, std = evaluate_policy(agent, make_env(), n_eval_episodes=2, warn=False)
    assert np.isfinite(mean) and np.isfinite(std)
    mean_vec, _ = evaluate_policy(agent, venv, n_eval_episodes=4, deterministic=True)
    assert np.isfinite(mean_vec)


def test_predict_single_and_batched_observations_with_history(make_agent) -> None:
    agent = make_agent().learn(20)
    action, state = agent.predict(np.int64(0), deterministic=True)
    assert np.shape(action) == () and 0 <= int(action) < 2
    actions, state = agent.predict(np.array([0, 1, 2]))
    assert actions.shape == (3,)
    actions, state = agent.predict(np.array([1, 2, 3]), state, np.array([True, False, False]))
    obs, past_actions, length = state
    assert length.tolist() == [1, 2, 2] and obs[:, -1].tolist() == [1, 2, 3]
    with pytest.raises(InvalidConfigError, match="state"):
        agent.predict(np.array([1, 2]), state)
    with pytest.raises(InvalidConfigError):
        agent.predict(np.array([7, 1, 2]))  # not a state of the 6-state table


class _Frames(gym.Env):
    """Channels-last 16x16 RGB frames whose brightness is the step count, 2 actions."""

    observation_space = spaces.Box(0, 255, (16, 16, 3), np.uint8)
    action_space = spaces.Discrete(2)

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple:
        super().reset(seed=seed)
        self.t = 0
        return self._frame(), {}

    def step(self, action: int) -> tuple:
        self.t += 1
        return self._frame(), float(action), self.t >= 8, False, {}

    def _frame(self) -> np.ndarray:
        return np.full((16, 16, 3), 20 * self.t, np.uint8)


def test_channels_last_frames_are_moved_as_in_training(make_agent) -> None:
    """SB3 hands training channels-first frames; ``predict`` and ``evaluate_policy`` take the
    env's own channels-last ones, as SB3's algorithms do."""
    agent = make_agent(_Frames()).learn(24)
    assert agent.observation_space.shape == (3, 16, 16)  # moved by SB3's VecTransposeImage
    frames = np.stack([_Frames().reset()[0]] * 2)
    last, _ = agent.predict(frames, deterministic=True)
    first, _ = agent.predict(frames.transpose(0, 3, 1, 2), deterministic=True)
    np.testing.assert_array_equal(last, first)
    mean, _ = evaluate_policy(agent, _Frames(), n_eval_episodes=1, warn=False)
    assert np.isfinite(mean)


def test_history_features_match_the_imagination_start(make_agent) -> None:
    agent = make_agent().learn(30)
    obs = torch.tensor([[0, 1, 2]])
    actions = torch.tensor([[1, 1]])
    imag = agent.world_model.imagine(
        obs, torch.zeros(1, 1, dtype=torch.long), 1, past_actions=actions
    )
    from aisam_agents.ponder_dreamer.history import History, history_features

    history = History(obs[:, :2].numpy(), actions.numpy(), np.array([2]))
    torch.testing.assert_close(
        history_features(agent.world_model, history), imag.start_features, rtol=1e-5, atol=1e-6
    )


def test_same_seed_same_agent_other_seed_other_agent(make_agent) -> None:
    runs = [_params(make_agent(seed=s).learn(40)) for s in (1, 1, 2)]
    assert all(torch.equal(a, b) for a, b in zip(runs[0], runs[1], strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(runs[0], runs[2], strict=True))


def test_save_load_round_trip(make_agent, make_env, tmp_path) -> None:
    agent = make_agent(actor="mlp", intrinsic_coef=0.1).learn(30)
    path = tmp_path / "agent.pt"
    agent.save(path)
    loaded = PonderDreamer.load(path, device="cpu")
    assert loaded.num_timesteps == 30 and loaded._n_updates == agent._n_updates
    assert loaded.actor == "mlp" and loaded.intrinsic_coef == 0.1
    assert all(torch.equal(a, b) for a, b in zip(_params(agent), _params(loaded), strict=True))
    torch.testing.assert_close(loaded.policy.normalizer.hi, agent.policy.normalizer.hi)
    obs = np.arange(6)
    torch.testing.assert_close(
        torch.as_tensor(loaded.predict(obs, deterministic=True)[0]),
        torch.as_tensor(agent.predict(obs, deterministic=True)[0]),
    )
    # training goes on identically from the file (with the same replay)
    replay = tmp_path / "replay.pt"
    agent.save_replay_buffer(replay)
    resumed = PonderDreamer.load(path, env=make_env(), device="cpu")
    resumed.load_replay_buffer(replay)
    for a in (agent, resumed):
        a.train()
    assert all(torch.equal(a, b) for a, b in zip(_params(agent), _params(resumed), strict=True))


def test_damaged_or_foreign_files_raise_checkpoint_error(make_agent, make_env, tmp_path) -> None:
    agent = make_agent()
    path = tmp_path / "agent.pt"
    agent.save(path)
    data = path.read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError):
        PonderDreamer.load(tmp_path / "cut.pt")
    with pytest.raises(CheckpointError):
        PonderDreamer.load(tmp_path / "missing.pt")
    agent.world_model.save(tmp_path / "wm.pt")
    with pytest.raises(CheckpointError, match="not an aisam PonderDreamer"):
        PonderDreamer.load(tmp_path / "wm.pt")
    payload = torch.load(path, weights_only=True)
    payload["state"]["policy"].pop(next(iter(payload["state"]["policy"])))
    torch.save(payload, tmp_path / "partial.pt")
    with pytest.raises(CheckpointError, match="does not match"):
        PonderDreamer.load(tmp_path / "partial.pt")
    with pytest.raises(InvalidConfigError, match="saved for"):
        PonderDreamer.load(path, env=make_env(8))
    with pytest.raises(InvalidConfigError, match="wobble"):
        PonderDreamer.load(path, wobble=1)
    assert PonderDreamer.load(path, verbose=1, learning_starts=3).learning_starts == 3
    # a file written before a setting existed takes it as an override, or its default
    older = torch.load(path, weights_only=True)
    config = json.loads(older["config"])
    del config["cuda_graphs"]
    torch.save({**older, "config": json.dumps(config)}, tmp_path / "older.pt")
    assert PonderDreamer.load(tmp_path / "older.pt", cuda_graphs=True).cuda_graphs is True
    assert PonderDreamer.load(tmp_path / "older.pt").cuda_graphs is False


def test_world_model_batches_are_cut_at_episode_starts(make_agent, monkeypatch) -> None:
    agent = make_agent().learn(40)  # 30-step episodes: some windows hold a boundary
    seen = []
    original = agent.world_model.train_step
    monkeypatch.setattr(agent.world_model, "train_step", lambda b: seen.append(b) or original(b))
    sample = agent.replay.sample
    batches = []
    monkeypatch.setattr(
        agent.replay, "sample", lambda *a, **k: batches.append(sample(*a, **k)) or batches[-1]
    )
    for _ in range(20):
        agent.train()
    found = False
    for batch, wm in zip(batches, seen, strict=True):
        for row in range(batch.is_first.shape[0]):
            firsts = torch.nonzero(batch.is_first[row, 1:]).flatten() + 1
            if len(firsts):
                f = int(firsts[0])
                found = True
                assert wm["mask"][row].tolist() == [1.0] * f + [0.0] * (agent.window - f)
                assert wm["obs_mask"][row].tolist() == [1.0] * (f - 1) + [0.0] * (
                    agent.window - f + 1
                )
                assert bool(batch.dones[row, f - 1])
            else:
                assert wm["obs_mask"][row].tolist() == [1.0] * agent.window
    assert found
