"""Returns, targets and normalisers of the actor-critic in imagination (DreamerV3's recipe).

- :func:`lambda_returns`: ``R_h = r_h + γ c_h ((1 - λ) v_{h+1} + λ R_{h+1})``, ``R_H = v_H``
  (Hafner et al. 2023, eq. 7), with the continuation ``c_h`` read from the world model.
- :class:`TwoHot`: values regressed as a categorical over fixed bins in symlog space, the
  target of a value ``y`` being the two-hot vector of ``symlog(y)`` (DreamerV3, section 3:
  255 bins, so the critic's loss scale does not depend on the reward scale).
- :func:`centred_bonus`: the intrinsic reward in imagination, centred on its mean over the
  imagined steps still alive, so that staying alive earns nothing on average.
- :class:`PercentileNormalizer`: returns divided by ``max(1, S)``, ``S`` an EMA of the
  5th-to-95th percentile range of the returns (DreamerV3, eq. 11), so sparse small rewards
  are not blown up into noise while large returns are scaled down.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from aisam_envs.errors import InvalidConfigError, check_int, check_real

__all__ = [
    "PercentileNormalizer",
    "TwoHot",
    "centred_bonus",
    "lambda_returns",
    "symexp",
    "symlog",
]


def symlog(x: torch.Tensor) -> torch.Tensor:
    """``sign(x) log(1 + |x|)``, elementwise."""
    return torch.sign(x) * torch.log1p(x.abs())


def symexp(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`symlog`: ``sign(x) (exp(|x|) - 1)``."""
    return torch.sign(x) * torch.expm1(x.abs())


def centred_bonus(bonus: torch.Tensor, alive: torch.Tensor) -> torch.Tensor:
    """``bonus - m``, ``m`` the mean of ``bonus`` weighted by ``alive`` (both ``(B, H)``).

    A bonus that is positive at every step pays the actor for not ending the episode, so a
    state that pays the task's reward and ends the episode looks worse than wandering on
    for more bonus (the bias of positive intrinsic rewards in episodic tasks that Burda et
    al. 2018, *Large-Scale Study of Curiosity-Driven Learning*, discuss). With
    the mean taken out, steps of above-average uncertainty still attract the actor, but
    surviving is worth nothing on average and a known reward wins. The weights are the
    imagined episode's survival (steps after an imagined end count for nothing).
    """
    weight = alive.sum().clamp_min(1e-8)
    return bonus - (alive * bonus).sum() / weight


def lambda_returns(
    rewards: torch.Tensor,
    continues: torch.Tensor,
    values: torch.Tensor,
    gamma: float,
    lam: float,
) -> torch.Tensor:
    """λ-returns of imagined rollouts.

    Args:
        rewards: ``(B, H)`` reward of each step's transition.
        continues: ``(B, H)`` probability that the episode goes on after it (``1 - p_term``).
        values: ``(B, H + 1)`` state values; ``values[:, H]`` bootstraps the end.
        gamma: discount.
        lam: λ in ``[0, 1]`` (0: one-step TD targets, 1: Monte-Carlo returns to ``H``).

    Returns:
        ``(B, H)`` returns ``R_h``.
    """
    if rewards.shape != continues.shape or values.shape != (
        *rewards.shape[:-1],
        rewards.shape[-1] + 1,
    ):
        raise InvalidConfigError(
            f"rewards and continues must be (B, H) and values (B, H + 1), got "
            f"{tuple(rewards.shape)}, {tuple(continues.shape)}, {tuple(values.shape)}"
        )
    out = []
    ret = values[:, -1]
    for h in range(rewards.shape[1] - 1, -1, -1):
        ret = rewards[:, h] + gamma * continues[:, h] * ((1 - lam) * values[:, h + 1] + lam * ret)
        out.append(ret)
    return torch.stack(out[::-1], 1)


class TwoHot(nn.Module):
    """A categorical over ``n_bins`` equally spaced bins of symlog space, ``[-limit, limit]``.

    Args:
        n_bins: number of bins (DreamerV3: 255).
        limit: the outer bins, in symlog units (20 covers ``|y|`` up to about 5e8).
    """

    def __init__(self, n_bins: int = 255, limit: float = 20.0) -> None:
        super().__init__()
        n_bins = check_int("n_bins", n_bins, 2)
        if not check_real("limit", limit) > 0:
            raise InvalidConfigError(f"limit must be > 0, got {limit}")
        self.register_buffer("bins", torch.linspace(-limit, limit, n_bins), persistent=False)

    @property
    def n_bins(self) -> int:
        """Number of bins."""
        return int(self.bins.numel())

    def encode(self, y: torch.Tensor) -> torch.Tensor:
        """``(...,)`` values -> ``(..., n_bins)`` two-hot weights of ``symlog(y)`` (the two
        bins around it, weighted by closeness; clipped to the outer bins)."""
        x = symlog(y).clamp(self.bins[0], self.bins[-1])
        hi = torch.searchsorted(self.bins, x.contiguous(), right=True).clamp(1, self.n_bins - 1)
        lo = hi - 1
        w_hi = (x - self.bins[lo]) / (self.bins[hi] - self.bins[lo])
        return (
            F.one_hot(lo, self.n_bins) * (1 - w_hi)[..., None]
            + F.one_hot(hi, self.n_bins) * w_hi[..., None]
        )

    def decode(self, logits: torch.Tensor) -> torch.Tensor:
        """``(..., n_bins)`` logits -> ``(...,)`` values ``symexp(E[bin])``."""
        return symexp((logits.softmax(-1) * self.bins).sum(-1))

    def loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """``(...,)`` cross-entropy of ``logits`` ``(..., n_bins)`` against two-hot ``target``
        values ``(...,)``."""
        return -(self.encode(target) * logits.log_softmax(-1)).sum(-1)


class PercentileNormalizer(nn.Module):
    """EMA of the 5th and 95th percentiles of returns; :attr:`scale` ``= max(floor, hi - lo)``.

    Args:
        rate: EMA rate (DreamerV3: 0.01, i.e. decay 0.99).
        floor: the smallest scale (DreamerV3: 1, so small returns are not amplified).
        low, high: the percentiles, in ``[0, 1]``.
    """

    def __init__(
        self, rate: float = 0.01, floor: float = 1.0, low: float = 0.05, high: float = 0.95
    ) -> None:
        super().__init__()
        if not 0 < check_real("rate", rate) <= 1:
            raise InvalidConfigError(f"rate must be in (0, 1], got {rate}")
        if not check_real("floor", floor) > 0:
            raise InvalidConfigError(f"floor must be > 0, got {floor}")
        if not 0 <= check_real("low", low) < check_real("high", high) <= 1:
            raise InvalidConfigError(f"need 0 <= low < high <= 1, got {low}, {high}")
        self.rate, self.floor, self.quantiles = rate, floor, (low, high)
        self.register_buffer("lo", torch.zeros(()))
        self.register_buffer("hi", torch.zeros(()))

    @torch.no_grad()
    def update(self, returns: torch.Tensor) -> None:
        """Moves the percentile EMAs toward those of ``returns`` (any shape)."""
        q = torch.quantile(returns.detach().float().flatten(), returns.new_tensor(self.quantiles))
        self.lo.lerp_(q[0], self.rate)
        self.hi.lerp_(q[1], self.rate)

    @property
    def scale(self) -> torch.Tensor:
        """``()`` the divisor of advantages, ``max(floor, hi - lo)``."""
        return (self.hi - self.lo).clamp_min(self.floor)
