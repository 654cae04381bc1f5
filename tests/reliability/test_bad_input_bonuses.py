"""Property-based bad input for the bonuses: any keywords of ``make_bonus`` (every bonus),
``SatiationConfig`` and ``ModelConfig`` either work (and then the bonus runs, its rewards
finite) or raise an aisam error that names the argument."""

from __future__ import annotations

from typing import Any

import numpy as np
from fuzz import FAST, GARBAGE, call_or_aisam_error, keywords
from hypothesis import given
from hypothesis import strategies as st

from aisam_envs.table.vector import TransitionTableVectorEnv
from aisam_wrappers import make_bonus
from aisam_wrappers.models import ModelConfig
from aisam_wrappers.satiation import SatiationConfig

SATIATION = {
    "curve": ["exponential", "hyperbolic", "sigmoid"],
    "half_life": [1.0, 10.0],
    "power": [0.5, 2.0],
    "midpoint": [0.0, 10.0],
    "width": [0.5, 2.0],
    "recovery_rate": [0.0, 0.1],
    "memory": ["lifelong", "episodic"],
    "per_action": [False, True],
    "key": ["auto", "discrete", "simhash"],
    "hash_bits": [8, 32],
    "seed": [0, 5],
}
MODEL = {
    "hidden": [8, 16],
    "features": [4, 8],
    "lr": [1e-3, 0.1],
    "update_proportion": [0.5, 1.0],
    "normalize_obs": [True, False],
    "device": ["cpu"],
    "seed": [0, 3],
}
LEARNED = {
    "model": ["rnd", "forward", "count"],
    "model_config": [None, {"hidden": 8, "device": "cpu"}, {"features": 4, "device": "cpu"}],
    "train_batch": [None, 1, 8],
    "extrinsic_coef": [1.0, 0.0],
    "normalize": [True, False],
    "gamma": [0.99, 0.5],
    "target": ["transition", "next_state"],
}
COMMON = {"intrinsic_coef": [1.0, 0.1], "seed": [None, 0], "split": [False, True]}
BONUS_SETTINGS = {"none": {}, "satiation": SATIATION, "prediction-error": LEARNED}
BONUS_SETTINGS["entropy"] = LEARNED


@FAST
@given(keywords(SATIATION))
def test_satiation_config_keywords(kwargs: dict[str, Any]) -> None:
    call_or_aisam_error(lambda: SatiationConfig(**kwargs), kwargs)


@FAST
@given(keywords(MODEL))
def test_model_config_keywords(kwargs: dict[str, Any]) -> None:
    call_or_aisam_error(lambda: ModelConfig(**kwargs), kwargs)


@st.composite
def bonus_calls(draw: st.DrawFn) -> tuple[Any, dict[str, Any]]:
    name = draw(st.one_of(st.sampled_from(sorted(BONUS_SETTINGS)), GARBAGE))
    own = BONUS_SETTINGS.get(name, {}) if isinstance(name, str) else {}
    settings = draw(keywords({**COMMON, **own}))
    if draw(st.booleans()):
        settings[draw(st.sampled_from(["curv", "hidden", "model_cfg"]))] = 1
    return name, settings


@FAST
@given(bonus_calls())
def test_make_bonus_keywords(call: tuple[Any, dict[str, Any]]) -> None:
    name, settings = call
    env = TransitionTableVectorEnv(num_envs=2, n_states=8, n_actions=2, obs_type="onehot")
    wrapped = call_or_aisam_error(
        lambda: make_bonus(name, env, **settings), ["bonus", "model", *settings]
    )
    if wrapped is None:
        return
    wrapped.reset(seed=0)
    for _ in range(3):
        _, reward, _, _, info = wrapped.step(np.array([0, 1]))
        assert np.isfinite(reward).all()
        if name != "none":
            assert np.isfinite(info["intrinsic_reward"]).all()
    wrapped.close()
