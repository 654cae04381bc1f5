"""Bonuses by name (make_bonus, BONUSES) and finding a bonus in a stack of wrappers."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from bonus_helpers import ScriptedEnv
from gymnasium.vector import SyncVectorEnv
from gymnasium.wrappers import RecordEpisodeStatistics
from gymnasium.wrappers.vector import RecordEpisodeStatistics as RecordVectorStatistics
from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor, VecNormalize

from aisam_wrappers import (
    BONUSES,
    Entropy,
    EntropyBonus,
    IntrinsicReward,
    InvalidConfigError,
    PredictionError,
    Satiation,
    SatiationBonus,
    find_bonus,
    make_bonus,
)
from aisam_wrappers.models import ModelConfig

KINDS = {"satiation": Satiation, "prediction-error": PredictionError, "entropy": Entropy}


def test_the_registry_names_the_four_bonuses() -> None:
    assert list(BONUSES) == ["none", "satiation", "prediction-error", "entropy"]
    for name, kind in KINDS.items():
        env = make_bonus(name, ScriptedEnv(), intrinsic_coef=0.25, seed=0)
        mixer = find_bonus(env, kind)
        assert mixer is not None and mixer.intrinsic_coef == 0.25
    with pytest.raises(InvalidConfigError, match=r"unknown bonus 'curiosity'; choose one of"):
        make_bonus("curiosity", ScriptedEnv())
    with pytest.raises(InvalidConfigError, match=r"unknown setting\(s\) \['wobble'\].*'curve'"):
        make_bonus("satiation", ScriptedEnv(), wobble=1)
    with pytest.raises(InvalidConfigError, match=r"\['curve'\] for bonus 'entropy'"):
        make_bonus("entropy", ScriptedEnv(), curve="exponential")
    with pytest.raises(InvalidConfigError, match=r"\['model'\] for bonus 'none'"):
        make_bonus("none", ScriptedEnv(), model="rnd")


def _model_config(env: gym.Env) -> ModelConfig:
    return find_bonus(env).reward.model._core.config


def test_seed_seeds_the_learned_models_unless_model_config_does() -> None:
    def make(**kw: object) -> gym.Env:
        return make_bonus("prediction-error", ScriptedEnv(), seed=3, **kw)

    assert _model_config(make()) == ModelConfig(seed=3)
    assert _model_config(make(model_config={"hidden": 8})) == ModelConfig(hidden=8, seed=3)
    assert _model_config(make(model_config={"seed": 5})).seed == 5
    assert _model_config(make(model_config=ModelConfig(seed=7))).seed == 7
    assert _model_config(make_bonus("entropy", ScriptedEnv(), seed=4, model="forward")).seed == 4
    # the count model has nothing to seed: seed= is no error there
    assert find_bonus(make_bonus("entropy", ScriptedEnv(), seed=4)).reward.model.alpha > 0
    sat = make_bonus("satiation", ScriptedEnv(), seed=9, key="discrete")
    assert find_bonus(sat).reward.config.seed == 9
    with pytest.raises(InvalidConfigError, match="JSON object"):
        make(model_config=5)


def test_same_seed_same_rewards_other_seed_other_rewards() -> None:
    def trace(seed: int) -> np.ndarray:
        env = make_bonus("prediction-error", SyncVectorEnv([ScriptedEnv] * 2), seed=seed)
        env.reset(seed=0)
        steps = np.random.default_rng(0).integers(0, 8, (20, 2))
        return np.array([env.step(a)[4]["intrinsic_reward"] for a in steps])

    np.testing.assert_array_equal(trace(1), trace(1))
    assert not np.allclose(trace(1), trace(2))


def test_find_bonus_walks_gymnasium_and_sb3_wrapper_stacks() -> None:
    single = RecordEpisodeStatistics(SatiationBonus(gym.make("FrozenLake-v1")))
    assert isinstance(find_bonus(single).reward, Satiation)
    assert find_bonus(single, Satiation) is single.env.mixer
    assert find_bonus(single, Entropy) is None
    vector = RecordVectorStatistics(EntropyBonus(SyncVectorEnv([ScriptedEnv] * 2)))
    assert isinstance(find_bonus(vector, Entropy).reward, Entropy)
    sb3 = VecNormalize(VecMonitor(SatiationBonus(DummyVecEnv([ScriptedEnv] * 2))), norm_obs=False)
    assert isinstance(find_bonus(sb3, Satiation).reward, Satiation)
    assert find_bonus(gym.make("FrozenLake-v1")) is None
    assert find_bonus(DummyVecEnv([ScriptedEnv])) is None
    # two bonuses: the outermost one of the asked kind
    stacked = EntropyBonus(SatiationBonus(ScriptedEnv()))
    assert isinstance(find_bonus(stacked, IntrinsicReward).reward, Entropy)
    assert find_bonus(stacked, Satiation) is stacked.env.mixer
