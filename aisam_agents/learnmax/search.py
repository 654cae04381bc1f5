"""Batched beam search over action sequences through the KV-cached world model.

From each env's history, depth ``h = 1..H`` expands every kept branch by every action
(one cached transformer step for all envs and branches at once), predicts the next frame
as its most likely tokens (or, given ``successor``, the successor observed after that
context where there is one), scores the step, and keeps the ``K`` branches of highest summed
score per env. The answer per env is the first action of its best branch after ``H``
steps. With ``A`` actions a search computes ``N * A * (1 + (H - 1) * min(K, ...))``
imagined transitions (:attr:`SearchResult.transitions`).

Memory: the cache (:class:`~aisam_agents.world_model.transformer.BeamCache`) holds each
env's history once, each kept branch's imagined frames (at most ``H - 1``) and the frames
fed at a depth (``N * K * A`` of one frame each, kept until the branches are chosen), never
a copy of the history per branch: at most ``N * ((c - 1) + K * A + K * (2 H - 3))`` frames
of keys and values (while the last branches are chosen, the old and the new ones both
held), against ``N * (K * A + K) * max_frames`` for a cache copied to every child from
its parent's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from aisam_agents.world_model import WorldModel
from aisam_agents.world_model.imagination import NextFrameDistribution
from aisam_agents.world_model.transformer import BeamCache

Scorer = Callable[[NextFrameDistribution, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
"""``score(dist, frame, actions, next_tokens) -> (B,)``: the value of one imagined step, from
its context (the frame's tokens ``(B, T)`` and the action ``(B,)`` taken in it), the
predicted distribution of the next frame, and the tokens ``(B, T)`` the branch continues
with."""

Successor = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
"""``successor(frame, actions) -> (next_tokens (B, T), known (B,) bool)``: an observed
successor of each context, where one is known (the search continues from it there instead
of the model's prediction)."""

LeafValueFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""``leaf(features, next_tokens) -> (B,)``: the value of what follows an imagined step, from
the step's features ``(B, d_model)`` and the tokens ``(B, T)`` of the frame it leads to."""


@dataclass(frozen=True)
class SearchResult:
    """The outcome of one batched search over ``N`` envs.

    Attributes:
        actions: ``(N,)`` int64 first action of each env's best branch.
        values: ``(N,)`` float32 value of that branch:
            ``sum_h discount**(h-1) * u_h + discount**(H-1) * leaf_value(step H)``.
        step_values: ``(N, H)`` float32 its per-step scores ``u_h`` (undiscounted).
        first_features: ``(N, d_model)`` features of its first step (the taken action's).
        transitions: imagined transitions computed (one per expanded branch and depth).
    """

    actions: torch.Tensor
    values: torch.Tensor
    step_values: torch.Tensor
    first_features: torch.Tensor
    transitions: int


@torch.no_grad()
def beam_search(
    model: WorldModel,
    tokens: torch.Tensor,
    past_actions: torch.Tensor,
    horizon: int,
    width: int,
    score: Scorer,
    tie_noise: torch.Tensor,
    leaf_value: LeafValueFn | None = None,
    discount: float = 1.0,
    successor: Successor | None = None,
) -> SearchResult:
    """Searches ``horizon`` steps deep keeping ``width`` branches per env.

    Args:
        model: the world model.
        tokens: ``(N, c, T)`` observation tokens of each env's history, the current frame
            last; ``c - 1 + horizon <= max_frames``.
        past_actions: ``(N, c - 1)`` int64 actions between them.
        horizon: depth H >= 1.
        width: branches K >= 1 kept per env after each depth.
        score: the value of an imagined step (:data:`Scorer`).
        tie_noise: ``(N, K * A)`` uniform [0, 1) draws; times 1e-6 they break ties between
            equal branches at random (else the lowest action ids would always win).
        leaf_value: the value of what follows a step (:data:`LeafValueFn`); a branch is
            ranked at every depth, and valued at the last, by its discounted score plus
            ``discount**(h-1)`` times this value of its newest step ``h`` (``None``: no value
            past the horizon).
        discount: weight ``discount**(h-1)`` of step ``h``'s score.
        successor: observed successors (:data:`Successor`); a branch whose context has
            one continues from it, the model's most likely frame elsewhere (``None``: the
            model's everywhere).
    """
    net = model.transformer
    n, c, _ = tokens.shape
    n_actions = net.n_actions
    amp = model.config.autocast and model.device.type == "cuda"
    dtype = torch.bfloat16 if amp else torch.float32
    history = net.new_cache(n, tokens.device, dtype, frames=c - 1)
    env_ids = torch.arange(n, device=tokens.device)
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
        if c > 1:
            net(net.frame_tokens(tokens[:, :-1], past_actions), 0, history)
        cache = BeamCache.start(history, n_actions)
        current = tokens[:, -1]  # (N * b, T): every branch's current frame
        branches, transitions = 1, 0
        all_actions = torch.arange(n_actions, device=tokens.device)
        for depth in range(horizon):
            rows = torch.arange(n * branches, device=tokens.device).repeat_interleave(n_actions)
            actions = all_actions.repeat(n * branches)
            context = current[rows]
            frames = net.frame_tokens(context[:, None], actions[:, None])
            if depth < horizon - 1:
                cache.keep_new(net.block_len)
            dist = NextFrameDistribution.last_frame(net(frames, c - 1 + depth, cache))
            nxt = dist.logits.argmax(-1)
            if successor is not None:
                observed, known = successor(context, actions)
                nxt = torch.where(known[:, None], observed, nxt)
            value = score(dist, context, actions, nxt).float().view(n, branches * n_actions)
            feats = dist.features.view(n, branches * n_actions, -1)
            transitions += n * branches * n_actions
            parent = rows.view(n, branches * n_actions)
            if depth == 0:
                first, first_feat = actions.view(n, n_actions), feats
                score_sum, steps = value, value[..., None]
            else:
                local = parent - (env_ids * branches)[:, None]
                first = first.gather(1, local)
                first_feat = first_feat.gather(1, local[..., None].expand_as(feats))
                steps = torch.cat([steps.gather(1, local[..., None].expand(-1, -1, depth)),
                                   value[..., None]], -1)  # fmt: skip
                score_sum = score_sum.gather(1, local) + discount**depth * value
            leaf = torch.zeros_like(score_sum)
            if leaf_value is not None:
                leaf = discount**depth * leaf_value(dist.features, nxt).float().view_as(score_sum)
            keep = min(width, branches * n_actions)
            noisy = score_sum + leaf + 1e-6 * tie_noise[:, : branches * n_actions]
            top = noisy.topk(keep, dim=1).indices  # (N, keep)
            chosen = (top + (env_ids * branches * n_actions)[:, None]).reshape(-1)
            if depth < horizon - 1:
                cache = cache.select(chosen)
            current = nxt[chosen]
            first, score_sum, leaf = (x.gather(1, top) for x in (first, score_sum, leaf))
            first_feat = first_feat.gather(1, top[..., None].expand(-1, -1, feats.shape[-1]))
            steps = steps.gather(1, top[..., None].expand(-1, -1, depth + 1))
            branches = keep
    values = score_sum + leaf
    best = values.argmax(1, keepdim=True)
    step_values = steps.gather(1, best[..., None].expand(-1, -1, horizon)).squeeze(1)
    features = first_feat.gather(1, best[..., None].expand(-1, -1, first_feat.shape[-1]))
    return SearchResult(
        first.gather(1, best).squeeze(1),
        values.gather(1, best).squeeze(1),
        step_values,
        features.squeeze(1).float(),
        transitions,
    )
