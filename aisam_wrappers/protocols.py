"""The small protocol that a predictive model satisfies to feed a bonus.

:class:`PredictiveModel` is what :class:`~aisam_wrappers.prediction_error.PredictionErrorBonus`
and :class:`~aisam_wrappers.entropy.EntropyBonus` consume: aisam's count model, RND,
the forward-dynamics model and the agents' world model all satisfy it, so any of them
plugs into either bonus.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from aisam_wrappers.batch import Transitions


@runtime_checkable
class PredictiveModel(Protocol):
    """A model of the next observation, trained online on batches of transitions.

    Transitions come as a :class:`~aisam_wrappers.batch.Transitions` batch (a model
    reads ``obs``, ``actions`` and ``next_obs``, and may read ``rewards`` and ``dones``
    when they are not ``None``). A predictive entropy is a question about
    ``(observation, action)`` pairs, which need not be transitions that happened (the
    entropy bonus asks it for every action from the state reached), so it takes the
    two arrays. Arrays are in the env's own format: ``(n,)`` int64 for ``Discrete``
    observations, ``(n, *shape)`` for ``Box``; actions ``(n,)`` for ``Discrete`` action
    spaces (``(n, *shape)`` otherwise).
    """

    def prediction_error(self, batch: Transitions) -> np.ndarray:
        """Per-transition surprise (e.g. NLL in nats or MSE), ``(n,)`` float32."""
        ...

    def predictive_entropy(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Entropy of the predicted next-observation distribution after ``actions`` from
        ``obs``, ``(n,)`` float32, nats."""
        ...

    def update(self, batch: Transitions) -> dict[str, float]:
        """One online training step on the batch; returns metrics (e.g. ``{"loss": ...}``)."""
        ...
