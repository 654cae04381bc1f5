"""Visit counts of (frame, action) contexts, hashed, for the ``"infogain"`` criterion.

A context is an observation's ``T`` tokens plus the action taken in it; its key is a
random linear hash of the tokens and the action modulo a prime, reduced to one of
:data:`N_BUCKETS` buckets. Tokens, not raw observations, so the same table serves table
states (one token) and VQ-coded frames (a grid of tokens: a frame counts as seen when all
its tokens match). Distinct contexts share a bucket with probability about
``n_contexts / N_BUCKETS``, which only makes the criterion see a context as better known
than it is.
"""

from __future__ import annotations

import numpy as np
import torch

N_BUCKETS = 2**20  # 4 MiB of float32 counts
_PRIME = 2**31 - 1


class ContextCounts:
    """Hashed visit counts of ``(tokens (T,), action)`` contexts on a device.

    Args:
        tokens_per_frame: ``T``.
        seed: draws the hash's multipliers.
        device: where the counts live (that of the world model).
    """

    def __init__(self, tokens_per_frame: int, seed: int, device: torch.device) -> None:
        rng = np.random.default_rng(seed)
        mult = rng.integers(1, _PRIME, size=tokens_per_frame + 1)
        self.multipliers = torch.as_tensor(mult, dtype=torch.int64, device=device)
        self.counts = torch.zeros(N_BUCKETS, dtype=torch.float32, device=device)

    def frame_hash(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` tokens -> ``(B,)`` int64 hash of the frame alone, in ``[0, 2**31 - 1)``
        (its bucket is this modulo :data:`N_BUCKETS`; the frontier value keys frames so)."""
        m = self.multipliers
        # every factor < 2**31, so products < 2**62 and the sum of T terms < 2**63
        return (tokens.long() % _PRIME * m[:-1] % _PRIME).sum(-1) % _PRIME

    def keys(self, tokens: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` tokens and ``(B,)`` actions -> ``(B,)`` int64 bucket ids."""
        h = self.frame_hash(tokens) + actions.long() % _PRIME * self.multipliers[-1] % _PRIME
        return h % _PRIME % N_BUCKETS

    def add(self, tokens: torch.Tensor, actions: torch.Tensor) -> None:
        """Counts one visit of each context of the batch (repeats count repeatedly)."""
        ones = torch.ones(len(actions), dtype=self.counts.dtype, device=self.counts.device)
        self.counts.index_add_(0, self.keys(tokens, actions), ones)

    def __call__(self, tokens: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """``(B,)`` float32 visit counts of the contexts."""
        return self.counts[self.keys(tokens, actions)]

    def state(self) -> dict[str, torch.Tensor]:
        """The non-zero buckets (ids and counts, on the CPU) and the hash."""
        ids = self.counts.nonzero().squeeze(-1)
        return {
            "ids": ids.cpu(),
            "counts": self.counts[ids].cpu(),
            "multipliers": self.multipliers.cpu(),
        }

    def set_state(self, state: dict[str, torch.Tensor]) -> None:
        """Restores :meth:`state`."""
        device = self.counts.device
        if state["multipliers"].shape != self.multipliers.shape:
            raise ValueError("the saved hash has another number of tokens per frame")
        self.multipliers = state["multipliers"].to(device=device, dtype=torch.int64)
        self.counts.zero_()
        self.counts[state["ids"].to(device)] = state["counts"].to(device, torch.float32)
