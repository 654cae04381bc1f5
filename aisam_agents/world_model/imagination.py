"""Predictions of the world model: next-frame distributions and batched imagined rollouts.

A rollout starts from a history of frames (or a single observation), then alternates
"choose ``a_h``" and "predict frame ``h + 1``" for ``horizon`` steps, one KV-cached forward
pass per step. Model-based agents read the transformer's features along the way: the
policy sees, with each observation, the features of the step that predicted it, and the
rollout keeps every step's features and the policy's log-probabilities.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from aisam_agents.world_model.tokenizers import check_ids
from aisam_agents.world_model.transformer import KVCache, WorldOutput, WorldTransformer
from aisam_envs.errors import InvalidConfigError

PolicyOutput = torch.Tensor | tuple[torch.Tensor, torch.Tensor]
Policy = Callable[[torch.Tensor, torch.Tensor], PolicyOutput]
"""``policy(obs_tokens, features) -> actions`` or ``(actions, log_probs)``.

Called once per imagined step ``h`` with the current observation tokens ``(B, T)`` int64
and the features ``(B, d_model)`` of the step that predicted them (the last history frame's
for ``h = 0``; zeros when the rollout starts from a single observation). ``actions`` are
``(B,)`` integer ids, or ``(B, n_actions)`` float one-hot rows: under ``grad=True`` those are
embedded as a weighted sum, so a straight-through one-hot (``hard + probs - probs.detach()``)
carries gradients from every later feature, reward and entropy back into the actor.
``log_probs`` ``(B,)`` are kept in :attr:`Imagination.log_probs`.
"""


@dataclass(frozen=True)
class NextFrameDistribution:
    """p(next observation, reward, termination | history, action) for a batch.

    The observation's ``T`` tokens are independent given the history (block-causal
    prediction), so the joint entropy and log-probability are sums over tokens.

    Attributes:
        logits: ``(B, T, V)`` float32 next-token logits.
        reward: ``(B,)`` predicted reward.
        terminal_prob: ``(B,)`` probability that the transition ends the episode.
        features: ``(B, d_model)`` float32 hidden state these predictions were read from.
    """

    logits: torch.Tensor
    reward: torch.Tensor
    terminal_prob: torch.Tensor
    features: torch.Tensor

    @classmethod
    def last_frame(cls, out: WorldOutput) -> NextFrameDistribution:
        """The prediction after the last frame of a transformer output."""
        return cls(
            out.logits[:, -1].float(),
            out.reward[:, -1].float(),
            out.term_logit[:, -1].float().sigmoid(),
            out.features[:, -1].float().contiguous(),  # not a view that pins the whole output
        )

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

    Step ``h`` takes ``actions[:, h]`` in ``obs_tokens[:, h]``; ``features[:, h]`` is the
    hidden state after that frame, from which ``rewards[:, h]``, ``terminal_probs[:, h]``
    and the distribution of ``obs_tokens[:, h + 1]`` (entropy ``entropies[:, h]``) are read.

    Attributes:
        obs_tokens: ``(B, H + 1, T)`` observation tokens, the start frame first.
        actions: ``(B, H)`` actions taken.
        rewards: ``(B, H)`` predicted rewards.
        terminal_probs: ``(B, H)`` predicted termination probabilities.
        entropies: ``(B, H)`` entropy (nats) of each predicted next observation.
        features: ``(B, H, d_model)`` float32 features of each step.
        start_features: ``(B, d_model)`` features of the last history frame, the state
            that predicted ``obs_tokens[:, 0]`` (zeros without a history).
        log_probs: ``(B, H)`` the policy's log-probabilities of ``actions``, when it
            returned them; else ``None``.
    """

    obs_tokens: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    terminal_probs: torch.Tensor
    entropies: torch.Tensor
    features: torch.Tensor
    start_features: torch.Tensor
    log_probs: torch.Tensor | None = None

    @property
    def state_features(self) -> torch.Tensor:
        """``(B, H + 1, d_model)``: what the policy saw with ``obs_tokens[:, h]`` at step
        ``h`` (``start_features``, then ``features[:, :-1]``), and at ``H`` the last step's
        features, for a critic's bootstrap value."""
        return torch.cat([self.start_features[:, None], self.features], dim=1)


def check_actions(
    actions: torch.Tensor, shape: tuple[int, ...], n_actions: int, name: str = "actions"
) -> torch.Tensor:
    """``actions`` as int64 after checking its shape and that it holds integers in
    ``[0, n_actions)`` (InvalidConfigError naming ``name``)."""
    if tuple(actions.shape) != shape:
        raise InvalidConfigError(f"{name} must have shape {shape}, got {tuple(actions.shape)}")
    return check_ids(actions, n_actions, name)


def _policy_step(
    policy: Policy, tokens: torch.Tensor, features: torch.Tensor, n_actions: int
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """Calls ``policy``; returns ``(B,)`` action ids, the one-hot rows it gave (or
    ``None``) and its ``(B,)`` log-probs (or ``None``). One host sync for the checks."""
    b, out, log_probs = tokens.shape[0], policy(tokens, features), None
    if isinstance(out, tuple):
        if len(out) != 2:
            raise InvalidConfigError("a policy returns actions or (actions, log_probs)")
        out, log_probs = out
        if not torch.is_tensor(log_probs) or tuple(log_probs.shape) != (b,):
            raise InvalidConfigError(f"the policy's log_probs must be a ({b},) tensor")
    chosen = torch.as_tensor(out, device=tokens.device)
    if chosen.is_floating_point() and tuple(chosen.shape) == (b, n_actions):
        ids = chosen.detach().argmax(-1)
        # a straight-through ``hard + p - p.detach()`` is one-hot up to rounding
        if not bool((chosen.detach() - F.one_hot(ids, n_actions)).abs().amax() <= 1e-4):
            raise InvalidConfigError("one-hot actions must hold a single 1 per row, else 0")
        return ids, chosen, log_probs
    return check_actions(chosen.reshape(-1), (b,), n_actions), None, log_probs


def context_start(n_frames: int, window: int) -> int:
    """First frame of the context once ``n_frames`` frames have been fed, by the rule of
    :func:`imagine_tokens`: a context that reaches ``window`` frames keeps its newer half."""
    if n_frames <= window:
        return 0
    period = window - window // 2  # frames between two refills
    last_refill = window + (n_frames - 1 - window) // period * period
    return last_refill - window // 2


class _Context:
    """The rollout's frames ``(B, T + 1)`` each, the KV cache over the context (as many
    frames as the rollout feeds, at most ``max_frames``), and the refill rule; under
    ``grad`` also every frame's one-hot action ``(B, n_actions)``."""

    def __init__(
        self,
        net: WorldTransformer,
        frames: torch.Tensor,
        actions: torch.Tensor,
        use_cache: bool,
        cache_dtype: torch.dtype,
        grad: bool,
        horizon: int,
    ) -> None:
        self.net, self.lo = net, 0
        self.frames = list(frames.unbind(1))
        self.onehots = list(self._onehot(actions).unbind(1)) if grad else None
        b, fed = frames.shape[0], min(net.max_frames, len(self.frames) + horizon)
        self.cache = net.new_cache(b, frames.device, cache_dtype, fed) if use_cache else None

    def _onehot(self, actions: torch.Tensor) -> torch.Tensor:
        return F.one_hot(actions, self.net.n_actions).float()

    def _run(self, lo: int, hi: int, cache: KVCache | None, start: int = 0) -> WorldOutput:
        """``net`` over frames ``[lo, hi)``."""
        f = self.frames
        x = f[lo][:, None] if hi - lo == 1 else torch.stack(f[lo:hi], 1)
        soft = None if self.onehots is None else torch.stack(self.onehots[lo:hi], 1)
        return self.net(x, start, cache, soft)

    def prefill(self) -> torch.Tensor | None:
        """Feeds the history frames; returns the last one's features ``(B, d_model)``
        (``None`` without history frames)."""
        if not self.frames:
            return None
        return NextFrameDistribution.last_frame(self._run(0, len(self.frames), self.cache)).features

    def step(
        self, frame: torch.Tensor, action: torch.Tensor, onehot: torch.Tensor | None
    ) -> NextFrameDistribution:
        """Appends ``frame`` and predicts the next one."""
        t, window = len(self.frames), self.net.max_frames
        self.frames.append(frame)
        if self.onehots is not None:
            self.onehots.append(self._onehot(action) if onehot is None else onehot)
        if t - self.lo == window:  # context full: keep the newest half, so refills are rare
            self.lo = t - window // 2
            if self.cache is not None:
                self.cache.length = 0
                if self.lo < t:
                    self._run(self.lo, t, self.cache)
        if self.cache is None:
            return NextFrameDistribution.last_frame(self._run(self.lo, t + 1, None))
        return NextFrameDistribution.last_frame(self._run(t, t + 1, self.cache, t - self.lo))


def imagine_tokens(
    net: WorldTransformer,
    history_tokens: torch.Tensor,
    past_actions: torch.Tensor,
    actions: torch.Tensor | Policy,
    horizon: int,
    *,
    sample: bool = True,
    generator: torch.Generator | None = None,
    use_cache: bool = True,
    cache_dtype: torch.dtype = torch.float32,
    grad: bool = False,
) -> Imagination:
    """Rolls ``net`` forward ``horizon`` steps from the last frame of ``history_tokens``.

    Args:
        net: the transformer.
        history_tokens: ``(B, L, T)`` observation tokens, the start frame last.
        past_actions: ``(B, L - 1)`` int64 actions between them.
        actions: ``(B, horizon)`` int64 actions, or a :data:`Policy`.
        horizon: number of imagined steps (>= 1).
        sample: sample next observations (else take each token's most likely value).
        generator: random source of the samples.
        use_cache: feed one frame per step through a KV cache (else rerun the context).
        cache_dtype: dtype of the KV cache (bf16 under autocast).
        grad: record the graph (to train an actor through the rollout); else the rollout
            runs under ``no_grad``.

    When the context reaches ``max_frames`` frames it drops its older half (with or
    without the cache, so both give the same rollouts). A history is fed as if it had been
    imagined step by step, so a rollout from it continues the one that fed it.
    """
    with torch.set_grad_enabled(grad):
        first = context_start(past_actions.shape[1], net.max_frames)  # older: out of context
        past = past_actions[:, first:]
        history = net.frame_tokens(history_tokens[:, first:-1], past)
        context = _Context(net, history, past, use_cache, cache_dtype, grad, horizon)
        features = context.prefill()
        if features is None:
            features = torch.zeros(history.shape[0], net.n_embd, device=history.device)
        start_features, tokens = features, history_tokens[:, -1]
        steps: list[tuple[torch.Tensor, ...]] = []
        log_probs: list[torch.Tensor] = []
        for h in range(horizon):
            if callable(actions):
                action, onehot, log_prob = _policy_step(actions, tokens, features, net.n_actions)
                if h and (log_prob is None) != (not log_probs):
                    raise InvalidConfigError(
                        "the policy must return log_probs at every step or at none"
                    )
                log_probs += [] if log_prob is None else [log_prob]
            else:
                action, onehot = actions[:, h], None
            frame = net.frame_tokens(tokens[:, None], action[:, None])[:, 0]
            dist = context.step(frame, action, onehot)
            step = (tokens, action, dist.reward, dist.terminal_prob, dist.entropy(), dist.features)
            steps.append(step)
            tokens = dist.sample(generator) if sample else dist.logits.argmax(-1)
            features = dist.features
        obs, acts, rewards, terms, ents, feats = (
            torch.stack(x, 1) for x in zip(*steps, strict=True)
        )
        return Imagination(
            torch.cat([obs, tokens[:, None]], 1),
            acts,
            rewards,
            terms,
            ents,
            feats,
            start_features,
            torch.stack(log_probs, 1) if log_probs else None,
        )
