"""A value past the search horizon that does not generalise: value iteration on the graph
of hashed frames the agent has observed (count-based model-based exploration).

Frames are keyed like the context counts, by a hash of their tokens
(:meth:`~aisam_agents.learnmax.counts.ContextCounts.frame_hash`), so table ids and VQ-coded
frames are handled alike. Each frame observed gets a row: the count buckets of its ``A``
contexts (frame, action) and, per action, the row of the successor observed last after it
(none yet: ``-1``). An update runs ``sweeps`` sweeps of

    V(f) = max_a [u(n(f, a)) + discount * V(succ(f, a))]

from the previous values, where ``u`` is the ``"infogain"`` value of the context from its
visit count ``n`` (:func:`~aisam_agents.learnmax.criteria.point_information_gain`) and a
context whose successor was never observed (an untried one) has no successor term: it is
worth the never-visited gain ``u(0)`` and that is where the value stops. A frame not in
the graph has never been acted in, so every one of its contexts is untried: its value is
``u(0)``. This is R-max's optimism (Brafman & Tennenholtz 2002) with MBIE-EB's bonus
shape (Strehl & Littman 2008): the bonus is what the agent expects to learn, and values
flow back along the known graph to the frontier of untried contexts, however far away.

The search (:func:`~aisam_agents.learnmax.search.beam_search`) uses the graph twice. Its
leaf value after a step is ``discount * V`` of the frame the step leads to, so a branch
heading along the known graph toward the frontier wins even when no untried context lies
within the horizon. And a branch whose context has an observed successor continues from
that frame (:meth:`FrontierValue.successor`) rather than from the model's prediction: a
world model trained at a fraction of an update per env step still predicts old outcomes
for transitions seen a few times (on the ``lock`` table, newly found chain states "lead
back" to earlier ones), and a branch imagined from a wrong frame is valued at that wrong
frame; observed frames are exact for a deterministic world and a real draw for a noisy
one. Imagined frames the graph does not hold are valued ``u(0)``, as said.

Two frames of one bucket share a row (probability about ``n_frames / 2**20``), which mixes
their values and successors.
"""

from __future__ import annotations

import torch

from aisam_agents.learnmax.counts import N_BUCKETS, ContextCounts
from aisam_agents.learnmax.criteria import point_information_gain


class FrontierValue:
    """Values of hashed frames by value iteration on the observed graph (module docstring).

    Args:
        counts: the agent's context visit counts (read at every update, never written).
        n_actions: ``A``.
        vocab_size: the observation tokens' vocabulary ``V`` (for ``u``).
        tokens_per_frame: ``T``.
        prior_count: the ``"infogain"`` prior weight ``c0``.
        discount: ``gamma`` in (0, 1): the sweeps' contraction, and how much a frontier
            ``d`` steps away is worth (``gamma**d * u(0)``).
        sweeps: sweeps per :meth:`update` (values propagate one step per sweep).
    """

    def __init__(
        self,
        counts: ContextCounts,
        n_actions: int,
        vocab_size: int,
        tokens_per_frame: int,
        prior_count: float,
        discount: float,
        sweeps: int,
    ) -> None:
        self.counts, self.n_actions = counts, n_actions
        self.discount, self.sweeps = discount, sweeps
        self.gain = (vocab_size, tokens_per_frame, prior_count)
        self.tokens_per_frame = tokens_per_frame
        device = counts.counts.device
        self.unknown = float(point_information_gain(torch.zeros(()), *self.gain))
        self.index = torch.full((N_BUCKETS,), -1, dtype=torch.int32, device=device)
        self.size = 0
        self._allocate(64)

    def _allocate(self, capacity: int) -> None:
        """Row storage of ``capacity`` frames, keeping the rows held so far."""
        device, old = self.index.device, self.size
        buckets = torch.zeros(capacity, dtype=torch.int64, device=device)
        tokens = torch.zeros(capacity, self.tokens_per_frame, dtype=torch.int64, device=device)
        contexts = torch.zeros(capacity, self.n_actions, dtype=torch.int64, device=device)
        successors = torch.full((capacity, self.n_actions), -1, dtype=torch.int64, device=device)
        values = torch.full((capacity,), self.unknown, dtype=torch.float32, device=device)
        if old:
            buckets[:old], contexts[:old] = self.buckets[:old], self.contexts[:old]
            tokens[:old] = self.tokens[:old]
            successors[:old], values[:old] = self.successors[:old], self.values[:old]
        self.buckets, self.tokens, self.contexts = buckets, tokens, contexts
        self.successors, self.values = successors, values

    def rows(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` frame tokens -> ``(B,)`` int64 rows, adding the frames not yet held."""
        buckets = self.counts.frame_hash(tokens) % N_BUCKETS
        rows = self.index[buckets].long()
        new = rows < 0
        if bool(new.any()):
            fresh, inverse = torch.unique(buckets[new], return_inverse=True)
            position = torch.arange(len(inverse), device=tokens.device)
            first = torch.full_like(fresh, len(inverse)).scatter_reduce_(
                0, inverse, position, "amin"
            )
            k, a = len(fresh), self.n_actions
            if self.size + k > len(self.values):
                self._allocate(max(2 * len(self.values), self.size + k))
            ids = torch.arange(self.size, self.size + k, device=tokens.device)
            frames = tokens[new][first]
            actions = torch.arange(a, device=tokens.device).repeat(k)
            self.index[fresh] = ids.int()
            self.buckets[ids], self.tokens[ids] = fresh, frames.long()
            frames = frames.repeat_interleave(a, 0)
            self.contexts[ids] = self.counts.keys(frames, actions).view(k, a)
            self.size += k
            rows = self.index[buckets].long()
        return rows

    def observe(
        self, tokens: torch.Tensor, actions: torch.Tensor, next_tokens: torch.Tensor
    ) -> None:
        """Records transitions: frames ``(B, T)``, actions ``(B,)``, next frames ``(B, T)``
        (the successor of a repeated context in one batch: one of them)."""
        if len(actions) == 0:
            return
        rows, nxt = self.rows(tokens), self.rows(next_tokens)
        self.successors[rows, actions.long()] = nxt

    def update(self) -> None:
        """Runs :attr:`sweeps` sweeps of value iteration from the current values and counts."""
        f = self.size
        if f == 0:
            return
        gain = point_information_gain(self.counts.counts[self.contexts[:f]], *self.gain)
        succ = self.successors[:f]
        known, succ = succ >= 0, succ.clamp_min(0)
        values = self.values[:f]
        for _ in range(self.sweeps):
            after = torch.where(known, values[succ], torch.zeros((), device=values.device))
            values = (gain + self.discount * after).amax(1)
        self.values[:f] = values

    def successor(
        self, tokens: torch.Tensor, actions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Frames ``(B, T)`` and actions ``(B,)`` -> the tokens ``(B, T)`` of the successor
        observed last after each context, and ``(B,)`` whether there is one (the search's
        :data:`~aisam_agents.learnmax.search.Successor`)."""
        rows = self.index[self.counts.frame_hash(tokens) % N_BUCKETS].long()
        succ = self.successors[rows.clamp_min(0), actions.long()]
        known = (rows >= 0) & (succ >= 0)
        return self.tokens[succ.clamp_min(0)].to(tokens.dtype), known

    def __call__(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` frame tokens -> ``(B,)`` float32 values (``u(0)`` for frames never
        observed)."""
        rows = self.index[self.counts.frame_hash(tokens) % N_BUCKETS].long()
        held = self.values[rows.clamp_min(0)]
        return torch.where(rows >= 0, held, torch.full_like(held, self.unknown))

    def state(self) -> dict[str, torch.Tensor]:
        """The rows held (on the CPU)."""
        f = self.size
        return {
            "buckets": self.buckets[:f].cpu(),
            "tokens": self.tokens[:f].cpu(),
            "contexts": self.contexts[:f].cpu(),
            "successors": self.successors[:f].cpu(),
            "values": self.values[:f].cpu(),
        }

    def set_state(self, state: dict[str, torch.Tensor]) -> None:
        """Restores :meth:`state`."""
        buckets = state["buckets"].to(self.index.device, torch.int64)
        f = len(buckets)
        names = ("tokens", "contexts", "successors", "values")
        shapes = [tuple(state[k].shape) for k in names]
        a = self.n_actions
        if shapes != [(f, self.tokens_per_frame), (f, a), (f, a), (f,)]:
            raise ValueError(f"the saved frontier graph has inconsistent shapes {shapes}")
        self.size = 0
        self._allocate(max(64, f))
        self.index.fill_(-1)
        self.index[buckets] = torch.arange(f, dtype=torch.int32, device=self.index.device)
        self.size = f
        self.buckets[:f] = buckets
        for name in names:
            getattr(self, name)[:f] = state[name].to(self.index.device)
