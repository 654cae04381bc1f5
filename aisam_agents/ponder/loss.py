"""The PonderNet loss: per-step losses weighted by halting probability, plus a KL prior.

``L = Σ_n p_n · L_n + β · KL(p ‖ p_G(λ_p))``, with the KL in that direction (the halting
distribution first). The geometric prior ``p_G(n) = λ_p (1 - λ_p)^(n-1)`` is truncated
exactly as ``p`` is: at each element's last step ``T`` (see
:mod:`aisam_agents.ponder.module`) the remainder ``(1 - λ_p)^(T-1)`` is folded into step
``T``, so both distributions live on ``{1..T}`` and each sums to 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from aisam_agents.ponder.module import PonderTrace
from aisam_envs.errors import InvalidConfigError, check_real

__all__ = ["PonderLoss", "check_prior", "geometric_log_prior", "kl_to_geometric", "ponder_loss"]


def check_prior(lambda_p: float, beta: float, beta_name: str = "beta") -> None:
    """Raise :class:`InvalidConfigError` unless ``0 < lambda_p < 1`` and ``beta`` is finite
    and ``>= 0`` (both real numbers; a NaN or infinite ``beta`` would make every weight NaN).
    ``beta_name`` is the caller's name for ``beta`` in the message."""
    if not 0.0 < check_real("lambda_p", lambda_p) < 1.0:
        raise InvalidConfigError(
            f"lambda_p must be in (0, 1) (prior mean 1/lambda_p steps), got {lambda_p}"
        )
    if check_real(beta_name, beta) < 0.0:
        raise InvalidConfigError(f"{beta_name} must be finite and >= 0, got {beta}")


def geometric_log_prior(lambda_p: float, halt_index: torch.Tensor, n_steps: int) -> torch.Tensor:
    """Log of the truncated geometric prior, ``(n_steps, B)``.

    Args:
        lambda_p: the prior's per-step halting probability, in ``(0, 1)``.
        halt_index: ``(B,)`` each element's last step (0-based); the remainder goes there.
        n_steps: rows of the result; rows after an element's ``halt_index`` are finite
            filler, not probabilities.
    """
    check_prior(lambda_p, 0.0)
    steps = torch.arange(n_steps, device=halt_index.device, dtype=torch.float32).unsqueeze(1)
    log_before = steps * math.log1p(-lambda_p)  # log (1 - λ_p)^(n-1), n = step + 1
    at_halt = steps == halt_index.unsqueeze(0).to(steps.dtype)
    return torch.where(at_halt, log_before, log_before + math.log(lambda_p))


def kl_to_geometric(trace: PonderTrace, lambda_p: float) -> torch.Tensor:
    """``(B,)`` KL(p ‖ p_G(λ_p)) of each element, over its steps ``1..T``."""
    log_q = geometric_log_prior(lambda_p, trace.halt_index, trace.n_steps).to(trace.log_p.dtype)
    terms = trace.p * (trace.log_p - log_q)
    return torch.where(trace.valid, terms, torch.zeros_like(terms)).sum(0)


@dataclass(frozen=True)
class PonderLoss:
    """The parts of the PonderNet loss (scalars, batch means).

    Attributes:
        total: ``task + beta * kl``, the quantity to minimise.
        task: ``Σ_n p_n L_n``, the expected per-step loss under the halting distribution.
        kl: ``KL(p ‖ p_G)``.
        expected_steps: mean of ``Σ_n n p_n``.
    """

    total: torch.Tensor
    task: torch.Tensor
    kl: torch.Tensor
    expected_steps: torch.Tensor


def ponder_loss(
    step_losses: torch.Tensor, trace: PonderTrace, lambda_p: float, beta: float
) -> PonderLoss:
    """The PonderNet loss of one batch.

    Args:
        step_losses: ``(N, B)`` the loss ``L(y, y_n)`` of every step's output; entries after
            an element's last step are ignored (they may be anything finite).
        trace: the unroll that produced the outputs.
        lambda_p: the geometric prior's per-step halting probability, in ``(0, 1)``.
        beta: weight of the KL term, ``>= 0``.
    """
    check_prior(lambda_p, beta)
    if step_losses.shape != trace.p.shape:
        raise InvalidConfigError(
            f"step_losses must have shape (steps, batch) = {tuple(trace.p.shape)}, "
            f"got {tuple(step_losses.shape)}"
        )
    weighted = torch.where(trace.valid, trace.p * step_losses, torch.zeros_like(step_losses))
    task = weighted.sum(0).mean()
    kl = kl_to_geometric(trace, lambda_p).mean()
    return PonderLoss(
        total=task + beta * kl,
        task=task,
        kl=kl,
        expected_steps=trace.expected_steps.mean(),
    )
