"""The actor (a PonderNet, or an MLP of the same size) and the critic of PonderDreamer.

Both read one input vector per state: the world model's features of the step that
predicted the state, next to the embeddings of the state's observation tokens (see
:meth:`aisam_agents.ponder_dreamer.PonderDreamer.state_inputs`).

The PonderNet actor (Banino et al. 2021) unrolls a GRU core on the input; every ponder
step ``n`` has its own action distribution ``π_n`` (one head shared by all steps) and the
halting distribution ``p`` decides which step acts. Acting draws ``n ~ p`` then ``a ~ π_n``
(the mixture ``μ = Σ_n p_n π_n``). Its loss is PonderNet's, with the per-step loss the
REINFORCE loss of that step's policy (:func:`actor_loss`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from aisam_agents.ponder.loss import ponder_loss
from aisam_agents.ponder.module import PonderCore, PonderTrace, select_steps
from aisam_envs.errors import InvalidConfigError, check_int

__all__ = [
    "ActorLoss",
    "ActorSteps",
    "Critic",
    "MlpActor",
    "PonderActor",
    "actor_loss",
    "count_params",
    "mlp_width",
]


def count_params(module: nn.Module) -> int:
    """Number of parameters of ``module``."""
    return sum(p.numel() for p in module.parameters())


@dataclass(frozen=True)
class ActorSteps:
    """Every ponder step's action logits for a batch of ``B`` states.

    Attributes:
        logits: ``(N, B, A)`` logits of ``π_n`` (``N = 1`` for the MLP actor).
        trace: the PonderNet unroll (halting distribution ``p`` ``(N, B)``), or ``None``
            for the MLP actor.
    """

    logits: torch.Tensor
    trace: PonderTrace | None

    @property
    def expected_steps(self) -> torch.Tensor:
        """``(B,)`` expected ponder steps ``Σ_n n p_n`` (ones for the MLP actor)."""
        if self.trace is None:
            return self.logits.new_ones(self.logits.shape[1])
        return self.trace.expected_steps

    def act(self, deterministic: bool, generator: torch.Generator | None) -> torch.Tensor:
        """``(B,)`` actions: ``n ~ p`` then ``a ~ π_n``; deterministic: the most likely
        step's most likely action."""
        b = self.logits.shape[1]
        if self.trace is None:
            index = torch.zeros(b, dtype=torch.long, device=self.logits.device)
        else:
            mode = "mode" if deterministic else "sample"
            index = select_steps(self.trace, mode, generator=generator)
        logits = self.logits[index, torch.arange(b, device=index.device)]
        if deterministic:
            return logits.argmax(-1)
        return torch.multinomial(logits.softmax(-1), 1, generator=generator).squeeze(1)


class PonderActor(nn.Module):
    """PonderNet actor: layer norm, a :class:`PonderCore`, a linear action head.

    Args:
        input_dim: width of the state inputs.
        n_actions: number of discrete actions.
        hidden_dim: GRU state size.
        max_steps: the most ponder steps ``N``.
        lambda_init: initial halting probability of every step (the prior's ``λ_p``).
        halt_epsilon: a state's last ponder step is the first where its probability of not
            having halted is ``<= halt_epsilon``.
    """

    def __init__(
        self,
        input_dim: int,
        n_actions: int,
        hidden_dim: int = 64,
        max_steps: int = 8,
        lambda_init: float = 0.25,
        halt_epsilon: float = 0.05,
    ) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(input_dim)
        self.core = PonderCore(
            input_dim, hidden_dim, max_steps, halt_epsilon=halt_epsilon, lambda_init=lambda_init
        )
        self.head = nn.Linear(hidden_dim, check_int("n_actions", n_actions, 1))

    def forward(self, x: torch.Tensor) -> ActorSteps:
        """``x`` ``(B, input_dim)`` -> every step's logits ``(N, B, A)`` and the unroll."""
        trace = self.core(self.norm(x))
        return ActorSteps(self.head(trace.states), trace)


def mlp_width(input_dim: int, n_actions: int, n_params: int) -> int:
    """Hidden width of the two-layer :class:`MlpActor` (layer norm included) whose
    parameter count is closest to ``n_params``."""
    fixed = 2 * input_dim + n_actions  # layer norm, output bias
    per_unit = input_dim + 1 + n_actions  # a hidden unit's weights in, bias, weights out
    return max(1, round((n_params - fixed) / per_unit))


class MlpActor(nn.Module):
    """The ablation's actor: layer norm, one hidden layer (ELU), linear action head.

    Args:
        input_dim: width of the state inputs.
        n_actions: number of discrete actions.
        width: hidden units (:func:`mlp_width` matches a PonderNet actor's size).
    """

    def __init__(self, input_dim: int, n_actions: int, width: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.LayerNorm(input_dim),
            nn.Linear(input_dim, check_int("width", width, 1)),
            nn.ELU(),
            nn.Linear(width, check_int("n_actions", n_actions, 1)),
        )

    def forward(self, x: torch.Tensor) -> ActorSteps:
        """``x`` ``(B, input_dim)`` -> logits ``(1, B, A)`` (one "step"), no unroll."""
        return ActorSteps(self.net(x)[None], None)


class Critic(nn.Module):
    """State value as logits over two-hot bins: layer norm, two ELU layers, linear output.

    The output layer starts at zero (DreamerV3 does so for its critic), so the first
    predictions are exactly 0 and early bootstraps do not inject noise.
    """

    def __init__(self, input_dim: int, hidden_dim: int, n_bins: int) -> None:
        super().__init__()
        hidden_dim = check_int("critic_hidden", hidden_dim, 1)
        self.net = nn.Sequential(
            nn.LayerNorm(input_dim),
            nn.Linear(input_dim, hidden_dim),
            nn.ELU(),
            nn.Linear(hidden_dim, hidden_dim),
            nn.ELU(),
            nn.Linear(hidden_dim, n_bins),
        )
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` ``(..., input_dim)`` -> ``(..., n_bins)`` logits."""
        return self.net(x)


@dataclass(frozen=True)
class ActorLoss:
    """The actor's loss and its parts (scalars).

    Attributes:
        total: what is minimised.
        policy: the (halting-weighted) REINFORCE-with-entropy loss.
        kl: ``KL(p ‖ p_G)`` (0 for the MLP actor).
        entropy: mean (halting-weighted) entropy of the step policies, nats.
        expected_steps: mean expected ponder steps.
    """

    total: torch.Tensor
    policy: torch.Tensor
    kl: torch.Tensor
    entropy: torch.Tensor
    expected_steps: torch.Tensor


def actor_loss(
    steps: ActorSteps,
    actions: torch.Tensor,
    advantages: torch.Tensor,
    weights: torch.Tensor,
    ent_coef: float,
    lambda_p: float,
    beta: float,
) -> ActorLoss:
    """REINFORCE with entropy, per ponder step, combined by PonderNet's loss.

    Step ``n``'s loss on state ``b`` is
    ``L_nb = w_b (-A_b log π_n(a_b|s_b) - η H(π_n(·|s_b)))``, and the total is
    ``mean_b Σ_n p_nb L_nb + β mean_b KL(p_b ‖ p_G(λ_p))``
    (:func:`aisam_agents.ponder.loss.ponder_loss`); for the MLP actor it is ``mean_b L_1b``.

    Args:
        steps: the actor's output on ``B`` states.
        actions: ``(B,)`` actions taken there.
        advantages: ``(B,)`` normalised advantages (no gradient).
        weights: ``(B,)`` loss weights, e.g. the probability the state is reached
            (no gradient).
        ent_coef: entropy coefficient ``η``.
        lambda_p, beta: the geometric prior and the KL weight.
    """
    n, b, _ = steps.logits.shape
    if actions.shape != (b,) or advantages.shape != (b,) or weights.shape != (b,):
        raise InvalidConfigError(
            f"actions, advantages and weights must be ({b},), got {tuple(actions.shape)}, "
            f"{tuple(advantages.shape)}, {tuple(weights.shape)}"
        )
    logp = steps.logits.log_softmax(-1)  # (N, B, A)
    logp_a = logp.gather(-1, actions.expand(n, b)[..., None]).squeeze(-1)  # (N, B)
    entropy = -(logp.exp() * logp).sum(-1)  # (N, B)
    step_losses = weights * (-advantages * logp_a - ent_coef * entropy)
    if steps.trace is None:
        policy = step_losses[0].mean()
        zero = policy.new_zeros(())
        return ActorLoss(policy, policy, zero, entropy[0].mean(), zero + 1)
    parts = ponder_loss(step_losses, steps.trace, lambda_p, beta)
    p = steps.trace.p
    return ActorLoss(
        parts.total, parts.task, parts.kl, (p * entropy).sum(0).mean(), parts.expected_steps
    )
