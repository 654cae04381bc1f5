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

from typing import Any, Unpack

import numpy as np
from gymnasium import spaces

from aisam_envs.errors import InvalidConfigError
from aisam_wrappers.batch import Transitions
from aisam_wrappers.errors import UnsupportedSpaceError
from aisam_wrappers.model_bonus import ModelBonus, ModelBonusOptions, wrap_model_bonus
from aisam_wrappers.protocols import PredictiveModel

TARGETS = ("transition", "next_state")


class Entropy(ModelBonus):
    """Intrinsic reward = predictive entropy of the model, before it learns the batch.

    Args:
        args, kwargs: ``observation_space, action_space, num_envs, model, train_batch``,
            see :class:`~aisam_wrappers.model_bonus.ModelBonus`.
        target: ``"transition"`` or ``"next_state"`` (needs ``Discrete`` actions).
    """

    def __init__(self, *args: Any, target: str = "transition", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not isinstance(target, str) or target not in TARGETS:
            raise InvalidConfigError(f"target must be one of {TARGETS}, got {target!r}")
        if target == "next_state" and not isinstance(self.action_space, spaces.Discrete):
            raise UnsupportedSpaceError(
                "target='next_state' averages over a Discrete action space, got "
                f"{self.action_space}; use target='transition'"
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
    **options: Unpack[ModelBonusOptions],
) -> Any:
    """Wraps ``env`` (gymnasium Env / VectorEnv or SB3 VecEnv) with a predictive-entropy bonus.

    A function that returns the adapter matching ``env``'s type, not a class: find the
    bonus in a wrapper stack with ``find_bonus(env, Entropy)``.

    Args:
        env: the env to wrap; the adapter matches its type.
        model: ``"count"`` (default; ``Discrete`` observations and actions), ``"forward"``,
            ``"rnd"`` or any ``PredictiveModel``.
        target: ``"transition"`` (entropy of the taken ``(s, a)``) or ``"next_state"``.
        options: ``model_config``, ``train_batch``, ``seed`` and the mixing keywords;
            see :class:`~aisam_wrappers.model_bonus.ModelBonusOptions`.
    """

    return wrap_model_bonus(env, Entropy, model, options, target=target)
