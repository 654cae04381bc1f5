"""IntrinsicPPO: two value streams, a non-episodic intrinsic GAE, split-mode bonuses,
save/load with the bonus's state, and a learning check on a combination lock."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
from agent_checks import learn_save_load
from gymnasium import spaces
from stable_baselines3 import PPO
from stable_baselines3.common.buffers import DictRolloutBuffer, RolloutBuffer
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.envs import FakeImageEnv, IdentityEnvBox
from stable_baselines3.common.logger import configure
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.utils import obs_as_tensor

import aisam_envs  # noqa: F401  (registers aisam/TransitionTable-v0)
from aisam_agents.errors import CheckpointError
from aisam_agents.intrinsic_ppo import IntrinsicPPO
from aisam_agents.ponder_ppo import PonderPPO
from aisam_agents.safe_load import safe_load
from aisam_agents.two_streams import (
    IntrinsicActorCriticPolicy,
    IntrinsicDictRolloutBuffer,
    IntrinsicMultiInputPolicy,
    IntrinsicRolloutBuffer,
    continuing_gae,
)
from aisam_envs.errors import InvalidConfigError
from aisam_wrappers import make_bonus

SMALL = dict(n_steps=32, batch_size=64, n_epochs=2, device="cpu")
LOCK = dict(n_states=8, n_actions=3, kind="lock", obs_type="onehot")


def _lock(n_envs: int = 4, seed: int = 0, obs_type: str = "onehot", **kwargs):
    task = {**LOCK, "obs_type": obs_type}
    venv = make_vec_env("aisam/TransitionTable-v0", n_envs=n_envs, seed=seed, env_kwargs=task)
    return make_bonus(kwargs.pop("bonus", "prediction-error"), venv, seed=seed, **kwargs)


def _rnd_lock(seed: int = 0):
    return _lock(seed=seed, split=True)


def test_gae_per_stream_by_hand() -> None:
    # one env, 3 steps; the episode ends after step 1 (step 2 starts a new one)
    buffer = IntrinsicRolloutBuffer(
        3, spaces.Discrete(2), spaces.Discrete(2), device="cpu", gamma=0.9, gae_lambda=0.5,
        gamma_int=0.5, ext_coef=2.0, int_coef=1.0,
    )  # fmt: skip
    rewards, values = [1.0, 2.0, 3.0], [0.5, 0.5, 0.5]
    int_rewards, int_values = [0.1, 0.2, 0.4], [1.0, 2.0, 0.0]
    for t in range(3):
        buffer.add_intrinsic(np.array([int_rewards[t]]), torch.tensor([[int_values[t]]]))
        buffer.add(np.array([0]), np.array([0]), np.array([rewards[t]]), np.array([t == 2]),
                   torch.tensor([[values[t]]]), torch.zeros(1))  # fmt: skip
    buffer.compute_streams(torch.tensor([[1.0, 4.0]]), np.array([False]))
    # extrinsic (γ 0.9, λ 0.5), cut between steps 1 and 2:
    #   A2 = 3 + 0.9·1 - 0.5 = 3.4;  A1 = 2 - 0.5 = 1.5;  A0 = 1 + 0.9·0.5 - 0.5 + 0.45·1.5
    ext = np.array([1.625, 1.5, 3.4])
    # intrinsic (γ 0.5, λ 0.5), not cut:
    #   A2 = 0.4 + 0.5·4 - 0 = 2.4;  A1 = 0.2 + 0.5·0 - 2 + 0.25·2.4 = -1.2;
    #   A0 = 0.1 + 0.5·2 - 1 + 0.25·(-1.2) = -0.2
    intr = np.array([-0.2, -1.2, 2.4])
    close = dict(rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(buffer.extrinsic_advantages[:, 0], ext, **close)
    np.testing.assert_allclose(buffer.intrinsic_advantages[:, 0], intr, **close)
    np.testing.assert_allclose(buffer.returns[:, 0], ext + values, **close)
    np.testing.assert_allclose(buffer.intrinsic_returns[:, 0], intr + int_values, **close)
    np.testing.assert_allclose(buffer.advantages[:, 0], 2 * ext + intr, **close)
    # the samples carry both streams
    sample = next(buffer.get(3))
    order = np.argsort(sample.old_intrinsic_values.numpy())  # int values 0, 1, 2 -> t 2, 0, 1
    np.testing.assert_allclose(sample.intrinsic_returns.numpy()[order], [2.4, 0.8, 0.8], **close)


@pytest.mark.parametrize("dict_obs", [False, True])
def test_minibatches_are_sb3s_gathered_on_the_device(dict_obs: bool) -> None:
    # the rollout goes to the device once and is indexed there: the same samples as
    # SB3's per-minibatch gathering on the host, field by field, in the same order
    frames = spaces.Box(0, 255, (2, 5, 5), np.uint8, seed=1)
    space = spaces.Dict({"frame": frames, "id": spaces.Discrete(3, seed=2)}) if dict_obs else frames
    cls, base = (
        (IntrinsicDictRolloutBuffer, DictRolloutBuffer)
        if dict_obs
        else (IntrinsicRolloutBuffer, RolloutBuffer)
    )
    ours = cls(6, space, spaces.Discrete(4), device="cpu", n_envs=3)
    sb3 = base(6, space, spaces.Discrete(4), device="cpu", n_envs=3)
    rng = np.random.default_rng(0)
    for t in range(6):
        obs = (
            {"frame": np.stack([frames.sample() for _ in range(3)]), "id": rng.integers(0, 3, 3)}
            if dict_obs
            else np.stack([frames.sample() for _ in range(3)])
        )
        values, log_probs = rng.normal(size=(3, 1)), rng.normal(size=3)
        step = (obs, rng.integers(0, 4, (3, 1)), rng.normal(size=3), np.array([t == 3] * 3),
                torch.as_tensor(values), torch.as_tensor(log_probs))  # fmt: skip
        ours.add_intrinsic(rng.normal(size=3), torch.as_tensor(rng.normal(size=(3, 1))))
        ours.add(*step)
        sb3.add(*step)
    ours.compute_streams(torch.ones(3, 2), np.zeros(3, dtype=bool))
    sb3.compute_returns_and_advantage(torch.ones(3), np.zeros(3, dtype=bool))
    sb3.advantages = ours.advantages.copy()  # the combined advantage, as ours holds it
    np.random.seed(7)  # noqa: NPY002  (SB3 shuffles with numpy's global RNG)
    mine = list(ours.get(5))
    np.random.seed(7)  # noqa: NPY002  (SB3 shuffles with numpy's global RNG)
    theirs = list(sb3.get(5))
    assert len(mine) == len(theirs) == 4
    for a, b in zip(mine, theirs, strict=True):
        if dict_obs:
            for key in b.observations:
                torch.testing.assert_close(a.observations[key], b.observations[key])
        else:
            assert a.observations.dtype == torch.uint8
            torch.testing.assert_close(a.observations, b.observations)
        for name in ("actions", "old_values", "old_log_prob", "advantages", "returns"):
            torch.testing.assert_close(getattr(a, name), getattr(b, name))
        assert a.old_intrinsic_values.shape == a.intrinsic_returns.shape == a.returns.shape


def test_continuing_gae_ignores_nothing_at_lambda_one() -> None:
    # λ = 1: the advantage is the discounted sum of rewards plus the bootstrap, minus V
    rewards = np.array([[1.0], [0.0], [2.0]])
    values = np.array([[0.5], [0.25], [1.0]])
    adv = continuing_gae(rewards, values, np.array([3.0]), gamma=0.5, lam=1.0)
    returns = [1 + 0.5 * 0 + 0.25 * 2 + 0.125 * 3, 0 + 0.5 * 2 + 0.25 * 3, 2 + 0.5 * 3]
    np.testing.assert_allclose(adv[:, 0] + values[:, 0], returns, rtol=1e-6)


def test_two_heads_exist_and_are_trained(tmp_path: Path) -> None:
    model = IntrinsicPPO("MlpPolicy", _rnd_lock(), seed=0, **SMALL)
    policy = model.policy
    assert isinstance(policy, IntrinsicActorCriticPolicy)
    assert policy.intrinsic_value_net is not policy.value_net
    in_optimizer = {id(p) for group in policy.optimizer.param_groups for p in group["params"]}
    assert {id(p) for p in policy.intrinsic_value_net.parameters()} <= in_optimizer
    before = [
        p.detach().clone() for p in (policy.value_net.weight, policy.intrinsic_value_net.weight)
    ]
    model.set_logger(configure(str(tmp_path), ["csv"]))
    model.learn(256)
    after = [policy.value_net.weight, policy.intrinsic_value_net.weight]
    for old, new in zip(before, after, strict=True):
        assert not torch.allclose(old, new)
    obs = torch.eye(8)[:3]
    with torch.no_grad():
        both = policy.predict_stream_values(obs)
        torch.testing.assert_close(both[:, :1], policy.predict_values(obs))
    assert not torch.allclose(both[:, 0], both[:, 1])
    buffer = model.rollout_buffer
    assert buffer.intrinsic_rewards.std() > 0  # the bonus reached the buffer
    logged = (tmp_path / "progress.csv").read_text().splitlines()[0].split(",")
    for key in ("intrinsic/reward_mean", "intrinsic/value_loss", "intrinsic/explained_variance",
                "train/value_loss", "train/explained_variance"):  # fmt: skip
        assert key in logged


def _fit_intrinsic_head(policy: IntrinsicActorCriticPolicy, obs: torch.Tensor) -> None:
    """A few optimiser steps on the intrinsic head's value loss alone (targets of 5)."""
    for _ in range(20):
        values = policy.predict_stream_values(obs)
        loss = ((values[:, 1] - 5.0) ** 2).mean()
        policy.optimizer.zero_grad()
        loss.backward()
        policy.optimizer.step()


@pytest.mark.parametrize("share", [False, True])
def test_fitting_the_intrinsic_head_leaves_the_extrinsic_one_alone(share: bool) -> None:
    # one-hot observations: SB3's features extractor (Flatten) has no weights, so with
    # separate value MLPs nothing the intrinsic loss trains feeds the extrinsic head
    model = IntrinsicPPO(
        "MlpPolicy", _rnd_lock(), seed=0, policy_kwargs={"share_value_mlp": share}, **SMALL
    )
    policy = model.policy
    assert (policy.intrinsic_value_mlp is None) == share
    obs = torch.eye(8)
    with torch.no_grad():
        before = policy.predict_stream_values(obs)
    _fit_intrinsic_head(policy, obs)
    with torch.no_grad():
        after = policy.predict_stream_values(obs)
    assert (after[:, 1] - before[:, 1]).abs().min() > 0.1  # the intrinsic head learned
    moved = (after[:, 0] - before[:, 0]).abs().max()
    assert moved > 1e-3 if share else moved == 0


def test_value_mlps_start_apart_and_sharing_is_saved(tmp_path: Path) -> None:
    policy = IntrinsicPPO("MlpPolicy", _rnd_lock(), seed=0, **SMALL).policy
    ext, intr = policy.mlp_extractor.value_net[0].weight, policy.intrinsic_value_mlp[0].weight
    assert ext.shape == intr.shape and not torch.allclose(ext, intr)  # re-initialised copy
    model = IntrinsicPPO(
        "MlpPolicy", _rnd_lock(), seed=0, policy_kwargs={"share_value_mlp": True}, **SMALL
    )
    model.save(tmp_path / "shared")
    loaded = IntrinsicPPO.load(tmp_path / "shared", env=_rnd_lock(), device="cpu")
    assert loaded.policy.share_value_mlp and loaded.policy.intrinsic_value_mlp is None
    with pytest.raises(InvalidConfigError, match="share_value_mlp"):
        IntrinsicPPO("MlpPolicy", _rnd_lock(), policy_kwargs={"share_value_mlp": "no"}, **SMALL)


def test_rewards_in_the_buffer_are_the_split_streams() -> None:
    class Record(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.ext: list[np.ndarray] = []
            self.int: list[np.ndarray] = []

        def _on_step(self) -> bool:
            infos = self.locals["infos"]
            self.ext.append(np.array([i["extrinsic_reward"] for i in infos]))
            self.int.append(np.array([i["intrinsic_reward"] for i in infos]))
            return True

    model = IntrinsicPPO("MlpPolicy", _rnd_lock(), seed=0, **SMALL)
    record = Record()
    model.learn(128, callback=record)  # one rollout, 32 steps of 4 envs
    buffer = model.rollout_buffer
    np.testing.assert_allclose(buffer.intrinsic_rewards, np.stack(record.int), rtol=1e-6)
    # no time limit within 32 steps, so the extrinsic rewards are stored unchanged
    np.testing.assert_allclose(buffer.rewards, np.stack(record.ext), rtol=1e-6)


def _intrinsic_after(env, actions: np.ndarray) -> np.ndarray:
    """The bonus's intrinsic rewards over a fixed action sequence from a seeded reset."""
    env.seed(123)
    env.reset()
    out = []
    for a in actions:
        _, _, _, infos = env.step(a)
        out.append([info["intrinsic_reward"] for info in infos])
    return np.array(out)


@pytest.mark.parametrize(
    "bonus",
    [{"bonus": "prediction-error"}, {"bonus": "satiation"},
     {"bonus": "prediction-error", "model": "count", "obs_type": "discrete"},
     {"bonus": "entropy", "obs_type": "discrete"}],
)  # fmt: skip
def test_save_load_restores_policy_and_bonus(bonus: dict, tmp_path: Path) -> None:
    env = _lock(split=True, **bonus)
    model = IntrinsicPPO("MlpPolicy", env, seed=0, gamma_int=0.95, int_coef=0.5, **SMALL)
    model.learn(256)
    model.save(tmp_path / "model")
    fresh_env = _lock(split=True, **bonus)
    loaded = IntrinsicPPO.load(tmp_path / "model", env=fresh_env, device="cpu")
    assert (loaded.gamma_int, loaded.int_coef, loaded.ext_coef) == (0.95, 0.5, 2.0)
    assert loaded.rollout_buffer.gamma_int == 0.95
    obs = np.arange(8) if bonus.get("obs_type") == "discrete" else np.eye(8, dtype=np.float32)
    with torch.no_grad():
        torch.testing.assert_close(
            loaded.policy.predict_stream_values(loaded.policy.obs_to_tensor(obs)[0]),
            model.policy.predict_stream_values(model.policy.obs_to_tensor(obs)[0]),
        )
    np.testing.assert_array_equal(
        loaded.predict(obs, deterministic=True)[0], model.predict(obs, deterministic=True)[0]
    )
    actions = np.random.default_rng(0).integers(0, 3, size=(20, 4))
    ours = _intrinsic_after(env, actions)
    assert ours.std() > 0
    np.testing.assert_allclose(_intrinsic_after(fresh_env, actions), ours, rtol=1e-6, atol=1e-7)
    # the same bonus with nothing restored scores the same transitions differently
    assert not np.allclose(_intrinsic_after(_lock(split=True, **bonus), actions), ours)


def test_safe_load_rebuilds_its_classes(tmp_path: Path) -> None:
    model = IntrinsicPPO("MlpPolicy", _rnd_lock(), seed=0, **SMALL)
    model.learn(128)
    model.save(tmp_path / "model.zip")
    loaded = safe_load(IntrinsicPPO, tmp_path / "model.zip", env=_rnd_lock(), device="cpu")
    assert isinstance(loaded.rollout_buffer, IntrinsicRolloutBuffer)
    assert loaded.num_timesteps == 128
    loaded.learn(128, reset_num_timesteps=False)


def test_load_without_env_then_set_env_restores_the_bonus(tmp_path: Path) -> None:
    env = _rnd_lock()
    model = IntrinsicPPO("MlpPolicy", env, seed=0, **SMALL)
    model.learn(128)
    model.save(tmp_path / "model.zip")
    loaded = IntrinsicPPO.load(tmp_path / "model.zip", device="cpu")
    loaded.save(tmp_path / "again.zip")  # the pending bonus state is saved again
    fresh_env = _rnd_lock()
    again = IntrinsicPPO.load(tmp_path / "again.zip", device="cpu")
    again.set_env(fresh_env)
    actions = np.random.default_rng(1).integers(0, 3, size=(10, 4))
    np.testing.assert_allclose(
        _intrinsic_after(fresh_env, actions), _intrinsic_after(env, actions), rtol=1e-6, atol=1e-7
    )


def test_learn_continues_after_load(tmp_path: Path) -> None:
    model = IntrinsicPPO("MlpPolicy", _rnd_lock(), seed=0, **SMALL)
    model.learn(256)
    model.save(tmp_path / "model")
    loaded = IntrinsicPPO.load(tmp_path / "model", env=_rnd_lock(), device="cpu")
    assert loaded.num_timesteps == 256 and loaded._n_updates == 2 * 2
    loaded.learn(128, reset_num_timesteps=False)
    assert loaded.num_timesteps == 384 and loaded._n_updates == 3 * 2
    loaded.learn(128, reset_num_timesteps=False)
    assert loaded.num_timesteps == 512


def test_warm_up_feeds_the_bonus_random_steps_only_once() -> None:
    seen = []
    for rollouts in (0, 2):
        env = _rnd_lock()
        model = IntrinsicPPO("MlpPolicy", env, seed=0, warmup_rollouts=rollouts, **SMALL)
        model.learn(128)
        assert model.num_timesteps == 128 and model.warmed_up
        seen.append(env.mixer.normalizer.stats.count)
        model.learn(128, reset_num_timesteps=False)  # no second warm-up
        seen.append(env.mixer.normalizer.stats.count)
    # the warm-up leaves the return statistics alone: only training steps reach them
    assert seen[2] == pytest.approx(seen[0]) and seen[3] == pytest.approx(seen[1])
    assert seen[1] - seen[0] == pytest.approx(32 * 4)


def test_warm_up_gathers_observation_statistics_only() -> None:
    """RND's warm-up: random steps fold into the observation whitening; the predictor,
    its optimiser and the return normaliser learn nothing from them, and the agent's
    first rollout then scores and trains as usual."""
    env = make_bonus(
        "prediction-error", make_vec_env(lambda: IdentityEnvBox(eps=0.5), n_envs=2, seed=0),
        split=True, seed=0, model_config={"device": "cpu", "hidden": 16},
    )  # fmt: skip
    core = env.mixer.reward.model._core
    before = [t.clone() for t in core.predictor.parameters()]

    def unchanged() -> bool:
        pairs = zip(before, core.predictor.parameters(), strict=True)
        return all(torch.equal(a, b) for a, b in pairs)

    model = IntrinsicPPO("MlpPolicy", env, seed=0, warmup_rollouts=3, **SMALL)
    model._warm_up()
    assert core._obs_stats.count == pytest.approx(1e-4 + 3 * 32 * 2)  # every random step
    assert unchanged()
    assert env.mixer.normalizer.stats.count == pytest.approx(1e-4)
    assert not env.mixer.reward._buffer  # nothing waits to be trained on either
    model.learn(64)
    assert core._obs_stats.count > 1e-4 + 3 * 32 * 2 and np.any(env.mixer.last_intrinsic)
    assert not unchanged()


@pytest.mark.parametrize(
    ("policy", "make_env", "bonus"),
    [
        ("CnnPolicy", lambda: FakeImageEnv(screen_height=36, screen_width=36, n_channels=1),
         "prediction-error"),
        ("MlpPolicy", lambda: IdentityEnvBox(eps=0.5), "satiation"),
    ],
)  # fmt: skip
def test_policy_aliases(policy: str, make_env, bonus: str, tmp_path: Path) -> None:
    env = make_bonus(bonus, make_vec_env(make_env, n_envs=2, seed=0), seed=0, split=True)
    model = IntrinsicPPO(policy, env, seed=0, **{**SMALL, "n_steps": 16, "batch_size": 16})
    assert type(model.policy) is IntrinsicPPO.policy_aliases[policy]
    learn_save_load(model, env, tmp_path / "m")


def test_dict_observations_policy_and_buffer() -> None:
    # the bonus adapters do not take dict observations yet, so the agent's parts directly
    space = spaces.Dict({"vec": spaces.Box(-1, 1, (3,)), "id": spaces.Discrete(5)}, seed=0)
    policy = IntrinsicMultiInputPolicy(space, spaces.Discrete(4), lambda _: 3e-4)
    buffer = IntrinsicDictRolloutBuffer(4, space, spaces.Discrete(4), device="cpu", n_envs=2)
    obs = {key: np.stack([sub.sample() for _ in range(2)]) for key, sub in space.spaces.items()}
    for _ in range(4):
        with torch.no_grad():
            actions, values, log_prob = policy.forward_streams(obs_as_tensor(obs, "cpu"))
        assert values.shape == (2, 2)
        buffer.add_intrinsic(np.ones(2), values[:, 1])
        buffer.add(obs, actions.numpy(), np.zeros(2), np.zeros(2), values[:, :1], log_prob)
    buffer.compute_streams(torch.zeros(2, 2), np.zeros(2, dtype=bool))
    batch = next(buffer.get(8))
    values, log_prob, _ = policy.evaluate_streams(batch.observations, batch.actions.flatten())
    torch.testing.assert_close(values[:, 0], batch.old_values)
    torch.testing.assert_close(values[:, 1], batch.old_intrinsic_values)
    torch.testing.assert_close(log_prob, batch.old_log_prob)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"gamma_int": 1.0}, "gamma_int must be in"),
        ({"gamma_int": -0.1}, "gamma_int must be in"),
        ({"gamma_int": "0.9"}, "gamma_int must be a real number"),
        ({"gamma": 1.5}, "gamma must be in"),
        ({"ext_coef": -1.0}, "ext_coef must be >= 0"),
        ({"int_coef": float("inf")}, "int_coef must be finite"),
        ({"int_coef": float("nan")}, "int_coef must be finite"),
        ({"ext_coef": 0.0, "int_coef": 0}, "both 0"),
        ({"warmup_rollouts": -1}, "warmup_rollouts must be >= 0"),
        ({"warmup_rollouts": 1.5}, "warmup_rollouts must be an int"),
        ({"n_epochs": 0}, "n_epochs must be >= 1"),
        ({"policy_kwargs": {"share_features_extractor": False}}, "share_features_extractor"),
        ({"use_sde": True}, "gSDE"),
        ({"rollout_buffer_class": IntrinsicRolloutBuffer}, "its own two-stream rollout buffer"),
    ],
)
def test_bad_settings_are_rejected(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidConfigError, match=match):
        IntrinsicPPO("MlpPolicy", _rnd_lock(), device="cpu", **kwargs)


def test_env_without_a_split_bonus_is_rejected() -> None:
    plain = make_vec_env("aisam/TransitionTable-v0", n_envs=2, env_kwargs=LOCK)
    with pytest.raises(InvalidConfigError, match="no bonus"):
        IntrinsicPPO("MlpPolicy", plain, device="cpu")
    with pytest.raises(InvalidConfigError, match="no bonus"):
        IntrinsicPPO("MlpPolicy", "aisam/TransitionTable-v0", device="cpu")
    with pytest.raises(InvalidConfigError, match="split=True"):
        IntrinsicPPO("MlpPolicy", _lock(split=False), device="cpu")
    with pytest.raises(InvalidConfigError, match="two-head policy"):
        IntrinsicPPO(ActorCriticPolicy, _rnd_lock(), device="cpu")


def test_load_errors(tmp_path: Path) -> None:
    model = IntrinsicPPO("MlpPolicy", _rnd_lock(), seed=0, **SMALL)
    model.save(tmp_path / "model.zip")
    with pytest.raises(InvalidConfigError, match="gamma_int must be in"):
        IntrinsicPPO.load(tmp_path / "model.zip", device="cpu", gamma_int=1.0)
    with pytest.raises(CheckpointError, match="no saved model"):
        IntrinsicPPO.load(tmp_path / "nope", device="cpu")
    PPO("MlpPolicy", _rnd_lock(), n_steps=8, device="cpu").save(tmp_path / "ppo.zip")
    with pytest.raises(CheckpointError, match="another algorithm .*not by IntrinsicPPO"):
        IntrinsicPPO.load(tmp_path / "ppo.zip", device="cpu")
    venv = make_vec_env("aisam/TransitionTable-v0", n_envs=4, env_kwargs=LOCK)
    PonderPPO("MlpPolicy", venv, n_steps=8, device="cpu").save(tmp_path / "ponder.zip")
    with pytest.raises(CheckpointError, match="not by IntrinsicPPO"):
        IntrinsicPPO.load(tmp_path / "ponder.zip", device="cpu")
    with pytest.raises(CheckpointError, match="saved with a PredictionError bonus over 4 envs"):
        IntrinsicPPO.load(tmp_path / "model.zip", env=_lock(bonus="satiation", split=True),
                          device="cpu")  # fmt: skip
    other = make_bonus(
        "prediction-error",
        make_vec_env("aisam/TransitionTable-v0", n_envs=4, env_kwargs={**LOCK, "n_states": 9}),
        split=True,
    )
    with pytest.raises(CheckpointError, match="saved for another env"):
        IntrinsicPPO.load(tmp_path / "model.zip", env=other, device="cpu")
    with pytest.raises(CheckpointError, match="build it with the saved settings"):
        IntrinsicPPO.load(tmp_path / "model.zip", env=_lock(split=True, model_config={"lr": 0.5}),
                          device="cpu")  # fmt: skip
    stripped = tmp_path / "stripped.zip"
    with zipfile.ZipFile(tmp_path / "model.zip") as src, zipfile.ZipFile(stripped, "w") as dst:
        for info in src.infolist():
            if info.filename != "bonus_state.pt":
                dst.writestr(info, src.read(info.filename))
    with pytest.raises(CheckpointError, match="has no bonus state"):
        IntrinsicPPO.load(stripped, device="cpu")


class _Rooms(gym.Wrapper):
    """Reports ``rooms_visited`` as Montezuma does: here, the highest lock state reached."""

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self.best = int(np.argmax(obs))
        return obs, {**info, "rooms_visited": self.best + 1}

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.best = max(self.best, int(np.argmax(obs)))
        return obs, reward, terminated, truncated, {**info, "rooms_visited": self.best + 1}


def test_logs_rooms_where_the_env_reports_them(tmp_path: Path) -> None:
    venv = make_vec_env("aisam/TransitionTable-v0", n_envs=4, seed=0, wrapper_class=_Rooms,
                        env_kwargs={**LOCK, "max_episode_steps": 8})  # fmt: skip
    model = IntrinsicPPO("MlpPolicy", make_bonus("satiation", venv, split=True), seed=0, **SMALL)
    model.set_logger(configure(str(tmp_path), ["csv"]))
    model.learn(256)
    with open(tmp_path / "progress.csv") as f:
        rows = list(csv.DictReader(f))
    rooms = [float(r["explore/rooms_visited"]) for r in rows]
    best = [float(r["explore/rooms_visited_max"]) for r in rows]
    assert all(1 <= r <= b <= 8 for r, b in zip(rooms, best, strict=True)) and max(best) >= 2
    assert all(np.isfinite(float(r["rollout/ep_rew_mean"])) for r in rows)


class _Solved(BaseCallback):
    """Counts training episodes with a positive (extrinsic) return."""

    def __init__(self) -> None:
        super().__init__()
        self.solved = 0
        self.first = -1

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            if "episode" in info and info["episode"]["r"] > 0:
                self.solved += 1
                self.first = self.num_timesteps if self.first < 0 else self.first
        return True


@pytest.mark.parametrize("seed", [0, 1])
def test_solves_a_lock_sooner_than_plain_ppo(seed: int) -> None:
    # the bonus study's lock (12 states, 3 actions): plain PPO rarely opens it in 20k steps
    task = {"n_states": 12, "n_actions": 3, "kind": "lock"}
    kwargs = dict(n_steps=128, batch_size=256, ent_coef=0.01, device="cpu", seed=seed)
    results = []
    for agent in ("ppo", "intrinsic"):
        venv = make_vec_env("aisam/TransitionTable-v0", n_envs=8, seed=seed, env_kwargs=task)
        callback = _Solved()
        if agent == "ppo":
            PPO("MlpPolicy", venv, **kwargs).learn(20_000, callback=callback)
        else:
            env = make_bonus("satiation", venv, seed=seed, split=True)
            IntrinsicPPO("MlpPolicy", env, **kwargs).learn(20_000, callback=callback)
        results.append(callback)
    plain, ours = results
    assert ours.solved >= max(100, 2 * plain.solved)
    assert ours.first >= 0 and (plain.first < 0 or ours.first <= plain.first)


class _Marker:
    """Unpickling this creates a file: what a malicious checkpoint would do."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def test_a_pickled_payload_in_the_bonus_state_is_refused(tmp_path: Path) -> None:
    model = IntrinsicPPO("MlpPolicy", _rnd_lock(), seed=0, **SMALL)
    model.save(tmp_path / "model.zip")
    marker = tmp_path / "marker"
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(tmp_path / "model.zip") as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            if info.filename == "bonus_state.pt":
                with dst.open(info.filename, "w") as member:
                    torch.save({"object": _Marker(marker)}, member)
            else:
                dst.writestr(info, src.read(info.filename))
    with pytest.raises(CheckpointError, match="bonus state is damaged"):
        IntrinsicPPO.load(bad, env=_rnd_lock(), device="cpu")
    assert not marker.exists()
