"""A Bayesian count model of discrete transitions: a Dirichlet over successors.

For each (state, action) the posterior over the next state is Dirichlet with
``alpha = prior_mass / n_states`` pseudo-counts on every state plus the observed
counts. Its posterior-predictive entropy starts at ``log(n_states)`` and falls as the
pair is tried (to 0 in a deterministic world, to the true transition entropy in a
stochastic one); its surprise is ``-log p(next | state, action)``. Successor counts
are stored sparsely, so memory grows with the transitions seen, not ``S * A * S``.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from aisam_envs.errors import InvalidConfigError, check_real
from aisam_wrappers._kernels import count_transitions, dirichlet_entropy
from aisam_wrappers.batch import Transitions
from aisam_wrappers.errors import UnsupportedSpaceError
from aisam_wrappers.keys import discrete_offsets
from aisam_wrappers.memory import TABLE_LIMIT, KeyedArrays


class DirichletCountModel:
    """Dirichlet-categorical model of ``Discrete`` transitions; a ``PredictiveModel``.

    Args:
        observation_space: ``Discrete(n_states)``.
        action_space: ``Discrete(n_actions)``.
        prior_mass: total prior pseudo-count over the ``n_states`` successors.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        prior_mass: float = 1.0,
    ) -> None:
        if not (
            isinstance(observation_space, spaces.Discrete)
            and isinstance(action_space, spaces.Discrete)
        ):
            raise UnsupportedSpaceError(
                "the Dirichlet count model needs Discrete observations and actions, got "
                f"{observation_space} and {action_space}; pass model='forward' (or 'rnd', or "
                "your PredictiveModel) instead"
            )
        if not check_real("prior_mass", prior_mass) > 0:
            raise InvalidConfigError(f"prior_mass must be > 0, got {prior_mass}")
        self.observation_space, self.action_space = observation_space, action_space
        self.n_states = int(observation_space.n)
        self.n_actions = int(action_space.n)
        self._obs_start = int(observation_space.start)
        self._act_start = int(action_space.start)
        self.alpha = float(prior_mass) / self.n_states
        pairs = self.n_states * self.n_actions
        if pairs > TABLE_LIMIT:
            raise UnsupportedSpaceError(
                f"the Dirichlet count model keeps dense sums per (state, action): "
                f"{self.n_states} states x {self.n_actions} actions = {pairs} pairs, over the "
                f"dense-table limit of {TABLE_LIMIT}; pass model='forward' (or 'rnd', or your "
                "PredictiveModel) instead"
            )
        self.totals = np.zeros(pairs)  # sum of successor counts per (s, a)
        self.seen = np.zeros(pairs)  # number of distinct successors observed per (s, a)
        self.xlogx = np.zeros(pairs)  # sum over observed successors of (n + a) log(n + a)
        self.counts = KeyedArrays(pairs * self.n_states, {"n": (np.float64, 0.0)})
        self.transitions = 0  # all transitions seen (= totals.sum(), kept so as not to sum S*A)

    def _states(self, obs: np.ndarray, what: str) -> np.ndarray:
        """State indices ``0 .. n_states-1`` of ``obs`` (checked: the kernels index unchecked)."""
        return discrete_offsets(obs, self._obs_start, self.n_states, self.observation_space, what)

    def _pairs(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        s = self._states(obs, "observation")
        a = discrete_offsets(actions, self._act_start, self.n_actions, self.action_space, "action")
        return s * self.n_actions + a

    def _triples(self, pairs: np.ndarray, next_obs: np.ndarray) -> np.ndarray:
        nxt = self._states(next_obs, "next observation")
        return pairs * self.n_states + nxt

    def predictive_entropy(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Entropy of the posterior predictive over next states, ``(n,)`` float32 nats."""
        p = self._pairs(obs, actions)
        out = np.empty(len(p), dtype=np.float32)
        dirichlet_entropy(p, self.totals, self.seen, self.xlogx, self.alpha, self.n_states, out)
        return out

    def prediction_error(self, batch: Transitions) -> np.ndarray:
        """Surprise ``-log p(next_obs | obs, action)`` under the posterior, ``(n,)`` float32."""
        p = self._pairs(batch.obs, batch.actions)
        n = self.counts.get("n", self.counts.find(self._triples(p, batch.next_obs)))
        z = self.totals[p] + self.n_states * self.alpha
        return (np.log(z) - np.log(n + self.alpha)).astype(np.float32)

    def update(self, batch: Transitions) -> dict[str, float]:
        """Adds the batch's transitions to the counts (exact Bayesian update)."""
        p = self._pairs(batch.obs, batch.actions)
        # each part of a triple was range-checked, so the triple is in range: no second pass
        slots = self.counts.insert(self._triples(p, batch.next_obs), check=False)
        n, totals, seen, xlogx = self.counts.columns["n"], self.totals, self.seen, self.xlogx
        count_transitions(slots, p, n, totals, seen, xlogx, self.alpha)
        self.transitions += len(p)
        return {"transitions": float(self.transitions)}
