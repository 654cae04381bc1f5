"""The ``"infogain"`` criterion: the Dirichlet information gain, the hashed context counts,
and a hand-built world where it picks the unseen branch that entropy passes over."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from test_lm_search import STUB, A, V
from tolerance import F32_ACC

from aisam_agents.learnmax.counts import ContextCounts
from aisam_agents.learnmax.criteria import information_gain, step_value
from aisam_agents.learnmax.search import beam_search
from aisam_agents.world_model.imagination import NextFrameDistribution
from aisam_envs.errors import InvalidConfigError


def _logits(p: list[float]) -> torch.Tensor:
    return torch.tensor(p, dtype=torch.float32).clamp_min(1e-30).log().view(1, 1, -1)


def _beta_mutual_information(m: float, alpha0: float, grid: int = 200_000) -> float:
    """I(y; theta) for theta ~ Beta(alpha0 m, alpha0 (1 - m)) by numerical integration:
    H[m] - E[H(theta)], independent of the digamma closed form."""
    a, b = alpha0 * m, alpha0 * (1 - m)
    t = (np.arange(grid) + 0.5) / grid
    log_pdf = (a - 1) * np.log(t) + (b - 1) * np.log1p(-t)
    log_pdf -= math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    h = -(t * np.log(t) + (1 - t) * np.log1p(-t))
    expected = float((np.exp(log_pdf) * h).sum() / grid)
    return -(m * math.log(m) + (1 - m) * math.log(1 - m)) - expected


@pytest.mark.parametrize(("p", "n", "c0"), [(0.5, 0, 1.0), (0.8, 3, 1.0), (0.3, 10, 2.0)])
def test_information_gain_is_the_dirichlet_mutual_information(p: float, n: int, c0: float):
    out = information_gain(_logits([p, 1 - p]), torch.tensor([float(n)]), c0)
    m = (c0 / 2 + n * p) / (c0 + n)
    assert float(out) == pytest.approx(_beta_mutual_information(m, c0 + n), rel=1e-3)


def test_unseen_contexts_score_high_and_every_seen_one_falls_with_its_visits() -> None:
    v = 64
    guess = [1.0 if k == 3 else 0.0 for k in range(v)]  # a confident guess
    noise = [1 / 16 if k < 16 else 0.0 for k in range(v)]  # a noisy TV of 16 outcomes
    unseen = information_gain(_logits(guess), torch.tensor([0.0]), 1.0)
    closed = math.log(v) - torch.digamma(torch.tensor(2.0)) + torch.digamma(torch.tensor(1 + 1 / v))
    torch.testing.assert_close(unseen, closed.view(1), **F32_ACC)  # whatever the model guesses
    visits = torch.tensor([1.0, 4.0, 16.0, 64.0, 256.0])
    for p in (guess, noise):
        gains = information_gain(_logits(p).expand(5, 1, v), visits, 1.0)
        assert (gains.diff() < 0).all() and (gains < unseen).all()
    tv = information_gain(_logits(noise), torch.tensor([256.0]), 1.0)
    assert float(tv) < 0.05 * float(unseen)  # a well-known noisy TV is worth little
    dist = NextFrameDistribution(
        _logits(noise)[0], torch.zeros(1), torch.zeros(1), torch.zeros(1, 2)
    )
    with pytest.raises(InvalidConfigError, match="counts"):
        step_value("infogain", dist)


def test_context_counts_count_per_context_and_round_trip() -> None:
    counts = ContextCounts(3, seed=0, device=torch.device("cpu"))
    frames = torch.tensor([[1, 2, 3], [1, 2, 3], [3, 2, 1], [1, 2, 3]])
    actions = torch.tensor([0, 0, 0, 1])
    counts.add(frames, actions)
    counts.add(frames[:1], actions[:1])
    assert counts(frames, actions).tolist() == [3.0, 3.0, 1.0, 1.0]
    assert counts(torch.tensor([[9, 9, 9]]), torch.tensor([0])).tolist() == [0.0]
    other = ContextCounts(3, seed=5, device=torch.device("cpu"))
    other.set_state(counts.state())
    assert other(frames, actions).tolist() == [3.0, 3.0, 1.0, 1.0]
    assert int(other.counts.sum()) == 5


def test_infogain_takes_the_unseen_branch_that_entropy_passes_over() -> None:
    """In the stub world action 0 of state 0 is the noisiest prediction and leads to state
    1; both were tried 500 times. Actions 1 and 2 lead to states 2 and 3, and none of those
    contexts was ever tried. Entropy goes for the noise, information gain for the unseen."""
    counts = ContextCounts(1, seed=0, device=torch.device("cpu"))
    known = torch.tensor([[0], [1], [1], [1]]), torch.tensor([0, 0, 1, 2])
    for _ in range(500):
        counts.add(*known)

    def score(criterion: str):
        return lambda d, frame, act, t: step_value(criterion, d, None, counts(frame, act))

    noise = torch.zeros(1, 3 * A)
    start, past = torch.tensor([[[0]]]), torch.zeros(1, 0, dtype=torch.long)
    entropy = beam_search(STUB, start, past, 1, 3, score("entropy"), noise)
    infogain = beam_search(STUB, start, past, 1, 3, score("infogain"), noise)
    assert entropy.actions.tolist() == [0]
    assert infogain.actions.tolist() in ([1], [2])
    deeper = beam_search(STUB, start, past, 2, 3, score("infogain"), noise)
    unseen = math.log(V) - torch.digamma(torch.tensor(2.0)) + torch.digamma(torch.tensor(1 + 1 / V))
    assert deeper.actions.tolist() in ([1], [2])  # two unseen steps in a row
    torch.testing.assert_close(deeper.values, 2 * unseen.view(1), **F32_ACC)
