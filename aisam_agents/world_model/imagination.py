"""Predictions of the world model: next-frame distributions and batched imagined rollouts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from aisam_agents.errors import InvalidConfigError
from aisam_agents.world_model.tokenizers import check_ids
from aisam_agents.world_model.transformer import KVCache, WorldTransformer

Policy = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class NextFrameDistribution:
    """p(next observation, reward, termination | history, action) for a batch.

    The observation's ``T`` tokens are independent given the history (block-causal
    prediction), so the joint entropy and log-probability are sums over tokens.

    Attributes:
        logits: ``(B, T, V)`` float32 next-token logits.
        reward: ``(B,)`` predicted reward.
        terminal_prob: ``(B,)`` probability that the transition ends the episode.
    """

    logits: torch.Tensor
    reward: torch.Tensor
    terminal_prob: torch.Tensor

    @property
    def probs(self) -> torch.Tensor:
        """``(B, T, V)`` token probabilities (for Discrete observations ``[:, 0]`` is the
        distribution over next states)."""
        return self.logits.softmax(-1)

    def entropy(self) -> torch.Tensor:
        """``(B,)`` entropy of the next observation in nats."""
        logp = self.logits.log_softmax(-1)
        return -(logp.exp() * logp).sum(dim=(-1, -2))

    def log_prob(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(B,)`` log-probability of observation ``tokens`` ``(B, T)`` in nats."""
        logp = self.logits.log_softmax(-1)
        return logp.gather(-1, tokens[..., None]).squeeze(-1).sum(-1)

    def sample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        """``(B, T)`` sampled observation tokens."""
        b, t, v = self.logits.shape
        flat = torch.multinomial(self.probs.view(b * t, v), 1, generator=generator)
        return flat.view(b, t)


@dataclass(frozen=True)
class Imagination:
    """An imagined batch of rollouts.

    Attributes:
        obs_tokens: ``(B, H + 1, T)`` observation tokens, the start frame first.
        actions: ``(B, H)`` actions taken.
        rewards: ``(B, H)`` predicted rewards.
        terminal_probs: ``(B, H)`` predicted termination probabilities.
        entropies: ``(B, H)`` entropy (nats) of each predicted next observation.
    """

    obs_tokens: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    terminal_probs: torch.Tensor
    entropies: torch.Tensor


def _distribution(
    net: WorldTransformer, frames: torch.Tensor, start: int, cache: KVCache | None
) -> NextFrameDistribution:
    logits, reward, term = net(frames, start, cache)
    return NextFrameDistribution(
        logits[:, -1].float(), reward[:, -1].float(), term[:, -1].float().sigmoid()
    )


def check_actions(actions: torch.Tensor, shape: tuple[int, ...], n_actions: int) -> torch.Tensor:
    """``actions`` as int64 after checking its shape and that it holds integers in
    ``[0, n_actions)`` (InvalidConfigError)."""
    if tuple(actions.shape) != shape:
        raise InvalidConfigError(f"actions must have shape {shape}, got {tuple(actions.shape)}")
    return check_ids(actions, n_actions, "actions")


def _actions_at(
    actions: torch.Tensor | Policy, step: int, tokens: torch.Tensor, n_actions: int
) -> torch.Tensor:
    if not callable(actions):
        return actions[:, step]
    chosen = torch.as_tensor(actions(tokens), device=tokens.device).view(-1)
    return check_actions(chosen, (tokens.shape[0],), n_actions)


@torch.no_grad()
def imagine_tokens(
    net: WorldTransformer,
    start_tokens: torch.Tensor,
    actions: torch.Tensor | Policy,
    horizon: int,
    *,
    sample: bool = True,
    generator: torch.Generator | None = None,
    use_cache: bool = True,
    cache_dtype: torch.dtype = torch.float32,
) -> Imagination:
    """Rolls ``net`` forward ``horizon`` steps from ``start_tokens`` ``(B, T)``.

    Args:
        net: the transformer.
        start_tokens: tokens of the first observation.
        actions: ``(B, horizon)`` int64 actions, or a policy mapping the current
            observation tokens ``(B, T)`` to ``(B,)`` actions.
        horizon: number of imagined steps.
        sample: sample next observations (else take each token's most likely value).
        generator: random source of the samples.
        use_cache: feed one frame per step through a KV cache (else rerun the context).
        cache_dtype: dtype of the KV cache (bf16 under autocast).

    When the context reaches ``max_frames`` frames it drops its older half (with or
    without the cache, so both give the same rollouts).
    """
    b, device, window = start_tokens.shape[0], start_tokens.device, net.max_frames
    if not callable(actions):
        actions = check_actions(actions, (b, horizon), net.n_actions)
    frames = torch.empty(b, horizon, net.block_len, dtype=torch.long, device=device)
    obs = torch.empty(b, horizon + 1, net.tokens_per_frame, dtype=torch.long, device=device)
    stats = torch.empty(3, b, horizon, device=device)
    obs[:, 0] = start_tokens
    cache = net.new_cache(b, device, cache_dtype) if use_cache else None
    lo = 0  # first frame of the context
    for h in range(horizon):
        action = _actions_at(actions, h, obs[:, h], net.n_actions)
        frames[:, h] = net.frame_tokens(obs[:, h : h + 1], action[:, None])[:, 0]
        if h - lo == window:  # context full: keep the newest half, so refills are rare
            lo = h - window // 2
            if cache is not None:
                cache.length = 0
                net(frames[:, lo:h], 0, cache)
        if cache is None:
            dist = _distribution(net, frames[:, lo : h + 1], 0, None)
        else:
            dist = _distribution(net, frames[:, h : h + 1], h - lo, cache)
        obs[:, h + 1] = dist.sample(generator) if sample else dist.logits.argmax(-1)
        stats[0, :, h], stats[1, :, h], stats[2, :, h] = (
            dist.reward,
            dist.terminal_prob,
            dist.entropy(),
        )
    return Imagination(obs, frames[..., -1] - net.obs_vocab, stats[0], stats[1], stats[2])
