"""Generators of transition tables, one function per ``kind``.

Each takes a seeded ``numpy.random.Generator``, ``n_states``, ``n_actions`` and its own
keyword parameters, and returns the successor ids ``(S, A, K)`` int32, their
probabilities ``(S, A, K)`` float32 and the kind's default goal states.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from aisam_envs.errors import InvalidConfigError, check_int, check_real


@dataclass(frozen=True)
class KindOutput:
    """What a generator returns: successors, their probabilities, default goals."""

    next_states: np.ndarray
    probs: np.ndarray
    default_goals: tuple[int, ...] = ()


def _deterministic(next_states: np.ndarray, goals: tuple[int, ...] = ()) -> KindOutput:
    ns = next_states.astype(np.int32, copy=False)[..., None]
    # one successor with probability 1: a broadcast view costs no memory at 10M states
    return KindOutput(ns, np.broadcast_to(np.float32(1.0), ns.shape), goals)


def random_kind(rng: np.random.Generator, n_states: int, n_actions: int) -> KindOutput:
    """Deterministic: every (s, a) leads to one uniformly drawn next state ``T[s, a]``."""
    return _deterministic(rng.integers(0, n_states, size=(n_states, n_actions), dtype=np.int32))


def _distinct_successors(rng: np.random.Generator, rows: int, n_states: int, k: int) -> np.ndarray:
    """``(rows, k)`` int32 ids, distinct within each row."""
    if n_states <= 64 or 4 * k > n_states:  # dense: the first k of a random permutation
        return np.argsort(rng.random((rows, n_states)), axis=1)[:, :k].astype(np.int32)
    out = rng.integers(0, n_states, size=(rows, k), dtype=np.int32)
    while True:  # sparse: redraw the (rare) rows holding a repeat until none is left
        srt = np.sort(out, axis=1)
        bad = np.flatnonzero((srt[:, 1:] == srt[:, :-1]).any(axis=1))
        if bad.size == 0:
            return out
        out[bad] = rng.integers(0, n_states, size=(bad.size, k), dtype=np.int32)


def stochastic_kind(
    rng: np.random.Generator,
    n_states: int,
    n_actions: int,
    n_successors: int | None = None,
    concentration: float = 1.0,
) -> KindOutput:
    """Each (s, a) has ``n_successors`` distinct next states (default 3, or ``n_states``
    when there are fewer), probabilities ~ Dirichlet.

    Smaller ``concentration`` gives peakier (lower-entropy) transitions; larger gives
    nearly uniform ones.
    """
    if n_successors is None:
        n_successors = min(3, n_states)
    n_successors = check_int("n_successors", n_successors, 1, n_states)
    concentration = check_real("concentration", concentration)
    if concentration <= 0:
        raise InvalidConfigError(f"concentration must be > 0, got {concentration}")
    rows = n_states * n_actions
    ns = _distinct_successors(rng, rows, n_states, n_successors)
    p = rng.dirichlet(np.full(n_successors, concentration), size=rows).astype(np.float32)
    p /= p.sum(axis=1, keepdims=True)
    shape = (n_states, n_actions, n_successors)
    return KindOutput(ns.reshape(shape), p.reshape(shape))


def lock_kind(rng: np.random.Generator, n_states: int, n_actions: int) -> KindOutput:
    """Combination lock: in state s one hidden action leads to s + 1, every other
    action back to state 0. The last state is the goal (reward 1, terminal), so a
    random walk needs about ``n_actions ** (n_states - 1)`` steps to find it.
    """
    if n_actions < 2:
        raise InvalidConfigError(f"kind='lock' needs n_actions >= 2, got {n_actions}")
    table = np.zeros((n_states, n_actions), dtype=np.int32)
    correct = rng.integers(0, n_actions, size=n_states)
    rows = np.arange(n_states - 1)
    table[rows, correct[:-1]] = rows + 1
    table[-1] = n_states - 1  # the goal is terminal; its row is never used
    return _deterministic(table, (n_states - 1,))


def clusters_kind(
    rng: np.random.Generator,
    n_states: int,
    n_actions: int,
    n_clusters: int = 4,
    n_bridges: int = 1,
) -> KindOutput:
    """Rooms and doors: states split into ``n_clusters`` contiguous clusters.

    Inside a cluster, action 0 walks a cycle through all its states (so each room is
    strongly connected) and the other actions jump to random states of the same room.
    Each cluster then has ``n_bridges`` (s, a) exits to the next cluster and as many to
    the previous one (a ring of rooms): the only transitions that cross a boundary.
    """
    if n_actions < 2:
        raise InvalidConfigError(f"kind='clusters' needs n_actions >= 2, got {n_actions}")
    n_clusters = check_int("n_clusters", n_clusters, 1, n_states)
    n_bridges = check_int("n_bridges", n_bridges, 0)
    sizes = np.full(n_clusters, n_states // n_clusters)
    sizes[: n_states % n_clusters] += 1
    lo = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    exits = 2 * n_bridges if n_clusters > 1 else 0
    if exits > sizes.min() * (n_actions - 1):
        raise InvalidConfigError(
            f"n_bridges={n_bridges} does not fit: a cluster of {sizes.min()} states has "
            f"{sizes.min() * (n_actions - 1)} non-cycle (state, action) slots for "
            f"{exits} exits; use fewer bridges or clusters"
        )
    cid = np.repeat(np.arange(n_clusters), sizes)
    states = np.arange(n_states)
    table = np.empty((n_states, n_actions), dtype=np.int64)
    table[:, 0] = lo[cid] + (states - lo[cid] + 1) % sizes[cid]
    jumps = rng.random((n_states, n_actions - 1))
    table[:, 1:] = lo[cid, None] + (jumps * sizes[cid, None]).astype(np.int64)
    for c in range(n_clusters if exits else 0):
        slots = rng.choice(sizes[c] * (n_actions - 1), size=exits, replace=False)
        src, act = lo[c] + slots // (n_actions - 1), 1 + slots % (n_actions - 1)
        dst = np.repeat([(c + 1) % n_clusters, (c - 1) % n_clusters], n_bridges)
        table[src, act] = lo[dst] + rng.integers(0, sizes[dst])
    return _deterministic(table)


def noisy_tv_kind(
    rng: np.random.Generator,
    n_states: int,
    n_actions: int,
    n_tv: int = 4,
    n_noise: int = 64,
) -> KindOutput:
    """A random table with noisy TVs: states ``1..n_tv`` lead, whatever the action, to a
    uniform draw over ``n_noise`` distinct other states (irreducible noise of
    ``log(n_noise)`` nats that no model can learn away).

    Every other (s, a) has one next state drawn uniformly, as in ``"random"``, except that
    action 0 of state 0 enters TV state 1, so a TV is reachable from the default start.
    Successor slots are ``n_noise`` wide everywhere; a deterministic row keeps its one
    successor in slot 0 with probability 1 (the other slots repeat it with probability 0).
    """
    n_tv = check_int("n_tv", n_tv, 1, n_states - 2)
    n_noise = check_int("n_noise", n_noise, 2, n_states - n_tv)
    table = rng.integers(0, n_states, size=(n_states, n_actions), dtype=np.int32)
    table[0, 0] = 1
    ns = np.repeat(table[..., None], n_noise, axis=2)
    probs = np.zeros(ns.shape, dtype=np.float32)
    probs[..., 0] = 1.0
    others = np.setdiff1d(np.arange(n_states), np.arange(1, n_tv + 1)).astype(np.int32)
    picks = _distinct_successors(rng, n_tv, others.size, n_noise)
    ns[1 : n_tv + 1] = others[picks][:, None, :]
    probs[1 : n_tv + 1] = np.float32(1.0 / n_noise)
    return KindOutput(ns, probs)


KINDS: dict[str, Callable[..., KindOutput]] = {
    "random": random_kind,
    "stochastic": stochastic_kind,
    "lock": lock_kind,
    "clusters": clusters_kind,
    "noisy_tv": noisy_tv_kind,
}
