"""Intrinsic-reward wrappers: satiation, prediction error, entropy.

Each bonus is one batched computation (:class:`~aisam_wrappers.base.IntrinsicReward`)
used three ways: wrap a gymnasium ``Env``, a gymnasium ``VectorEnv`` or an SB3
``VecEnv`` and the matching adapter is returned. The reward becomes
``extrinsic_coef * r_ext + intrinsic_coef * r_int`` and ``info`` reports
``"extrinsic_reward"`` and ``"intrinsic_reward"``; with ``split=True`` the reward stays
extrinsic and the intrinsic stream travels in ``info`` (agents with two value heads).
Bonuses and predictive models read one batch type, :class:`Transitions`.

>>> import gymnasium as gym
>>> from aisam_wrappers import Satiation, SatiationBonus, find_bonus, make_bonus
>>> env = SatiationBonus(gym.make("FrozenLake-v1"), curve="exponential", half_life=5)
>>> isinstance(find_bonus(env, Satiation).reward, Satiation)
True
>>> env = make_bonus("entropy", gym.make("FrozenLake-v1"), intrinsic_coef=0.1, seed=0)

Numpy only at import; torch is needed only by ``model="rnd"`` / ``"forward"`` and SB3
only to wrap an SB3 ``VecEnv`` (both come with the "agents" extra).
"""

from __future__ import annotations

from aisam_envs.errors import InvalidConfigError, MissingExtraError
from aisam_wrappers.adapters import (
    BonusAdapter,
    IntrinsicRewardVectorWrapper,
    IntrinsicRewardWrapper,
    find_bonus,
    wrap_bonus,
)
from aisam_wrappers.base import BonusMixer, IntrinsicReward
from aisam_wrappers.batch import RowsView, Transitions
from aisam_wrappers.count_model import DirichletCountModel
from aisam_wrappers.entropy import Entropy, EntropyBonus
from aisam_wrappers.errors import (
    AisamWrapperError,
    OutOfSpaceError,
    RewardShapeError,
    UnsupportedSpaceError,
)
from aisam_wrappers.keys import SimHashKey, make_state_key
from aisam_wrappers.prediction_error import PredictionError, PredictionErrorBonus
from aisam_wrappers.protocols import PredictiveModel
from aisam_wrappers.registry import BONUSES, make_bonus
from aisam_wrappers.satiation import Satiation, SatiationBonus, SatiationConfig

__all__ = [
    "BONUSES",
    "AisamWrapperError",
    "BonusAdapter",
    "BonusMixer",
    "DirichletCountModel",
    "Entropy",
    "EntropyBonus",
    "IntrinsicReward",
    "IntrinsicRewardVectorWrapper",
    "IntrinsicRewardWrapper",
    "InvalidConfigError",
    "MissingExtraError",
    "OutOfSpaceError",
    "RewardShapeError",
    "PredictionError",
    "PredictionErrorBonus",
    "PredictiveModel",
    "RowsView",
    "Satiation",
    "SatiationBonus",
    "SatiationConfig",
    "SimHashKey",
    "Transitions",
    "UnsupportedSpaceError",
    "find_bonus",
    "make_bonus",
    "make_state_key",
    "wrap_bonus",
]
