"""A value of what follows an imagined step, so the search sees past its horizon.

``W(f)`` reads the features ``f`` of a step (state, action) and estimates the discounted
expected learning after it, ``sum_{j > h} discount**(j - h) * u_j``. The search ranks and
values a branch by its discounted scores plus ``discount**(H-1) * W(f_H)`` of its newest
step; after every acting step ``W`` is fitted (one Adam step, squared error) on the best
branch: ``W(f_1) <- value - u_1``, the branch's value seen from its second step. Values so
propagate backwards ``H`` steps per visit, through the states the agent passes, from where
the model can still learn toward where it cannot.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class LeafValue(nn.Module):
    """Two-layer MLP ``(B, d_model) -> (B,)`` with its own Adam optimizer.

    Args:
        d_model: feature width.
        hidden: hidden width.
        learning_rate: Adam step size.
        seed: seeds the initial weights.
    """

    def __init__(self, d_model: int, hidden: int = 128, learning_rate: float = 1e-3,
                 seed: int = 0) -> None:  # fmt: skip
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.net = nn.Sequential(nn.Linear(d_model, hidden), nn.GELU(), nn.Linear(hidden, 1))
        nn.init.zeros_(self.net[2].weight)  # starts at 0: no illusion of value anywhere
        nn.init.zeros_(self.net[2].bias)
        self.learning_rate = learning_rate

    def make_optimizer(self) -> torch.optim.Optimizer:
        """The Adam optimizer of the parameters (after the module is on its device)."""
        return torch.optim.Adam(self.parameters(), lr=self.learning_rate)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``(B, d_model)`` -> ``(B,)`` values (no gradient into the features)."""
        return self.net(features.float().detach()).squeeze(-1)

    def fit(
        self, optimizer: torch.optim.Optimizer, features: torch.Tensor, targets: torch.Tensor
    ) -> float:
        """One step toward ``targets`` ``(B,)``; returns the squared error before it."""
        loss = F.mse_loss(self(features), targets.float().detach())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return float(loss.detach())
