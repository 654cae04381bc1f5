"""Intrinsic-reward wrappers: satiation, prediction error, entropy.

Each bonus is one batched computation (:class:`~aisam_wrappers.base.IntrinsicReward`)
used three ways: wrap a gymnasium ``Env``, a gymnasium ``VectorEnv`` or an SB3
``VecEnv`` and the matching adapter is returned. The reward becomes
``extrinsic_coef * r_ext + intrinsic_coef * r_int`` and ``info`` reports
``"extrinsic_reward"`` and ``"intrinsic_reward"``.

>>> import gymnasium as gym
>>> from aisam_wrappers import SatiationBonus
>>> env = SatiationBonus(gym.make("FrozenLake-v1"), curve="exponential", half_life=5)

Numpy only at import; torch is needed only by ``model="rnd"`` / ``"forward"`` and SB3
only to wrap an SB3 ``VecEnv`` (both come with the "agents" extra).
"""

from __future__ import annotations

from aisam_wrappers.adapters import IntrinsicRewardVectorWrapper, IntrinsicRewardWrapper, wrap_bonus
from aisam_wrappers.base import BonusMixer, IntrinsicReward
from aisam_wrappers.count_model import DirichletCountModel
from aisam_wrappers.entropy import Entropy, EntropyBonus
from aisam_wrappers.errors import (
    AisamWrapperError,
    InvalidConfigError,
    MissingExtraError,
    OutOfSpaceError,
    RewardShapeError,
    UnsupportedSpaceError,
)
from aisam_wrappers.keys import SimHashKey, make_state_key
from aisam_wrappers.prediction_error import PredictionError, PredictionErrorBonus
from aisam_wrappers.protocols import PredictiveModel
from aisam_wrappers.satiation import Satiation, SatiationBonus, SatiationConfig

__all__ = [
    "AisamWrapperError",
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
    "Satiation",
    "SatiationBonus",
    "SatiationConfig",
    "SimHashKey",
    "UnsupportedSpaceError",
    "make_state_key",
    "wrap_bonus",
]
