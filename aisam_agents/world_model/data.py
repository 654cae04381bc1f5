"""Training batches from a transition table (the synthetic world of the scaling study).

Sampling works on the table's arrays directly (no env stepping), so batches of any size
cost a few numpy operations; the results are ordinary world-model batches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from aisam_envs.table.tables import TransitionTable

if TYPE_CHECKING:
    from aisam_agents.world_model.model import WorldModel


def sample_successors(
    table: TransitionTable, states: np.ndarray, actions: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """``(n,)`` int64 next states drawn from p(. | states, actions)."""
    succ = table.next_states[states, actions]
    if table.deterministic:
        return succ[:, 0].astype(np.int64)
    u = rng.random(states.shape[0], dtype=np.float32)
    slot = (u[:, None] >= table.thresholds[states, actions]).sum(-1)
    return succ[np.arange(states.shape[0]), slot].astype(np.int64)


def transition_batch(
    table: TransitionTable, batch_size: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """One-step batch: uniform (state, action) pairs and sampled successors.

    Returns ``obs`` ``(B, 2)``, ``actions`` ``(B, 1)``, ``rewards`` ``(B, 1)`` and
    ``terminated`` ``(B, 1)``.
    """
    s = rng.integers(0, table.n_states, batch_size)
    a = rng.integers(0, table.n_actions, batch_size)
    nxt = sample_successors(table, s, a, rng)
    return {
        "obs": np.stack([s, nxt], axis=1),
        "actions": a[:, None],
        "rewards": table.rewards[nxt][:, None],
        "terminated": table.terminals[nxt][:, None].astype(np.float32),
    }


def sequence_batch(
    table: TransitionTable, batch_size: int, length: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Random-action walks of ``length`` steps from uniform random states.

    Steps after a walk enters a terminal state are masked out (``mask`` 0).

    Returns ``obs`` ``(B, L + 1)``, ``actions``, ``rewards``, ``terminated`` and ``mask``
    ``(B, L)``.
    """
    obs = np.empty((batch_size, length + 1), dtype=np.int64)
    obs[:, 0] = rng.integers(0, table.n_states, batch_size)
    actions = rng.integers(0, table.n_actions, (batch_size, length))
    for t in range(length):
        obs[:, t + 1] = sample_successors(table, obs[:, t], actions[:, t], rng)
    term = table.terminals[obs[:, 1:]]
    ended_before = np.cumsum(term, axis=1) - term  # terminals entered at earlier steps
    return {
        "obs": obs,
        "actions": actions,
        "rewards": table.rewards[obs[:, 1:]],
        "terminated": term.astype(np.float32),
        "mask": (ended_before == 0).astype(np.float32),
    }


def all_pairs(table: TransitionTable) -> tuple[np.ndarray, np.ndarray]:
    """Every (state, action) pair: ``states`` and ``actions``, ``(S * A,)`` int64 each."""
    s, a = np.meshgrid(np.arange(table.n_states), np.arange(table.n_actions), indexing="ij")
    return s.ravel(), a.ravel()


def fit_table(
    model: WorldModel,
    table: TransitionTable,
    steps: int,
    batch_size: int,
    learning_rate: float,
    rng: np.random.Generator,
) -> float:
    """Trains ``model`` on ``steps`` one-step batches of ``table``.

    The learning rate decays linearly from ``learning_rate`` to a tenth of it over the
    ``steps``: the late small steps average out the sampling noise of stochastic tables.
    Returns the loss of the last batch.
    """
    loss = float("nan")
    for step in range(steps):
        model.set_learning_rate(learning_rate * (1 - 0.9 * step / steps))
        loss = model.train_step(transition_batch(table, batch_size, rng))["obs_nll"]
    return loss
