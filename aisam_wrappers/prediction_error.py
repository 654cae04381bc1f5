"""Prediction error: curiosity as the surprise of a predictor trained online.

The default predictor is Random Network Distillation (novel observations are badly
predicted); ``model="forward"`` predicts the next embedding from observation and
action; ``model="count"`` is the exact Bayesian surprise ``-log p(next | s, a)`` for
discrete worlds; any :class:`~aisam_wrappers.protocols.PredictiveModel` (e.g. the
agents' world model, its NLL) plugs in as ``model=``.
"""

from __future__ import annotations

from typing import Any, Unpack

import numpy as np

from aisam_wrappers.batch import Transitions
from aisam_wrappers.model_bonus import ModelBonus, ModelBonusOptions, wrap_model_bonus
from aisam_wrappers.protocols import PredictiveModel


class PredictionError(ModelBonus):
    """Intrinsic reward = the model's ``prediction_error`` per transition, before learning it."""

    def score(self, batch: Transitions) -> np.ndarray:
        """``model.prediction_error(batch)``, ``(n,)``."""
        return np.asarray(self.model.prediction_error(batch), dtype=np.float64)


def PredictionErrorBonus(  # noqa: N802  (a wrapper constructor, named like the wrapper it makes)
    env: Any,
    *,
    model: str | PredictiveModel = "rnd",
    **options: Unpack[ModelBonusOptions],
) -> Any:
    """Wraps ``env`` (gymnasium Env / VectorEnv or SB3 VecEnv) with a prediction-error bonus.

    A function that returns the adapter matching ``env``'s type, not a class: find the
    bonus in a wrapper stack with ``find_bonus(env, PredictionError)``.

    Args:
        env: the env to wrap; the adapter matches its type.
        model: ``"rnd"`` (default), ``"forward"``, ``"count"`` or a ``PredictiveModel``.
        options: ``model_config``, ``train_batch``, ``seed`` and the mixing keywords;
            see :class:`~aisam_wrappers.model_bonus.ModelBonusOptions`.
    """

    return wrap_model_bonus(env, PredictionError, model, options)
