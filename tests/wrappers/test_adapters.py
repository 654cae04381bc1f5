"""One computation, three adapters: gymnasium Env, gymnasium VectorEnv, SB3 VecEnv."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from bonus_helpers import ScriptedEnv
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from stable_baselines3.common.vec_env import DummyVecEnv
from tolerance import F32

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_wrappers import (
    EntropyBonus,
    IntrinsicReward,
    IntrinsicRewardVectorWrapper,
    IntrinsicRewardWrapper,
    InvalidConfigError,
    PredictionErrorBonus,
    SatiationBonus,
    Transitions,
    wrap_bonus,
)
from aisam_wrappers.sb3 import IntrinsicRewardVecEnvWrapper

TABLE = {"n_states": 10, "n_actions": 3, "kind": "lock"}
BONUSES: dict[str, Callable[..., Any]] = {
    "satiation": lambda env, **kw: SatiationBonus(env, **kw),
    "rnd": lambda env, **kw: PredictionErrorBonus(env, train_batch=4, **kw),
    "forward": lambda env, **kw: PredictionErrorBonus(env, model="forward", train_batch=4, **kw),
    "entropy": lambda env, **kw: EntropyBonus(env, **kw),
}


def _single() -> gym.Env:
    return gym.make("aisam/TransitionTable-v0", **TABLE)


def _vector() -> gym.vector.VectorEnv:
    return gym.make_vec(
        "aisam/TransitionTable-v0", num_envs=3, vectorization_mode="vector_entry_point", **TABLE
    )


def _sb3() -> DummyVecEnv:
    return DummyVecEnv([_single] * 3)


@pytest.mark.parametrize("bonus", list(BONUSES))
@pytest.mark.parametrize(
    ("make", "adapter"),
    [
        (_single, IntrinsicRewardWrapper),
        (_vector, IntrinsicRewardVectorWrapper),
        (_sb3, IntrinsicRewardVecEnvWrapper),
    ],
    ids=["single", "vector", "sb3"],
)
def test_every_bonus_in_every_adapter_mixes_and_reports(bonus: str, make, adapter) -> None:  # noqa: ANN001
    env = BONUSES[bonus](make(), extrinsic_coef=2.0, intrinsic_coef=0.5)
    assert isinstance(env, adapter)
    rng = np.random.default_rng(0)
    if adapter is IntrinsicRewardVecEnvWrapper:
        env.seed(0)
        env.reset()
        for _ in range(40):
            _, total, _, infos = env.step(rng.integers(0, 3, 3))
            ext = np.array([i["extrinsic_reward"] for i in infos])
            intr = np.array([i["intrinsic_reward"] for i in infos])
            np.testing.assert_allclose(total, 2.0 * ext + 0.5 * intr, **F32)
        return
    env.reset(seed=0)
    for _ in range(40):
        action = rng.integers(0, 3, 3) if adapter is IntrinsicRewardVectorWrapper else 1
        _, total, term, trunc, info = env.step(action)
        assert np.shape(info["intrinsic_reward"]) == np.shape(total)
        np.testing.assert_allclose(
            total, 2.0 * info["extrinsic_reward"] + 0.5 * info["intrinsic_reward"], **F32
        )
        assert np.all(np.isfinite(info["intrinsic_reward"]))
        if adapter is IntrinsicRewardWrapper and (term or trunc):
            env.reset()


@pytest.mark.parametrize("bonus", list(BONUSES))
def test_the_three_adapters_compute_the_same_rewards(bonus: str) -> None:
    """A batch of one through each adapter: identical intrinsic rewards."""
    actions = np.random.default_rng(1).integers(0, 8, 30)
    single = BONUSES[bonus](ScriptedEnv())
    single.reset(seed=0)
    a = [single.step(int(x))[4]["intrinsic_reward"] for x in actions]
    vector = BONUSES[bonus](SyncVectorEnv([ScriptedEnv]))
    vector.reset(seed=0)
    b = [vector.step(np.array([x]))[4]["intrinsic_reward"][0] for x in actions]
    sb3 = BONUSES[bonus](DummyVecEnv([ScriptedEnv]))
    sb3.reset()
    c = [sb3.step(np.array([x]))[3][0]["intrinsic_reward"] for x in actions]
    np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(a, c, rtol=1e-6)
    assert np.ptp(a) > 0


def test_sb3_adapter_trains_a_model_while_the_env_steps() -> None:
    """The SB3 adapter scores a step in ``step_wait`` and leaves the model's training on
    it to the next ``step_async`` (after the env's step is sent): the rewards and the
    trained weights are those of the gymnasium adapter, which trains at once; the
    deferred step is state, so a bonus saved between the two resumes it."""
    import torch

    from aisam_agents.object_state import encode, restore

    def weights(env: Any) -> list[torch.Tensor]:
        return [t.detach().clone() for t in env.mixer.reward.model._core.predictor.parameters()]

    actions = np.random.default_rng(2).integers(0, 8, 25)
    now = BONUSES["rnd"](SyncVectorEnv([ScriptedEnv]), seed=0)
    now.reset(seed=0)
    expected = [now.step(np.array([x]))[4]["intrinsic_reward"][0] for x in actions]
    later = BONUSES["rnd"](DummyVecEnv([ScriptedEnv]), seed=0)
    later.reset()
    got = []
    for t, x in enumerate(actions):
        before = weights(later)
        later.step_async(np.array([x]))
        trained = any(not torch.equal(a, b) for a, b in zip(before, weights(later), strict=True))
        assert trained == (t > 0 and t % 4 == 0)  # train_batch 4: every 4th step's training
        got.append(later.step_wait()[3][0]["intrinsic_reward"])
        if t == 11:  # a step's training is pending: save, and go on from the copy
            assert later.mixer._deferred is not None
            copy = BONUSES["rnd"](DummyVecEnv([ScriptedEnv]), seed=0)
            restore(copy.mixer, encode(later.mixer))  # a snapshot: nothing shared
            copy.reset()  # the same first obs as `later`'s episode: ScriptedEnv restarts at 0
            copy._obs = later._obs.copy()
    np.testing.assert_allclose(got, expected, **F32)
    later.mixer.learn_deferred()
    for a, b in zip(weights(now), weights(later), strict=True):
        torch.testing.assert_close(a, b)
    resumed = [copy.step(np.array([x]))[3][0]["intrinsic_reward"] for x in actions[12:]]
    np.testing.assert_allclose(resumed, expected[12:], **F32)


class Recorder(IntrinsicReward):
    """Pays nothing; records each batch of transitions it sees."""

    def __init__(self, obs_space, act_space, num_envs) -> None:  # noqa: ANN001
        super().__init__(obs_space, act_space, num_envs)
        self.seen: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.ended: list[np.ndarray] = []

    def score(self, batch: Transitions) -> np.ndarray:
        self.seen.append(
            (batch.obs.copy(), batch.actions.copy(), batch.next_obs.copy(), batch.env_ids.copy())
        )
        return np.zeros(len(batch))

    def end_episodes(self, env_ids: np.ndarray) -> None:
        self.ended.append(env_ids.copy())


def _drive(env: Any, steps: int, sb3: bool = False) -> Recorder:
    """Steps ``env`` (2 envs of 3-step episodes) with actions 1..7 cycling."""
    if sb3:
        env.reset()
    else:
        env.reset(seed=0)
    for t in range(steps):
        env.step(np.array([t % 7 + 1, (t + 3) % 7 + 1]))
    return env.mixer.reward


def _check_transitions(rec: Recorder) -> None:
    """Each transition goes from the previous obs to the state named by the action."""
    for obs, actions, next_obs, _ in rec.seen:
        np.testing.assert_array_equal(next_obs, actions)  # the true last obs, never a reset one
        assert np.all((obs == 0) | (obs != next_obs))
    assert sum(len(s[3]) for s in rec.seen) == 24  # 12 transitions x 2 envs, no reset steps
    assert sum(len(e) for e in rec.ended) == 8  # 4 ended episodes per env (3-step episodes)


def test_next_step_autoreset_skips_the_reset_step() -> None:
    env = wrap_bonus(SyncVectorEnv([lambda: ScriptedEnv(episode_len=3)] * 2), Recorder)
    rec = _drive(env, 12 + 3)  # 12 real transitions + 3 reset steps per env
    _check_transitions(rec)
    assert len(rec.seen) == 12  # the reset steps (every 4th) are not transitions
    assert all(np.all(s[0] == 0) for s in rec.seen[3::3])  # episodes start at 0


def test_same_step_autoreset_uses_final_obs() -> None:
    venv = SyncVectorEnv(
        [lambda: ScriptedEnv(episode_len=3)] * 2, autoreset_mode=AutoresetMode.SAME_STEP
    )
    rec = _drive(wrap_bonus(venv, Recorder), 12)
    _check_transitions(rec)
    assert all(np.all(s[0][s[3] >= 0] >= 0) for s in rec.seen)
    starts = [s[0] for s in rec.seen[3::3]]  # first step of each new episode starts at 0
    assert all(np.all(o == 0) for o in starts)


def test_sb3_adapter_uses_terminal_observation() -> None:
    venv = DummyVecEnv([lambda: ScriptedEnv(episode_len=3)] * 2)
    rec = _drive(wrap_bonus(venv, Recorder), 12, sb3=True)
    _check_transitions(rec)
    starts = [s[0] for s in rec.seen[3::3]]
    assert all(np.all(o == 0) for o in starts)


def test_vector_adapter_on_the_table_env_in_same_step_mode() -> None:
    venv = gym.make_vec(
        "aisam/TransitionTable-v0", num_envs=4, vectorization_mode="vector_entry_point",
        autoreset_mode=AutoresetMode.SAME_STEP, max_episode_steps=5, **TABLE,
    )  # fmt: skip
    env = SatiationBonus(venv, normalize=False)
    env.reset(seed=0)
    for _ in range(12):
        _, _, _, _, info = env.step(np.ones(4, dtype=np.int64))
        assert np.all(info["intrinsic_reward"] > 0)  # every step is a real transition
    assert env.mixer.reward.memory.columns["count"].sum() == 48


def test_step_before_reset_and_unknown_env_types_are_errors() -> None:
    with pytest.raises(gym.error.ResetNeeded):
        SatiationBonus(ScriptedEnv()).step(1)
    with pytest.raises(gym.error.ResetNeeded):
        SatiationBonus(SyncVectorEnv([ScriptedEnv])).step(np.array([1]))
    with pytest.raises(InvalidConfigError, match="gymnasium Env"):
        SatiationBonus(object())


@pytest.mark.parametrize("bonus", ["satiation", "rnd", "entropy"])
def test_same_seeds_give_the_same_rewards(bonus: str) -> None:
    def trace() -> np.ndarray:
        env = BONUSES[bonus](_vector())
        env.reset(seed=3)
        rng = np.random.default_rng(3)
        return np.array([env.step(rng.integers(0, 3, 3))[1] for _ in range(30)])

    np.testing.assert_array_equal(trace(), trace())
