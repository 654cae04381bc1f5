"""PonderNet loss: hand-computed example, KL direction and truncation, prior pull."""

from __future__ import annotations

import math

import pytest
import torch

from aisam_agents.ponder import (
    geometric_log_prior,
    halting_trace,
    kl_to_geometric,
    ponder_loss,
)
from aisam_envs.errors import InvalidConfigError


def _trace(lambdas: list[float], halt_epsilon: float = 0.0):
    logits = torch.tensor([[math.log(v / (1 - v))] for v in lambdas])  # (N, 1)
    return halting_trace(torch.zeros(len(lambdas), 1, 1), logits, halt_epsilon)


def test_loss_matches_hand_computed_example() -> None:
    # lambda = (0.2, 0.5, folded) -> p = (0.2, 0.4, 0.4); prior(0.5) truncated at 3 steps
    # = (0.5, 0.25, 0.25); step losses (1, 2, 3).
    trace = _trace([0.2, 0.5, 0.9])
    losses = ponder_loss(torch.tensor([[1.0], [2.0], [3.0]]), trace, lambda_p=0.5, beta=0.1)
    task = 0.2 * 1 + 0.4 * 2 + 0.4 * 3
    kl = 0.2 * math.log(0.2 / 0.5) + 0.4 * math.log(0.4 / 0.25) + 0.4 * math.log(0.4 / 0.25)
    assert losses.task.item() == pytest.approx(task, rel=1e-6)
    assert losses.kl.item() == pytest.approx(kl, rel=1e-5)
    assert losses.total.item() == pytest.approx(task + 0.1 * kl, rel=1e-6)
    assert losses.expected_steps.item() == pytest.approx(2.2, rel=1e-6)


def test_kl_is_halting_distribution_first() -> None:
    # KL(p || q) != KL(q || p) here: pin the direction with the hand value.
    trace = _trace([0.9, 0.5])  # p = (0.9, 0.1); prior(0.3) over 2 steps = (0.3, 0.7)
    forward = 0.9 * math.log(0.9 / 0.3) + 0.1 * math.log(0.1 / 0.7)
    reverse = 0.3 * math.log(0.3 / 0.9) + 0.7 * math.log(0.7 / 0.1)
    kl = kl_to_geometric(trace, 0.3).item()
    assert kl == pytest.approx(forward, rel=1e-5)
    assert abs(kl - reverse) > 0.1


def test_prior_is_truncated_like_p_and_sums_to_one() -> None:
    halt_index = torch.tensor([0, 3, 9])
    prior = geometric_log_prior(0.2, halt_index, 10).exp()
    for b, t in enumerate(halt_index.tolist()):
        total = prior[: t + 1, b].sum().item()
        assert total == pytest.approx(1.0, rel=1e-6)
        assert prior[t, b].item() == pytest.approx(0.8**t, rel=1e-5)


def test_kl_is_zero_when_p_equals_the_prior() -> None:
    trace = _trace([0.3] * 8, halt_epsilon=0.05)  # truncated where the prior is too
    assert kl_to_geometric(trace, 0.3).item() == pytest.approx(0.0, abs=1e-6)


def test_ignores_losses_after_the_halting_step() -> None:
    trace = _trace([0.5, 0.5, 0.5, 0.5], halt_epsilon=0.2)  # halts by step 3
    a = ponder_loss(torch.tensor([[1.0], [1.0], [1.0], [0.0]]), trace, 0.5, 0.0)
    b = ponder_loss(torch.tensor([[1.0], [1.0], [1.0], [1e6]]), trace, 0.5, 0.0)
    assert a.total.item() == b.total.item() == pytest.approx(1.0)


def test_kl_term_pulls_expected_steps_toward_prior_mean() -> None:
    lambda_p, n_max = 0.2, 40
    logits = torch.full((n_max, 4), math.log(0.6 / 0.4), requires_grad=True)
    states = torch.zeros(n_max, 4, 1)
    opt = torch.optim.Adam([logits], lr=0.1)
    start = halting_trace(states, logits, 0.0).expected_steps.mean().item()
    for _ in range(200):
        trace = halting_trace(states, logits, 0.0)
        loss = ponder_loss(torch.zeros_like(trace.p), trace, lambda_p, beta=1.0)
        opt.zero_grad()
        loss.total.backward()
        opt.step()
    end = halting_trace(states, logits, 0.0).expected_steps.mean().item()
    target = (1 - (1 - lambda_p) ** n_max) / lambda_p  # mean of the truncated prior, ~1/λ_p
    assert start < 2.0
    assert end == pytest.approx(target, abs=0.1)
    assert target == pytest.approx(1 / lambda_p, abs=0.01)


@pytest.mark.parametrize(
    ("lambda_p", "beta", "match"),
    [
        (0.0, 0.1, "lambda_p must be in"),
        (1.0, 0.1, "lambda_p must be in"),
        (float("nan"), 0.1, "lambda_p must be finite"),
        ("0.5", 0.1, "lambda_p must be a real number"),
        (0.5, -1.0, "beta must be finite and >= 0"),
        (0.5, float("nan"), "beta must be finite"),
        (0.5, float("inf"), "beta must be finite"),
        (0.5, None, "beta must be a real number"),
    ],
)
def test_bad_prior_is_rejected(lambda_p: float, beta: float, match: str) -> None:
    with pytest.raises(InvalidConfigError, match=match):
        ponder_loss(torch.zeros(3, 1), _trace([0.5, 0.5, 0.5]), lambda_p, beta)


def test_shape_mismatch_is_rejected() -> None:
    with pytest.raises(InvalidConfigError, match="steps, batch"):
        ponder_loss(torch.zeros(2, 1), _trace([0.5, 0.5, 0.5]), 0.5, 0.1)
