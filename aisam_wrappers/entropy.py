"""Entropy: seek the transitions whose outcome the model is still unsure of.

The intrinsic reward is the entropy (nats) of a model's predictive distribution over
the next state. For discrete worlds the default model is the Bayesian
:class:`~aisam_wrappers.count_model.DirichletCountModel`; learned models come in
through the same :class:`~aisam_wrappers.protocols.PredictiveModel` protocol.
``target="transition"`` scores the action just taken, ``H(p(. | s, a))``;
``target="next_state"`` scores the state reached, ``mean_a H(p(. | s', a))`` (where
can the model still learn most?).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Unpack

import numpy as np
from gymnasium import spaces

from aisam_wrappers.adapters import wrap_bonus
from aisam_wrappers.base import MixOptions
from aisam_wrappers.batch import Transitions
from aisam_wrappers.errors import InvalidConfigError, UnsupportedSpaceError
from aisam_wrappers.model_bonus import ModelBonus, model_bonus_factory
from aisam_wrappers.protocols import PredictiveModel

if TYPE_CHECKING:
    from aisam_wrappers.models import ModelConfig

TARGETS = ("transition", "next_state")


class Entropy(ModelBonus):
    """Intrinsic reward = predictive entropy of the model, before it learns the batch.

    Args:
        observation_space, action_space, num_envs, model, train_batch: see
            :class:`~aisam_wrappers.model_bonus.ModelBonus`.
        target: ``"transition"`` or ``"next_state"`` (needs ``Discrete`` actions).
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        num_envs: int,
        model: PredictiveModel,
        train_batch: int = 1,
        target: str = "transition",
    ) -> None:
        super().__init__(observation_space, action_space, num_envs, model, train_batch)
        if not isinstance(target, str) or target not in TARGETS:
            raise InvalidConfigError(f"target must be one of {TARGETS}, got {target!r}")
        if target == "next_state" and not isinstance(action_space, spaces.Discrete):
            raise UnsupportedSpaceError(
                f"target='next_state' averages over a Discrete action space, got {action_space}; "
                "use target='transition'"
            )
        self.target = target

    def score(self, batch: Transitions) -> np.ndarray:
        """Predictive entropy, ``(n,)`` nats."""
        if self.target == "transition":
            ent = self.model.predictive_entropy(batch.obs, batch.actions)
            return np.asarray(ent, dtype=np.float64)
        n, n_act = len(batch), int(self.action_space.n)
        rep_obs = np.repeat(np.asarray(batch.next_obs), n_act, axis=0)
        all_act = np.tile(np.arange(n_act) + int(self.action_space.start), n)
        ent = np.asarray(self.model.predictive_entropy(rep_obs, all_act), dtype=np.float64)
        return ent.reshape(n, n_act).mean(axis=1)


def EntropyBonus(  # noqa: N802  (a wrapper constructor, named like the wrapper it makes)
    env: Any,
    *,
    model: str | PredictiveModel = "count",
    target: str = "transition",
    model_config: ModelConfig | Mapping[str, Any] | None = None,
    train_batch: int | None = None,
    seed: int | None = None,
    **mixing: Unpack[MixOptions],
) -> Any:
    """Wraps ``env`` (gymnasium Env / VectorEnv or SB3 VecEnv) with a predictive-entropy bonus.

    A function that returns the adapter matching ``env``'s type, not a class: find the
    bonus in a wrapper stack with ``find_bonus(env, Entropy)``.

    Args:
        env: the env to wrap; the adapter matches its type.
        model: ``"count"`` (default; ``Discrete`` observations and actions), ``"forward"``,
            ``"rnd"`` or any ``PredictiveModel``.
        target: ``"transition"`` (entropy of the taken ``(s, a)``) or ``"next_state"``.
        model_config: a :class:`~aisam_wrappers.models.ModelConfig` for ``"rnd"`` /
            ``"forward"`` (an error with other models), or a dict of its fields.
        train_batch: transitions per training step (default: 1 for ``"count"``, 64
            otherwise).
        seed: seeds ``"rnd"`` / ``"forward"`` unless ``model_config`` gives a seed (see
            :func:`~aisam_wrappers.model_bonus.resolve_model`).
        mixing: ``extrinsic_coef``, ``intrinsic_coef``, ``normalize``, ``gamma``,
            ``split``; see :class:`~aisam_wrappers.base.BonusMixer`.
    """

    factory = model_bonus_factory(Entropy, model, model_config, train_batch, seed, target=target)
    return wrap_bonus(env, factory, **mixing)
