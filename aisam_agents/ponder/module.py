"""PonderNet (Banino et al. 2021): a recurrent step with a learned halting distribution.

A step function ``h_n = cell(x, h_{n-1})`` is applied up to ``max_steps`` times to the
same input. After each step a halting head gives ``λ_n = σ(w·h_n + b)``, the probability
of halting at step ``n`` given that no earlier step halted, so the halting distribution is
``p_n = λ_n ∏_{j<n} (1 - λ_j)``. Unrolling stops, per element, at the first step ``T``
where the probability of not having halted drops to ``halt_epsilon`` or below (or at
``max_steps``); the remainder ``∏_{j<T}(1 - λ_j)`` is folded into step ``T`` (``λ_T := 1``),
so ``Σ_n p_n = 1`` exactly and ``p_n = 0`` after ``T``. The truncation point of an element
depends on that element alone, so the same input gives the same ``p`` in any batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from aisam_envs.errors import InvalidConfigError, check_int, check_real

__all__ = [
    "HALTING_MODES",
    "PonderConfig",
    "PonderCore",
    "PonderNet",
    "PonderOutput",
    "PonderTrace",
    "halting_trace",
    "select_steps",
]

CELLS = ("gru", "rnn")
HALTING_MODES = ("sample", "mode", "threshold")


@dataclass(frozen=True)
class PonderConfig:
    """Settings of a :class:`PonderNet`.

    Attributes:
        input_dim: size of the input vector ``x``, fed to the cell at every step.
        hidden_dim: size of the recurrent state ``h``.
        output_dim: size of each step's output ``y_n``.
        max_steps: the most steps ``N`` unrolled.
        cell: ``"gru"`` (``nn.GRUCell``) or ``"rnn"`` (tanh ``nn.RNNCell``, as in the paper).
        halt_epsilon: an element stops unrolling once its probability of not having halted
            is ``<= halt_epsilon`` (the paper's ε = 0.05); 0 always unrolls ``max_steps``.
        lambda_init: the halting probability ``λ`` every step starts with (sets the bias of
            the halting head; its weights start at zero).
    """

    input_dim: int = 8
    hidden_dim: int = 64
    output_dim: int = 1
    max_steps: int = 20
    cell: str = "gru"
    halt_epsilon: float = 0.05
    lambda_init: float = 0.1

    def __post_init__(self) -> None:
        for name in ("input_dim", "hidden_dim", "output_dim", "max_steps"):
            check_int(f"PonderConfig.{name}", getattr(self, name), 1)
        _check_core_args(self.cell, self.halt_epsilon, self.lambda_init)


def _check_core_args(cell: str, halt_epsilon: float, lambda_init: float) -> None:
    if not isinstance(cell, str) or cell not in CELLS:
        raise InvalidConfigError(f"cell must be one of {CELLS}, got {cell!r}")
    if not 0.0 <= check_real("halt_epsilon", halt_epsilon) < 1.0:
        raise InvalidConfigError(f"halt_epsilon must be in [0, 1), got {halt_epsilon}")
    if not 0.0 < check_real("lambda_init", lambda_init) < 1.0:
        raise InvalidConfigError(f"lambda_init must be in (0, 1), got {lambda_init}")


@dataclass(frozen=True)
class PonderTrace:
    """What one unroll of a :class:`PonderCore` produced (``N`` = steps unrolled, ``B`` = batch).

    Attributes:
        states: ``(N, B, H)`` the recurrent state after each step.
        log_p: ``(N, B)`` log of the halting distribution; finite but meaningless after
            ``halt_index`` (use ``valid``).
        p: ``(N, B)`` the halting distribution, exactly 0 after ``halt_index``; sums to 1.
        halt_index: ``(B,)`` int64, the last step (0-based) each element may halt at.
    """

    states: torch.Tensor
    log_p: torch.Tensor
    p: torch.Tensor
    halt_index: torch.Tensor

    @property
    def n_steps(self) -> int:
        """Number of steps unrolled (the longest element's)."""
        return int(self.p.shape[0])

    @property
    def valid(self) -> torch.Tensor:
        """``(N, B)`` bool: the steps each element may halt at (``n <= halt_index``)."""
        steps = torch.arange(self.n_steps, device=self.p.device).unsqueeze(1)
        return steps <= self.halt_index.unsqueeze(0)

    @property
    def expected_steps(self) -> torch.Tensor:
        """``(B,)`` expected number of steps ``Σ_n n·p_n`` (1-based)."""
        steps = torch.arange(1, self.n_steps + 1, device=self.p.device, dtype=self.p.dtype)
        return (steps.unsqueeze(1) * self.p).sum(0)


class PonderCore(nn.Module):
    """The recurrent step and halting head of PonderNet, without an output head.

    Shared by :class:`PonderNet` (supervised) and the PonderPPO policy (which puts its
    action and value heads on the per-step states).
    """

    def __init__(
        self,
        input_dim: int,
        hidden_dim: int,
        max_steps: int,
        *,
        cell: str = "gru",
        halt_epsilon: float = 0.05,
        lambda_init: float = 0.1,
    ) -> None:
        super().__init__()
        _check_core_args(cell, halt_epsilon, lambda_init)
        input_dim = check_int("input_dim", input_dim, 1)
        hidden_dim = check_int("hidden_dim", hidden_dim, 1)
        max_steps = check_int("max_steps", max_steps, 1)
        cell_class = nn.GRUCell if cell == "gru" else nn.RNNCell
        self.cell = cell_class(input_dim, hidden_dim)
        self.halt = nn.Linear(hidden_dim, 1)
        self.hidden_dim = hidden_dim
        self.max_steps = max_steps
        self.halt_epsilon = halt_epsilon
        self.lambda_init = lambda_init
        self.reset_halting()

    def reset_halting(self) -> None:
        """Make every step's ``λ`` start at ``lambda_init`` (zero weights, logit bias)."""
        nn.init.zeros_(self.halt.weight)
        nn.init.constant_(self.halt.bias, math.log(self.lambda_init / (1.0 - self.lambda_init)))

    def forward(self, x: torch.Tensor, early_exit: bool | None = None) -> PonderTrace:
        """Unroll on ``x`` ``(B, input_dim)``; see the module docstring for the halting rule.

        ``early_exit``: stop unrolling once every element has halted (default: on the CPU
        only). Steps after that have ``p = 0``, so the unroll of ``max_steps`` gives the same
        halting distribution and steps, with zero rows appended; on a GPU it saves the host
        sync that deciding to stop costs at every step, which outweighs the steps it skips
        at these batch sizes.
        """
        if x.dim() != 2:
            raise InvalidConfigError(
                f"PonderCore expects (batch, features) input, got {tuple(x.shape)}"
            )
        if early_exit is None:
            early_exit = x.device.type == "cpu"
        h = x.new_zeros(x.shape[0], self.hidden_dim)
        log_not_halted = x.new_zeros(x.shape[0])
        states, logits = [], []
        for _ in range(self.max_steps):
            h = self.cell(x, h)
            z = self.halt(h).squeeze(-1)
            states.append(h)
            logits.append(z)
            if early_exit and self.halt_epsilon > 0:
                log_not_halted = log_not_halted + F.logsigmoid(-z)
                if bool((log_not_halted <= math.log(self.halt_epsilon)).all()):
                    break
        return halting_trace(torch.stack(states), torch.stack(logits), self.halt_epsilon)


def halting_trace(states: torch.Tensor, logits: torch.Tensor, halt_epsilon: float) -> PonderTrace:
    """The truncated halting distribution of halting logits ``(N, B)`` (``λ_n = σ(logit)``).

    Args:
        states: ``(N, B, H)`` the recurrent states the logits came from (kept in the trace).
        logits: ``(N, B)`` halting logits of the steps unrolled.
        halt_epsilon: truncation threshold on the probability of not having halted.
    """
    log_stop = math.log(halt_epsilon) if halt_epsilon > 0 else -math.inf
    n_steps = logits.shape[0]
    log_lam = F.logsigmoid(logits)
    log_continue = F.logsigmoid(-logits)
    log_not_halted = torch.cumsum(log_continue, 0)  # log ∏_{j<=n} (1 - λ_j)
    log_before = log_not_halted - log_continue  # log ∏_{j<n} (1 - λ_j)
    reached = log_not_halted <= log_stop
    reached[-1] = True
    halt_index = reached.to(torch.int8).argmax(0)  # first step where it is reached
    steps = torch.arange(n_steps, device=logits.device).unsqueeze(1)
    at_halt = steps == halt_index.unsqueeze(0)
    log_p = torch.where(at_halt, log_before, log_lam + log_before)
    p = torch.where(steps <= halt_index.unsqueeze(0), log_p.exp(), torch.zeros_like(log_p))
    return PonderTrace(states=states, log_p=log_p, p=p, halt_index=halt_index)


def select_steps(
    trace: PonderTrace,
    mode: str = "sample",
    *,
    threshold: float = 0.5,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The step (0-based, ``(B,)`` int64) each element halts at, for inference.

    Args:
        trace: an unroll.
        mode: ``"sample"`` draws ``n ~ p`` (the same law as flipping a ``λ_n`` coin after
            each step); ``"mode"`` takes the most likely step; ``"threshold"`` the first
            step where the cumulative halting probability reaches ``threshold``.
        threshold: for ``"threshold"``, in ``(0, 1]``.
        generator: random source for ``"sample"``.
    """
    if mode == "sample":
        return torch.multinomial(trace.p.detach().T, 1, generator=generator).squeeze(1)
    if mode == "mode":
        return trace.p.detach().argmax(0)
    if mode == "threshold":
        if not 0.0 < threshold <= 1.0:
            raise InvalidConfigError(f"threshold must be in (0, 1], got {threshold}")
        reached = torch.cumsum(trace.p.detach(), 0) >= threshold - 1e-6
        reached[-1] = True
        return reached.to(torch.int8).argmax(0)
    raise InvalidConfigError(f"halting mode must be one of {HALTING_MODES}, got {mode!r}")


@dataclass(frozen=True)
class PonderOutput:
    """A :class:`PonderNet` forward pass: ``y`` ``(N, B, output_dim)``, one output per step."""

    y: torch.Tensor
    trace: PonderTrace


class PonderNet(nn.Module):
    """PonderNet for supervised learning: a :class:`PonderCore` plus a linear output head.

    Train with :func:`aisam_agents.ponder.loss.ponder_loss` on the per-step losses of
    ``forward(x).y``; predict with :meth:`predict`.
    """

    def __init__(self, config: PonderConfig | None = None) -> None:
        super().__init__()
        self.config = config or PonderConfig()
        c = self.config
        self.core = PonderCore(
            c.input_dim,
            c.hidden_dim,
            c.max_steps,
            cell=c.cell,
            halt_epsilon=c.halt_epsilon,
            lambda_init=c.lambda_init,
        )
        self.head = nn.Linear(c.hidden_dim, c.output_dim)

    def forward(self, x: torch.Tensor) -> PonderOutput:
        """All steps' outputs for ``x`` ``(B, input_dim)``.

        ``x`` must be a tensor of the model's dtype (float32 unless the model was cast), as
        for ``nn.Linear``: other dtypes, and numpy arrays, raise :class:`InvalidConfigError`
        rather than being converted (under autocast any float dtype passes). Values are not
        checked here (that would sync the GPU every training step); :meth:`predict` does.
        """
        if not isinstance(x, torch.Tensor):
            raise InvalidConfigError(
                f"expected a torch.Tensor, got {type(x).__name__} "
                "(convert with torch.as_tensor(x, dtype=torch.float32))"
            )
        if x.dim() != 2 or x.shape[1] != self.config.input_dim:
            raise InvalidConfigError(
                f"expected input of shape (batch, {self.config.input_dim}), got {tuple(x.shape)}"
            )
        dtype = self.head.weight.dtype
        if not x.is_floating_point() or (
            x.dtype != dtype and not torch.is_autocast_enabled(x.device.type)
        ):
            raise InvalidConfigError(
                f"expected input of dtype {dtype} (the model's), got {x.dtype}; "
                f"convert with x.to({dtype})"
            )
        trace = self.core(x)
        return PonderOutput(y=self.head(trace.states), trace=trace)

    @torch.no_grad()
    def predict(
        self,
        x: torch.Tensor,
        mode: str = "sample",
        *,
        threshold: float = 0.5,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The output at the halting step: ``(y (B, output_dim), steps (B,) 1-based)``.

        ``mode`` is a halting mode of :func:`select_steps`. ``x`` is checked as in
        :meth:`forward` and must also be finite (NaN or inf raise
        :class:`InvalidConfigError`: they would give a meaningless halting step).
        """
        out = self.forward(x)
        if not bool(torch.isfinite(x).all()):
            raise InvalidConfigError("input x contains NaN or inf")
        index = select_steps(out.trace, mode, threshold=threshold, generator=generator)
        y = out.y[index, torch.arange(x.shape[0], device=x.device)]
        return y, index + 1
