"""PonderNet core: halting distribution, truncation, inference modes, gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from tolerance import F32
from torch import nn

from aisam_agents.ponder import (
    PonderConfig,
    PonderCore,
    PonderNet,
    halting_trace,
    ponder_loss,
    select_steps,
)
from aisam_envs.errors import InvalidConfigError


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _trace(lambdas: list[list[float]], halt_epsilon: float = 0.0):
    logits = torch.tensor([[_logit(v) for v in row] for row in lambdas]).T  # (N, B)
    states = torch.zeros(*logits.shape, 1)
    return halting_trace(states, logits, halt_epsilon)


def test_halting_distribution_folds_remainder_into_last_step() -> None:
    trace = _trace([[0.2, 0.5, 0.9]])
    torch.testing.assert_close(trace.p[:, 0], torch.tensor([0.2, 0.4, 0.4]))
    assert trace.halt_index.tolist() == [2]
    torch.testing.assert_close(trace.expected_steps, torch.tensor([2.2]))


def test_epsilon_truncates_each_element_on_its_own() -> None:
    # not-halted mass 0.5, 0.25, 0.125 <= 0.2: element 0 stops at step 3 of 4.
    trace = _trace([[0.5, 0.5, 0.5, 0.5], [0.1, 0.1, 0.1, 0.1]], halt_epsilon=0.2)
    torch.testing.assert_close(trace.p[:, 0], torch.tensor([0.5, 0.25, 0.25, 0.0]))
    assert trace.halt_index.tolist() == [2, 3]
    assert trace.valid[:, 0].tolist() == [True, True, True, False]
    torch.testing.assert_close(trace.p.sum(0), torch.ones(2))


@pytest.mark.parametrize("cell", ["gru", "rnn"])
@pytest.mark.parametrize("halt_epsilon", [0.0, 0.05])
def test_p_sums_to_one_and_is_zero_after_halt(cell: str, halt_epsilon: float) -> None:
    torch.manual_seed(0)
    config = PonderConfig(input_dim=6, hidden_dim=16, max_steps=12, cell=cell,
                          halt_epsilon=halt_epsilon, lambda_init=0.3)  # fmt: skip
    net = PonderNet(config)
    torch.nn.init.normal_(net.core.halt.weight, std=1.0)  # make lambdas vary per element
    out = net(torch.randn(64, 6))
    torch.testing.assert_close(out.trace.p.sum(0), torch.ones(64))
    assert (out.trace.p >= 0).all()
    assert (out.trace.p[~out.trace.valid] == 0).all()
    assert out.y.shape == (out.trace.n_steps, 64, 1)
    if halt_epsilon == 0.0:
        assert out.trace.n_steps == 12


def test_unroll_stops_early_once_every_element_halted() -> None:
    net = PonderNet(PonderConfig(input_dim=3, max_steps=20, halt_epsilon=0.05, lambda_init=0.5))
    out = net(torch.randn(8, 3))
    # zero halting weights: lambda = 0.5 everywhere, 0.5**5 <= 0.05 < 0.5**4
    assert out.trace.n_steps == 5
    assert out.trace.halt_index.tolist() == [4] * 8


def test_the_full_unroll_gives_the_early_exits_halting_and_loss() -> None:
    """What a GPU runs (no early exit: no host sync per step) is the CPU's unroll with zero
    rows appended: same halting steps, distribution, states and PonderNet loss."""
    torch.manual_seed(0)
    core = PonderCore(3, 16, max_steps=20, halt_epsilon=0.05, lambda_init=0.5)
    nn.init.normal_(core.halt.weight, std=0.5)  # elements halt at different steps, all < 20
    x = torch.randn(64, 3)
    early, full = core(x, early_exit=True), core(x, early_exit=False)
    n = early.n_steps
    assert n < full.n_steps == 20
    assert len(set(early.halt_index.tolist())) > 1
    assert torch.equal(early.halt_index, full.halt_index)
    torch.testing.assert_close(full.p[:n], early.p, **F32)  # other reduction lengths
    assert not full.p[n:].any()
    assert torch.equal(early.states, full.states[:n])  # the same steps, one by one
    losses = torch.rand(20, 64)
    a, b = ponder_loss(losses[:n], early, 0.5, 0.1), ponder_loss(losses, full, 0.5, 0.1)
    torch.testing.assert_close(b.total, a.total, **F32)
    torch.testing.assert_close(b.kl, a.kl, **F32)


def test_zero_epsilon_always_unrolls_max_steps() -> None:
    net = PonderNet(PonderConfig(input_dim=3, max_steps=20, halt_epsilon=0.0, lambda_init=0.5))
    out = net(torch.randn(8, 3))
    assert out.trace.n_steps == 20  # a fixed unroll: what CUDA-graph training captures
    assert out.trace.halt_index.tolist() == [19] * 8
    assert torch.allclose(out.trace.p.sum(0), torch.ones(8))


def test_element_result_does_not_depend_on_batch() -> None:
    torch.manual_seed(1)
    net = PonderNet(PonderConfig(input_dim=4, hidden_dim=8, max_steps=10, lambda_init=0.3))
    torch.nn.init.normal_(net.core.halt.weight, std=2.0)
    x = torch.randn(16, 4)
    whole = net(x).trace
    alone = net(x[3:4]).trace
    n = alone.n_steps
    torch.testing.assert_close(alone.p[:, 0], whole.p[:n, 3])
    assert int(alone.halt_index[0]) == int(whole.halt_index[3])


def test_gradients_reach_the_halting_head() -> None:
    torch.manual_seed(0)
    net = PonderNet(PonderConfig(input_dim=5, hidden_dim=8, max_steps=6, halt_epsilon=0.0))
    x, target = torch.randn(32, 5), torch.randn(32, 1)
    out = net(x)
    step_losses = ((out.y - target) ** 2).squeeze(-1)
    ponder_loss(step_losses, out.trace, lambda_p=0.3, beta=0.0).total.backward()
    for param in (net.core.halt.weight, net.core.halt.bias):
        assert param.grad is not None
        assert torch.isfinite(param.grad).all()
        assert param.grad.abs().sum() > 0


def test_halting_modes() -> None:
    trace = _trace([[0.2, 0.5, 0.9], [0.7, 0.5, 0.5]])  # p = [.2,.4,.4], [.7,.15,.15]
    assert select_steps(trace, "mode").tolist() == [1, 0]
    assert select_steps(trace, "threshold", threshold=0.5).tolist() == [1, 0]
    assert select_steps(trace, "threshold", threshold=0.9).tolist() == [2, 2]
    many = _trace([[0.2, 0.5, 0.9]] * 4000)
    draws = select_steps(many, "sample", generator=torch.Generator().manual_seed(0))
    freq = torch.bincount(draws, minlength=3).float() / 4000
    torch.testing.assert_close(freq, many.p[:, 0], atol=0.03, rtol=0)
    with pytest.raises(InvalidConfigError, match="halting mode"):
        select_steps(trace, "greedy")


def test_predict_returns_output_at_halting_step_and_is_seeded() -> None:
    torch.manual_seed(0)
    net = PonderNet(PonderConfig(input_dim=4, output_dim=2, max_steps=7, halt_epsilon=0.0))
    x = torch.randn(10, 4)
    y, steps = net.predict(x, "mode")
    out = net(x)
    index = out.trace.p.argmax(0)
    torch.testing.assert_close(y, out.y[index, torch.arange(10)])
    assert steps.tolist() == (index + 1).tolist()
    a = net.predict(x, "sample", generator=torch.Generator().manual_seed(3))
    b = net.predict(x, "sample", generator=torch.Generator().manual_seed(3))
    assert torch.equal(a[1], b[1])


def test_same_seed_same_network() -> None:
    outs = []
    for _ in range(2):
        torch.manual_seed(42)
        net = PonderNet(PonderConfig(input_dim=3, max_steps=5))
        outs.append(net(torch.ones(2, 3)).y)
    torch.testing.assert_close(outs[0], outs[1], rtol=0, atol=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_steps": 0}, "max_steps"),
        ({"max_steps": 3.9}, "PonderConfig.max_steps must be an int"),
        ({"max_steps": "abc"}, "PonderConfig.max_steps"),
        ({"input_dim": 2.5}, "PonderConfig.input_dim"),
        ({"hidden_dim": True}, "PonderConfig.hidden_dim"),
        ({"output_dim": np.float64(2.0)}, "PonderConfig.output_dim"),
        ({"cell": "lstm"}, "cell"),
        ({"halt_epsilon": 1.0}, "halt_epsilon"),
        ({"halt_epsilon": "0.1"}, "halt_epsilon must be a real number"),
        ({"lambda_init": 0.0}, "lambda_init"),
        ({"lambda_init": float("nan")}, "lambda_init"),
    ],
)
def test_bad_config_is_rejected(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidConfigError, match=match):
        PonderConfig(**kwargs)


def test_core_rejects_non_integer_sizes_and_takes_numpy_ints() -> None:
    with pytest.raises(InvalidConfigError, match="input_dim must be an int, got 2.5"):
        PonderCore(2.5, 4, 3)
    with pytest.raises(InvalidConfigError, match="max_steps must be an int, got True"):
        PonderCore(2, 4, True)
    config = PonderConfig(input_dim=np.int64(3), hidden_dim=np.int32(4), max_steps=np.int64(5))
    out = PonderNet(config)(torch.zeros(2, 3))
    assert out.trace.n_steps == 5 and out.trace.states.shape[-1] == 4
    assert type(PonderNet(config).core.max_steps) is int


@pytest.mark.parametrize(
    ("x", "match"),
    [
        (torch.zeros(2, 4), r"\(batch, 3\)"),
        (torch.zeros(3), r"\(batch, 3\)"),
        (np.zeros((2, 3), np.float32), "torch.Tensor, got ndarray"),
        (torch.zeros(2, 3, dtype=torch.float64), "dtype torch.float32 .* got torch.float64"),
        (torch.zeros(2, 3, dtype=torch.int64), "dtype torch.float32 .* got torch.int64"),
    ],
)
def test_wrong_input_is_rejected(x: object, match: str) -> None:
    net = PonderNet(PonderConfig(input_dim=3))
    with pytest.raises(InvalidConfigError, match=match):
        net(x)
    with pytest.raises(InvalidConfigError, match=match):
        net.predict(x, "mode")


def test_input_of_the_model_dtype_or_under_autocast_is_accepted() -> None:
    net = PonderNet(PonderConfig(input_dim=3, max_steps=4)).double()
    assert net(torch.zeros(2, 3, dtype=torch.float64)).y.dtype == torch.float64
    net = PonderNet(PonderConfig(input_dim=3, max_steps=4))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert net(torch.zeros(2, 3, dtype=torch.bfloat16)).y.dtype == torch.bfloat16


@pytest.mark.parametrize("mode", ["sample", "mode", "threshold"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_predict_rejects_non_finite_input(mode: str, bad: float) -> None:
    net = PonderNet(PonderConfig(input_dim=3, max_steps=4))
    x = torch.zeros(4, 3)
    x[2, 1] = bad
    with pytest.raises(InvalidConfigError, match="NaN or inf"):
        net.predict(x, mode)
