"""PonderNet (Banino et al. 2021): adaptive computation with a learned halting distribution.

- :mod:`~aisam_agents.ponder.module`: the recurrent core, halting distribution and
  :class:`PonderNet` for supervised learning.
- :mod:`~aisam_agents.ponder.loss`: ``Σ_n p_n L_n + β KL(p ‖ truncated geometric prior)``.
- :mod:`~aisam_agents.ponder.policy`: SB3 actor-critic policies with a PonderNet core, used
  by :class:`aisam_agents.ponder_ppo.PonderPPO` (imported lazily: it needs SB3).
"""

from __future__ import annotations

from aisam_agents.ponder.loss import PonderLoss, geometric_log_prior, kl_to_geometric, ponder_loss
from aisam_agents.ponder.module import (
    HALTING_MODES,
    PonderConfig,
    PonderCore,
    PonderNet,
    PonderOutput,
    PonderTrace,
    halting_trace,
    select_steps,
)

__all__ = [
    "HALTING_MODES",
    "PonderConfig",
    "PonderCore",
    "PonderLoss",
    "PonderNet",
    "PonderOutput",
    "PonderTrace",
    "geometric_log_prior",
    "halting_trace",
    "kl_to_geometric",
    "ponder_loss",
    "select_steps",
]
