"""Prediction error: curiosity as the surprise of a predictor trained online.

The default predictor is Random Network Distillation (novel observations are badly
predicted); ``model="forward"`` predicts the next embedding from observation and
action; ``model="count"`` is the exact Bayesian surprise ``-log p(next | s, a)`` for
discrete worlds; any :class:`~aisam_wrappers.protocols.PredictiveModel` (e.g. the
agents' world model, its NLL) plugs in as ``model=``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Unpack

import numpy as np

from aisam_wrappers.adapters import wrap_bonus
from aisam_wrappers.base import MixOptions
from aisam_wrappers.batch import Transitions
from aisam_wrappers.model_bonus import ModelBonus, model_bonus_factory
from aisam_wrappers.protocols import PredictiveModel

if TYPE_CHECKING:
    from aisam_wrappers.models import ModelConfig


class PredictionError(ModelBonus):
    """Intrinsic reward = the model's ``prediction_error`` per transition, before learning it."""

    def score(self, batch: Transitions) -> np.ndarray:
        """``model.prediction_error(batch)``, ``(n,)``."""
        return np.asarray(self.model.prediction_error(batch), dtype=np.float64)


def PredictionErrorBonus(  # noqa: N802  (a wrapper constructor, named like the wrapper it makes)
    env: Any,
    *,
    model: str | PredictiveModel = "rnd",
    model_config: ModelConfig | Mapping[str, Any] | None = None,
    train_batch: int | None = None,
    seed: int | None = None,
    **mixing: Unpack[MixOptions],
) -> Any:
    """Wraps ``env`` (gymnasium Env / VectorEnv or SB3 VecEnv) with a prediction-error bonus.

    A function that returns the adapter matching ``env``'s type, not a class: find the
    bonus in a wrapper stack with ``find_bonus(env, PredictionError)``.

    Args:
        env: the env to wrap; the adapter matches its type.
        model: ``"rnd"`` (default), ``"forward"``, ``"count"`` or a ``PredictiveModel``.
        model_config: a :class:`~aisam_wrappers.models.ModelConfig` for ``"rnd"`` /
            ``"forward"`` (hidden sizes, lr, device, seed; an error with other models), or
            a dict of its fields.
        train_batch: transitions per training step (default: 1 for ``"count"``, 64
            otherwise).
        seed: seeds ``"rnd"`` / ``"forward"`` unless ``model_config`` gives a seed (see
            :func:`~aisam_wrappers.model_bonus.resolve_model`).
        mixing: ``extrinsic_coef``, ``intrinsic_coef``, ``normalize``, ``gamma``,
            ``split``; see :class:`~aisam_wrappers.base.BonusMixer`.
    """

    factory = model_bonus_factory(PredictionError, model, model_config, train_batch, seed)
    return wrap_bonus(env, factory, **mixing)
