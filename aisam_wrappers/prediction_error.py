"""Prediction error: curiosity as the surprise of a predictor trained online.

The default predictor is Random Network Distillation (novel observations are badly
predicted); ``model="forward"`` predicts the next embedding from observation and
action; ``model="count"`` is the exact Bayesian surprise ``-log p(next | s, a)`` for
discrete worlds; any :class:`~aisam_wrappers.protocols.PredictiveModel` (e.g. the
agents' world model, its NLL) plugs in as ``model=``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from aisam_wrappers.adapters import wrap_bonus
from aisam_wrappers.model_bonus import ModelBonus, model_bonus_factory
from aisam_wrappers.protocols import PredictiveModel

if TYPE_CHECKING:
    from aisam_wrappers.models import ModelConfig


class PredictionError(ModelBonus):
    """Intrinsic reward = the model's ``prediction_error`` per transition, before learning it."""

    def score(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        next_obs: np.ndarray,
        infos: Mapping[str, Any],
        env_ids: np.ndarray,
    ) -> np.ndarray:
        """``model.prediction_error(obs, actions, next_obs)``, ``(n,)``."""
        return np.asarray(self.model.prediction_error(obs, actions, next_obs), dtype=np.float64)


def PredictionErrorBonus(  # noqa: N802  (a wrapper constructor, named like the wrapper it makes)
    env: Any,
    *,
    model: str | PredictiveModel = "rnd",
    model_config: ModelConfig | Mapping[str, Any] | None = None,
    train_batch: int | None = None,
    extrinsic_coef: float = 1.0,
    intrinsic_coef: float = 1.0,
    normalize: bool = True,
    gamma: float = 0.99,
) -> Any:
    """Wraps ``env`` (gymnasium Env / VectorEnv or SB3 VecEnv) with a prediction-error bonus.

    Args:
        env: the env to wrap; the adapter matches its type.
        model: ``"rnd"`` (default), ``"forward"``, ``"count"`` or a ``PredictiveModel``.
        model_config: a :class:`~aisam_wrappers.models.ModelConfig` for ``"rnd"`` /
            ``"forward"`` (hidden sizes, lr, device, seed; an error with other models), or
            a dict of its fields.
        train_batch: transitions per training step (default: 1 for ``"count"``, 64
            otherwise).
        extrinsic_coef, intrinsic_coef, normalize, gamma: see
            :class:`~aisam_wrappers.base.BonusMixer`.
    """

    factory = model_bonus_factory(PredictionError, model, model_config, train_batch)
    return wrap_bonus(env, factory, extrinsic_coef, intrinsic_coef, normalize, gamma)
