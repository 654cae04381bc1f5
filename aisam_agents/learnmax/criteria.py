"""What a LearnMax branch expects to learn at an imagined step.

Five criteria score a predicted next frame (nats, per imagined step):

- ``"infogain"`` (the default): the information that one more visit of the step's context
  (frame tokens ``c``, action ``a``) gives about the successor the world model predicts
  there, under a Dirichlet-categorical posterior per token: the mutual information
  ``I(o'; theta)`` (Lindley's expected information of an experiment; as an exploration
  value Sun, Gomez & Schmidhuber 2011, "Planning to be surprised", and Little & Sommer
  2013's predicted information gain). The posterior is ``Dirichlet(alpha)`` with
  ``alpha_k = c0 / V + n * p_k``: ``n`` the context's visit count
  (:mod:`~aisam_agents.learnmax.counts`), ``c0`` (``prior_count``, 1: Perks' prior) the
  weight of a uniform prior over the ``V`` tokens, and ``p`` the one-hot of the model's most
  likely next token (its point prediction: the ``n`` visits are taken to have shown it).
  Then

      I = H[m] - psi(alpha_0 + 1) + sum_k m_k psi(alpha_k + 1),   m = alpha / alpha_0,

  summed over the ``T`` tokens: about ``log V - 1`` nats per token for a context never
  visited (whatever the network guesses there), 2.3 after one visit, 0.8 after five,
  0.05 after a hundred (``V = 200``, ``c0 = 1``). The evidence is counted per context, not
  read from the network's features, so tried and untried pairs differ however the
  network generalises (why ``"disagreement"`` has almost no contrast, docs/learnmax.md).
  A noisy context is worth what any context of as many visits is worth: the criterion
  values finding successors, not learning the shape of a noise distribution, so a noisy
  TV holds it no longer than the visits it takes.
- ``"infogain_full"``: the same information gain with ``p`` the model's whole predictive
  distribution. It also counts learning a noisy distribution's shape, about
  ``(K - 1) / (2 n)`` nats for ``K`` outcomes, so a well-visited TV stays worth more than a
  deterministic pair of equal visits, and once the rest is known the search returns to it
  (measured: docs/learnmax.md, test_lm_noisy_tv.py). Kept to show that; not the default.
- ``"entropy"``: the predictive entropy ``H[p(o' | h, a)]`` of the world model, the original
  learnmax score. It counts irreducible noise as well: a noisy TV keeps it high forever.
- ``"disagreement"``: the epistemic part only. An ensemble of ``M`` small
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

CRITERIA = ("infogain", "infogain_full", "disagreement", "entropy", "reverse")
COUNTED = ("infogain", "infogain_full")  # the criteria that read the contexts' visit counts


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


def information_gain(
    logits: torch.Tensor, counts: torch.Tensor, prior_count: float
) -> torch.Tensor:
    """``(B,)`` expected information (nats) about a context's next-frame distribution from
    one more visit, summed over tokens (see the module docstring).

    Args:
        logits: ``(B, T, V)`` logits of what the ``counts`` visits showed per token.
        counts: ``(B,)`` the context's visits so far.
        prior_count: ``c0`` > 0, the weight of the uniform prior.
    """
    p = logits.float().softmax(-1)
    n = counts.float().clamp_min(0)[:, None, None]
    alpha = prior_count / p.shape[-1] + n * p
    alpha0 = prior_count + n[..., 0]  # (B, 1)
    m = alpha / alpha0[..., None]
    entropy = -(m * m.clamp_min(1e-30).log()).sum(-1)
    expected = torch.digamma(alpha0 + 1) - (m * torch.digamma(alpha + 1)).sum(-1)
    return (entropy - expected).sum(-1).clamp_min(0.0)


def point_information_gain(
    counts: torch.Tensor, vocab_size: int, tokens_per_frame: int, prior_count: float
) -> torch.Tensor:
    """The ``"infogain"`` value of contexts from their visit counts alone: the
    :func:`information_gain` of a one-hot prediction over ``vocab_size`` tokens, in closed
    form (the ``V - 1`` tokens off the mode share one term), times the ``T`` tokens.

    Args:
        counts: ``(...)`` visits so far.
        vocab_size: ``V``.
        tokens_per_frame: ``T``.
        prior_count: ``c0`` > 0, the weight of the uniform prior.

    Returns:
        ``(...)`` float32 nats, what :func:`step_value` gives a step of that count
        (computed in float64, so more exact at large counts).
    """
    n = counts.double().clamp_min(0)  # float64: the terms cancel at large counts
    rest = prior_count / vocab_size  # alpha of every token off the mode
    total = prior_count + n  # alpha_0
    m_mode, m_rest = (rest + n) / total, rest / total
    others = (vocab_size - 1) * m_rest
    entropy = -m_mode * m_mode.log() - others * (math.log(rest) - total.log())
    psi_rest = float(torch.digamma(torch.tensor(rest + 1.0, dtype=torch.float64)))
    expected = torch.digamma(total + 1) - m_mode * torch.digamma(rest + n + 1) - others * psi_rest
    return (tokens_per_frame * (entropy - expected)).clamp_min(0.0).float()


def step_value(
    criterion: str,
    dist: NextFrameDistribution,
    heads: EnsembleHeads | None = None,
    counts: torch.Tensor | None = None,
    prior_count: float = 1.0,
) -> torch.Tensor:
    """``(B,)`` expected learning at each predicted step of ``dist`` under ``criterion``
    (``heads`` for ``"disagreement"``, the contexts' visit ``counts`` ``(B,)`` for the
    :data:`COUNTED` ones)."""
    if criterion in COUNTED:
        if counts is None:
            raise InvalidConfigError(f"the {criterion!r} criterion needs the contexts' counts")
        logits = dist.logits
        if criterion == "infogain":  # the point prediction: 0 at the argmax, -inf elsewhere
            mode = F.one_hot(logits.argmax(-1), logits.shape[-1]).bool()
            logits = torch.zeros_like(logits).masked_fill(~mode, float("-inf"))
        return information_gain(logits, counts, prior_count)
    if criterion == "disagreement":
        if heads is None:
            raise InvalidConfigError("the 'disagreement' criterion needs ensemble heads")
        return heads.disagreement(dist.features)
    entropy = token_entropy(dist.logits)
    return entropy if criterion == "entropy" else -entropy
