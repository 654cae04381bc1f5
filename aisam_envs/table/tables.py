"""Transition tables: the world of ``aisam/TransitionTable-v0`` and its exact ground truth.

A table maps (state, action) to up to K successor states with probabilities. Rewards
are received on *entering* a state and entering a terminal state ends the episode, so
reward and termination are functions of the next state alone.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from aisam_envs.errors import InvalidConfigError, check_int, check_real, unknown_keywords_error
from aisam_envs.table.kinds import KINDS


@dataclass(frozen=True, eq=False)
class TransitionTable:
    """An immutable transition table with ground-truth helpers.

    Attributes:
        next_states: ``(S, A, K)`` int32 successor ids of each (state, action).
        probs: ``(S, A, K)`` float32 probabilities of those successors (rows sum to 1).
        rewards: ``(S,)`` float32 reward received on entering each state.
        terminals: ``(S,)`` bool, entering the state ends the episode.
        start_state: the state episodes start in; ``None`` starts uniformly at random
            among the non-terminal states.
        kind: the generator that built the table (``"custom"`` for hand-made ones).
    """

    next_states: np.ndarray
    probs: np.ndarray
    rewards: np.ndarray
    terminals: np.ndarray
    start_state: int | None = 0
    kind: str = "custom"

    def __post_init__(self) -> None:
        ns, p = self.next_states, self.probs
        if ns.ndim != 3 or p.shape != ns.shape:
            raise InvalidConfigError(
                f"next_states and probs must both be (S, A, K); got {ns.shape} and {p.shape}"
            )
        s = ns.shape[0]
        if s < 2 or ns.shape[1] < 1:
            raise InvalidConfigError(f"a table needs >= 2 states and >= 1 action, got {ns.shape}")
        if self.rewards.shape != (s,) or self.terminals.shape != (s,):
            raise InvalidConfigError("rewards and terminals must have shape (n_states,)")
        if ns.min() < 0 or ns.max() >= s:
            raise InvalidConfigError(f"next_states must lie in [0, {s})")
        if (p < 0).any() or not np.allclose(p.sum(axis=-1), 1.0, atol=1e-4):
            raise InvalidConfigError("probs must be non-negative and sum to 1 over successors")
        if self.start_state is not None:
            start = check_int("start_state", self.start_state, 0, s - 1)
            object.__setattr__(self, "start_state", start)  # frozen; a numpy int becomes int
            if self.terminals[self.start_state]:
                raise InvalidConfigError(f"start_state {self.start_state} is terminal")
        elif self.terminals.all():
            raise InvalidConfigError("every state is terminal: there is nowhere to start")
        for arr in (ns, p, self.rewards, self.terminals):
            if arr.flags.writeable:
                arr.flags.writeable = False

    @property
    def n_states(self) -> int:
        """Number of states S."""
        return self.next_states.shape[0]

    @property
    def n_actions(self) -> int:
        """Number of actions A."""
        return self.next_states.shape[1]

    @property
    def n_successors(self) -> int:
        """Successor slots K per (state, action); 1 for deterministic tables."""
        return self.next_states.shape[2]

    @property
    def deterministic(self) -> bool:
        """Whether every (state, action) has a single successor."""
        return self.n_successors == 1

    @cached_property
    def thresholds(self) -> np.ndarray:
        """``(S, A, K - 1)`` float32 cumulative probabilities used to sample successors:
        a uniform draw ``u`` picks slot ``(u >= thresholds[s, a]).sum()``."""
        return np.cumsum(self.probs[..., :-1], axis=-1, dtype=np.float32)

    @cached_property
    def start_states(self) -> np.ndarray:
        """The ids an episode can start in, int64 (one id unless ``start_state`` is None)."""
        if self.start_state is not None:
            return np.array([self.start_state], dtype=np.int64)
        return np.flatnonzero(~self.terminals).astype(np.int64)

    def transition_entropy(self) -> np.ndarray:
        """Exact entropy of p(s' | s, a) in nats, ``(S, A)`` float64.

        Repeated successor ids are merged (their probabilities add up) first.
        """
        if self.deterministic:
            return np.zeros((self.n_states, self.n_actions))
        out = np.empty((self.n_states, self.n_actions))
        chunk = max(1, 2**22 // (self.n_actions * self.n_successors**2))
        for lo in range(0, self.n_states, chunk):
            ns = self.next_states[lo : lo + chunk]
            p = self.probs[lo : lo + chunk].astype(np.float64)
            same = ns[..., :, None] == ns[..., None, :]
            merged = (same * p[..., None, :]).sum(axis=-1)  # total prob of each slot's id
            logq = np.log(np.where(merged > 0, merged, 1.0))
            out[lo : lo + chunk] = -(p * logq).sum(axis=-1)
        return np.maximum(out, 0.0)  # float32 probs can round a 0 to -1e-8

    def value_iteration(
        self, gamma: float = 0.99, tol: float = 1e-8, max_iters: int = 100_000
    ) -> tuple[np.ndarray, np.ndarray]:
        """Optimal values by value iteration.

        Returns:
            ``V`` ``(S,)`` and ``Q`` ``(S, A)`` float64, the optimal expected discounted
            return from each state (and state-action); terminal states' own values are 0.
        """
        if not 0 <= gamma < 1:
            raise InvalidConfigError(f"gamma must be in [0, 1), got {gamma}")
        alive = ~self.terminals
        v = np.zeros(self.n_states)
        for _ in range(max_iters):
            backup = self.rewards[self.next_states] + gamma * v[self.next_states]
            q = (self.probs * backup).sum(axis=-1)
            new_v = np.where(alive, q.max(axis=1), 0.0)
            if np.abs(new_v - v).max() < tol:
                return new_v, q
            v = new_v
        return v, q

    def distances(self) -> np.ndarray:
        """Fewest steps from the start state(s) to each state, ``(S,)`` int64; -1 where
        unreachable. Episodes end on entering a terminal, so terminals are not expanded."""
        dist = np.full(self.n_states, -1, dtype=np.int64)
        frontier = self.start_states
        dist[frontier] = 0
        depth = 0
        while frontier.size:
            depth += 1
            frontier = frontier[~self.terminals[frontier]]
            succ = self.next_states[frontier]
            if not self.deterministic:
                succ = succ[self.probs[frontier] > 0]
            if succ.size < self.n_states // 64:  # small frontier: sort it
                succ = np.unique(succ)
                frontier = succ[dist[succ] < 0]
            else:  # large frontier: mark it, O(S) but no sort
                new = np.zeros(self.n_states, dtype=bool)
                new[succ.ravel()] = True
                frontier = np.flatnonzero(new & (dist < 0))
            dist[frontier] = depth
        return dist

    def reachable(self) -> np.ndarray:
        """``(S,)`` bool: states some action sequence reaches from the start."""
        return self.distances() >= 0

    def coverage(self, visited: np.ndarray | Sequence[int]) -> float:
        """Fraction of the reachable states present in ``visited`` (ids or an ``(S,)`` mask)."""
        visited = np.asarray(visited)
        mask = visited if visited.dtype == np.bool_ else np.isin(np.arange(self.n_states), visited)
        reach = self.reachable()
        return float((mask & reach).sum() / reach.sum())


def kind_parameters(kind: str) -> list[str]:
    """The parameters of ``kind``'s generator of its own (after rng, S and A)."""
    return list(inspect.signature(KINDS[kind]).parameters)[3:]


def check_kind_params(
    owner: str, own: Iterable[str], kind: str | None, params: Mapping[str, Any]
) -> None:
    """Refuses keywords that are neither ``owner``'s own nor parameters of ``kind``.

    Each unknown one is named with the closest valid keyword, and with the kind it belongs
    to if it is another kind's parameter. ``kind=None`` (a ready-made table: the kind's
    parameters are ignored) accepts any kind's parameter but still refuses typos.
    """
    kinds = KINDS if kind is None else [kind]
    accepted = sorted({name for k in kinds for name in kind_parameters(k)})
    unknown = set(params) - set(accepted)
    if not unknown:
        return
    notes = {
        name: f"a parameter of kind={k!r}"
        for k in KINDS
        for name in kind_parameters(k)
        if name in unknown
    }
    hint = f" (kind={kind!r} takes {accepted or 'no parameters of its own'})" if kind else ""
    raise unknown_keywords_error(owner, unknown, [*own, *accepted], hint, notes)


def make_table(
    kind: str = "random",
    n_states: int = 64,
    n_actions: int = 4,
    *,
    seed: int = 0,
    goal_states: Sequence[int] | None = None,
    goal_reward: float = 1.0,
    start_state: int | None = 0,
    **params: float,
) -> TransitionTable:
    """Builds a table of ``kind`` ("random", "stochastic", "lock", "clusters").

    Args:
        kind: the generator; see :mod:`aisam_envs.table.kinds` for each one's property.
        n_states: S >= 2.
        n_actions: A >= 1.
        seed: which table (the same seed always builds the same table).
        goal_states: states that pay ``goal_reward`` and end the episode when entered
            (``lock`` defaults to its last state; the others to none).
        goal_reward: reward for entering a goal state.
        start_state: where episodes start; ``None`` for uniformly random starts.
        **params: the kind's own parameters (e.g. ``n_successors``, ``concentration``,
            ``n_clusters``, ``n_bridges``).
    """
    if not isinstance(kind, str) or kind not in KINDS:
        raise InvalidConfigError(f"unknown kind {kind!r}; choose one of {sorted(KINDS)}")
    n_states = check_int("n_states", n_states, 2)
    if n_states >= 2**31:
        raise InvalidConfigError(f"n_states must be < 2**31 (int32 storage), got {n_states}")
    n_actions = check_int("n_actions", n_actions, 1)
    seed = check_int("seed", seed, 0)
    goal_reward = check_real("goal_reward", goal_reward)
    generator = KINDS[kind]
    own = set(inspect.signature(make_table).parameters) - {"params"}
    check_kind_params("make_table", own, kind, params)
    out = generator(np.random.default_rng(seed), n_states, n_actions, **params)
    goals = np.asarray(out.default_goals if goal_states is None else goal_states)
    integral = goals.dtype.kind in "iu" or goals.size == 0  # ``[]`` is float64
    if goals.ndim != 1 or not integral or ((goals < 0) | (goals >= n_states)).any():
        raise InvalidConfigError(
            f"goal_states must be state ids in [0, {n_states}), got {goal_states!r}"
        )
    goals = goals.astype(np.int64, copy=False)
    rewards = np.zeros(n_states, dtype=np.float32)
    terminals = np.zeros(n_states, dtype=bool)
    rewards[goals] = goal_reward
    terminals[goals] = True
    return TransitionTable(out.next_states, out.probs, rewards, terminals, start_state, kind)
