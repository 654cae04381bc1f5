"""What a LearnMax branch expects to learn at an imagined step.

Three criteria score a predicted next frame (nats, per imagined step):

- ``"entropy"``: the predictive entropy ``H[p(o' | h, a)]`` of the world model, the original
  learnmax score. It counts irreducible noise as well: a noisy TV keeps it high forever.
- ``"disagreement"`` (the default): the epistemic part only. An ensemble of ``M`` small
  next-frame heads reads the world model's features of the step; each head is a trained
  MLP plus a fixed random prior MLP (randomised prior functions) and trains on its own
  bootstrap of the replay. The score is their mutual information
  ``H[mean_i p_i] - mean_i H[p_i]`` (a Jensen-Shannon divergence): high where the heads
  have not been fitted (novel states and actions), near 0 where they all learned the same
  distribution, however noisy it is.
- ``"reverse"``: minus the entropy, to plan along well-understood paths (toward a reward
  with ``reward_coef > 0``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from aisam_agents.world_model.imagination import NextFrameDistribution
from aisam_envs.errors import InvalidConfigError

CRITERIA = ("disagreement", "entropy", "reverse")


def check_criterion(criterion: object) -> str:
    """``criterion`` if it is one of :data:`CRITERIA`, else InvalidConfigError."""
    if not isinstance(criterion, str) or criterion not in CRITERIA:
        raise InvalidConfigError(f"unknown criterion {criterion!r}; choose one of {CRITERIA}")
    return criterion


def token_entropy(logits: torch.Tensor) -> torch.Tensor:
    """``(..., T, V)`` logits -> ``(...)`` entropy in nats, summed over the ``T`` tokens."""
    logp = logits.float().log_softmax(-1)
    return -(logp.exp() * logp).sum(dim=(-1, -2))


class EnsembleHeads(nn.Module):
    """``M`` next-frame predictors on the world model's ``(d_model,)`` features.

    Head ``i`` gives logits ``g_i(x) + prior_scale * q_i(x)`` over ``T`` tokens of a
    vocabulary of ``V``, where ``g_i`` is a trained two-layer MLP and ``q_i`` a fixed random
    one of the same shape. All heads run as one batched matrix product.

    Args:
        d_model: feature width.
        tokens_per_frame: ``T``.
        vocab_size: ``V``.
        n_heads: ``M`` (>= 2).
        hidden: hidden width of each MLP.
        prior_scale: weight of the random priors (the size of the disagreement on data
            no head has seen).
        seed: seeds the initial weights and the priors.
    """

    def __init__(
        self,
        d_model: int,
        tokens_per_frame: int,
        vocab_size: int,
        n_heads: int = 5,
        hidden: int = 128,
        prior_scale: float = 1.0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.n_heads, self.tokens, self.vocab = n_heads, tokens_per_frame, vocab_size
        self.prior_scale = prior_scale
        out = tokens_per_frame * vocab_size
        g = torch.Generator().manual_seed(seed)

        def weights(*shape: int) -> torch.Tensor:
            return torch.randn(*shape, generator=g) / math.sqrt(shape[-2])

        self.w1 = nn.Parameter(weights(n_heads, d_model, hidden))
        self.b1 = nn.Parameter(torch.zeros(n_heads, 1, hidden))
        self.w2 = nn.Parameter(weights(n_heads, hidden, out))
        self.b2 = nn.Parameter(torch.zeros(n_heads, 1, out))
        self.register_buffer("p1", weights(n_heads, d_model, hidden))
        self.register_buffer("p2", weights(n_heads, hidden, out))

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        """``(N, d_model)`` features -> ``(M, N, T, V)`` float32 logits of every head."""
        x = features.float().detach()[None].expand(self.n_heads, -1, -1)
        trained = torch.baddbmm(self.b2, F.gelu(torch.baddbmm(self.b1, x, self.w1)), self.w2)
        prior = torch.bmm(F.gelu(torch.bmm(x, self.p1)), self.p2)
        out = trained + self.prior_scale * prior
        return out.view(self.n_heads, -1, self.tokens, self.vocab)

    def disagreement(self, features: torch.Tensor) -> torch.Tensor:
        """``(N,)`` mutual information of the heads' next frames (nats, summed over tokens):
        entropy of the mean prediction minus the mean entropy of the heads."""
        logp = self.logits(features).log_softmax(-1)
        mean = logp.exp().mean(0)
        total = -(mean * mean.clamp_min(1e-12).log()).sum(dim=(-1, -2))
        return (total - token_entropy(logp).mean(0)).clamp_min(0.0)

    def loss(
        self, features: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor
    ) -> torch.Tensor:
        """Bootstrap-weighted cross-entropy: ``features (N, d)``, target tokens ``(N, T)``,
        ``weights (M, N)`` (each head's resampling of the batch)."""
        logp = self.logits(features).log_softmax(-1)
        idx = targets[None, :, :, None].expand(self.n_heads, -1, -1, 1)
        nll = -logp.gather(-1, idx).squeeze(-1).sum(-1)  # (M, N)
        return (nll * weights).sum() / weights.sum().clamp_min(1.0)


def step_value(
    criterion: str, dist: NextFrameDistribution, heads: EnsembleHeads | None
) -> torch.Tensor:
    """``(B,)`` expected learning at each predicted step of ``dist`` under ``criterion``."""
    if criterion == "disagreement":
        if heads is None:
            raise InvalidConfigError("the 'disagreement' criterion needs ensemble heads")
        return heads.disagreement(dist.features)
    entropy = token_entropy(dist.logits)
    return entropy if criterion == "entropy" else -entropy
