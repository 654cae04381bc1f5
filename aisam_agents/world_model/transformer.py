"""The world model's GPT: block-causal attention over [observation tokens..., action] frames.

A sequence is a run of frames; frame t is a *block* of ``T`` observation tokens followed
by the action token ``a_t``. Attention is block-causal: a token sees every token of its
own block and of the blocks before it, never a later one. The output at observation
slot ``i`` of block t predicts token ``i`` of the next frame's observation (all ``T`` in
parallel, given the whole history and ``a_t``); the output at the action slot predicts
the reward and termination that come with entering that next frame. The final hidden
state at the action slot is also returned as the frame's *features* ``(d_model,)``: it has
seen the whole history and ``a_t``, and is what model-based agents' actors and critics read.

Imagination feeds one block at a time through a preallocated :class:`KVCache`, so each
imagined step costs one forward pass over ``T + 1`` new tokens instead of the whole
history; a beam search's branches share their env's history through a :class:`BeamCache`
instead of copying it. Attention is ``F.scaled_dot_product_attention`` throughout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class KVCache:
    """Preallocated keys and values of every layer: ``(n_layer, B, n_head, max_len, hd)``.

    ``length`` tokens are filled; a forward pass with the cache appends its tokens.
    """

    k: torch.Tensor
    v: torch.Tensor
    length: int = 0

    @classmethod
    def empty(
        cls,
        n_layer: int,
        batch: int,
        n_head: int,
        max_len: int,
        head_dim: int,
        device: torch.device,
        dtype: torch.dtype,
    ) -> KVCache:
        """An empty cache for ``batch`` sequences of up to ``max_len`` tokens."""
        shape = (n_layer, batch, n_head, max_len, head_dim)
        return cls(
            torch.empty(shape, device=device, dtype=dtype),
            torch.empty(shape, device=device, dtype=dtype),
        )

    @property
    def capacity(self) -> int:
        """Most tokens the cache holds."""
        return self.k.shape[3]

    def attend(
        self,
        layer: int,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        mask: torch.Tensor | None,
        dropout_p: float,
    ) -> torch.Tensor:
        """Appends the new tokens' ``k, v`` ``(B, n_head, n, hd)`` to ``layer`` and returns
        the attention ``(B, n_head, n, hd)`` of their queries ``q`` over every cached token."""
        end = self.length + k.shape[2]
        self.k[layer, :, :, self.length : end] = k
        self.v[layer, :, :, self.length : end] = v
        k, v = self.k[layer, :, :, :end], self.v[layer, :, :, :end]
        if k.requires_grad:  # autograd keeps k, v: later writes to the cache must not
            k, v = k.clone(), v.clone()
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)


@dataclass
class BeamCache:
    """Keys and values of a beam search's branches, the history shared, not copied.

    Rows are branches ``(env, branch)``, ``b`` per env; a step feeds ``children`` frames
    per branch (rows ``(env, branch, child)``, one frame each). A child's queries attend to
    its env's history (``prefix``, ``N`` rows), its branch's imagined frames (``k, v``) and
    its own frame: the memory is ``N`` histories plus ``N * b`` imagined frames per depth,
    not ``N * b * children`` copies of everything. Attention runs once per branch, its
    children's queries over [history, branch's frames, children's frames] with a mask that
    shows each child only its own frame among the last.

    Attributes:
        prefix: the history, ``(n_layer, N, n_head, P, hd)`` keys and values.
        k, v: ``(n_layer, N * b, n_head, d * block_len, hd)`` the branches' ``d`` frames.
        children: frames fed per branch at a step.
        new_k, new_v: ``(n_layer, N * b * children, n_head, block_len, hd)`` the frames the
            last step fed, kept for :meth:`select` (``None``: not kept, see :meth:`keep_new`).
        length: tokens a sequence holds before the fed frame (``P + d * block_len``), as
            :meth:`WorldTransformer.forward` counts them.
    """

    prefix: KVCache
    k: torch.Tensor
    v: torch.Tensor
    children: int
    new_k: torch.Tensor | None = None
    new_v: torch.Tensor | None = None
    length: int = 0

    @classmethod
    def start(cls, prefix: KVCache, children: int) -> BeamCache:
        """One branch per env, with no imagined frame yet, over the histories ``prefix``."""
        n_layer, n, n_head, _, head_dim = prefix.k.shape
        none = prefix.k.new_empty((n_layer, n, n_head, 0, head_dim))
        return cls(prefix, none, none, children, length=prefix.length)

    def keep_new(self, block_len: int) -> None:
        """Keeps the keys and values of the frames the next step feeds (for :meth:`select`)."""
        n_layer, rows, n_head, _, head_dim = self.k.shape
        shape = (n_layer, rows * self.children, n_head, block_len, head_dim)
        self.new_k, self.new_v = self.k.new_empty(shape), self.k.new_empty(shape)

    def select(self, rows: torch.Tensor) -> BeamCache:
        """The branches that continue the fed frames ``rows`` (indices of rows ``(env,
        branch, child)``, env-major, the same number per env)."""
        if self.new_k is None or self.new_v is None:
            raise ValueError("call keep_new before the step whose frames are selected")
        parents = rows // self.children
        k = torch.cat([self.k[:, parents], self.new_k[:, rows]], dim=3)
        v = torch.cat([self.v[:, parents], self.new_v[:, rows]], dim=3)
        return BeamCache(self.prefix, k, v, self.children, length=self.length)

    def attend(
        self,
        layer: int,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        mask: torch.Tensor | None,
        dropout_p: float,
    ) -> torch.Tensor:
        """As :meth:`KVCache.attend`, for one fed frame ``(N * b * children, n_head,
        block_len, hd)`` per row (its tokens see each other: ``mask`` must be ``None``)."""
        if mask is not None:
            raise ValueError("a BeamCache takes one whole frame per step")
        rows, n_head, t, head_dim = q.shape
        if self.new_k is not None and self.new_v is not None:
            self.new_k[layer], self.new_v[layer] = k, v
        branches, g = rows // self.children, self.children
        n = self.prefix.k.shape[1]
        b = branches // n

        def per_branch(x: torch.Tensor) -> torch.Tensor:  # (rows, h, t, hd) -> (n, b, h, g t, hd)
            x = x.view(branches, g, n_head, t, head_dim).transpose(1, 2)
            return x.reshape(n, b, n_head, g * t, head_dim)

        def keys(history: torch.Tensor, cached: torch.Tensor, new: torch.Tensor) -> torch.Tensor:
            pre = history[layer, :, None, :, : self.prefix.length].expand(-1, b, -1, -1, -1)
            own = cached[layer].view(n, b, n_head, cached.shape[3], head_dim)
            joined = torch.cat([pre, own, per_branch(new)], dim=3)
            return joined.view(branches, n_head, -1, head_dim)

        kk, vv = keys(self.prefix.k, self.k, k), keys(self.prefix.v, self.v, v)
        slot = torch.arange(g * t, device=q.device) // t
        seen = torch.ones(g * t, kk.shape[2] - g * t, dtype=torch.bool, device=q.device)
        own_frame = torch.cat([seen, slot[:, None] == slot[None, :]], dim=1)
        query = per_branch(q).view(branches, n_head, g * t, head_dim)
        y = F.scaled_dot_product_attention(query, kk, vv, attn_mask=own_frame,
                                           dropout_p=dropout_p)  # fmt: skip
        return y.view(branches, n_head, g, t, head_dim).transpose(1, 2).reshape(q.shape)


Cache = KVCache | BeamCache
"""A cache :meth:`WorldTransformer.forward` appends to and attends over."""


class WorldOutput(NamedTuple):
    """What :class:`WorldTransformer` predicts for each input frame ``(B, F, ...)``.

    Attributes:
        logits: ``(B, F, T, V)`` next-observation logits.
        reward: ``(B, F)`` predicted rewards.
        term_logit: ``(B, F)`` termination logits.
        features: ``(B, F, d_model)`` final hidden state at each frame's action slot (after
            the last layer norm), the state from which ``reward`` and ``term_logit`` are read.
    """

    logits: torch.Tensor
    reward: torch.Tensor
    term_logit: torch.Tensor
    features: torch.Tensor


class SelfAttention(nn.Module):
    """Multi-head self-attention with an optional KV cache."""

    def __init__(self, n_embd: int, n_head: int, dropout: float) -> None:
        super().__init__()
        self.n_head, self.dropout = n_head, dropout
        self.qkv = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.proj = nn.Linear(n_embd, n_embd, bias=False)
        self.resid_drop = nn.Dropout(dropout)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None, cache: Cache | None, layer: int
    ) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.n_head, c // self.n_head).permute(2, 0, 3, 1, 4)
        dropout_p = self.dropout if self.training else 0.0
        if cache is None:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
        else:
            y = cache.attend(layer, q, k, v, mask, dropout_p)
        return self.resid_drop(self.proj(y.transpose(1, 2).reshape(b, n, c)))


class Block(nn.Module):
    """Pre-norm transformer block: attention then a 4x GELU MLP."""

    def __init__(self, n_embd: int, n_head: int, dropout: float) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(n_embd, bias=False)
        self.attn = SelfAttention(n_embd, n_head, dropout)
        self.ln2 = nn.LayerNorm(n_embd, bias=False)
        self.mlp = nn.Sequential(
            nn.Linear(n_embd, 4 * n_embd, bias=False),
            nn.GELU(approximate="tanh"),
            nn.Linear(4 * n_embd, n_embd, bias=False),
            nn.Dropout(dropout),
        )

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None, cache: Cache | None, layer: int
    ) -> torch.Tensor:
        x = x + self.attn(self.ln1(x), mask, cache, layer)
        return x + self.mlp(self.ln2(x))


def block_causal_mask(
    start: int, n_new: int, block_len: int, device: torch.device, keys_from: int = 0
) -> torch.Tensor | None:
    """Boolean ``(n_new, n_keys)`` mask for tokens ``[start, start + n_new)`` attending to
    keys ``[keys_from, start + n_new)``; ``None`` when nothing is masked (one whole block)."""
    if n_new == block_len and start % block_len == 0:
        return None
    q_block = torch.arange(start, start + n_new, device=device) // block_len
    k_block = torch.arange(keys_from, start + n_new, device=device) // block_len
    return k_block[None, :] <= q_block[:, None]


class WorldTransformer(nn.Module):
    """GPT over frames of ``tokens_per_frame`` observation tokens plus one action token.

    Args:
        obs_vocab: observation vocabulary V (tokens ``0..V-1``).
        n_actions: action vocabulary (action ``a`` is token ``V + a``).
        tokens_per_frame: T, observation tokens per frame.
        max_frames: longest context in frames.
        n_layer, n_head, n_embd, dropout: the usual.
    """

    def __init__(
        self,
        obs_vocab: int,
        n_actions: int,
        tokens_per_frame: int,
        max_frames: int,
        n_layer: int,
        n_head: int,
        n_embd: int,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.obs_vocab, self.n_actions, self.tokens_per_frame = (
            obs_vocab,
            n_actions,
            tokens_per_frame,
        )
        self.block_len, self.max_frames = tokens_per_frame + 1, max_frames
        self.n_layer, self.n_head, self.n_embd = n_layer, n_head, n_embd
        self.tok_emb = nn.Embedding(obs_vocab + n_actions, n_embd)
        self.slot_emb = nn.Embedding(self.block_len, n_embd)
        self.frame_emb = nn.Embedding(max_frames, n_embd)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(n_embd, n_head, dropout) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd, bias=False)
        self.obs_head = nn.Linear(n_embd, obs_vocab, bias=False)
        self.reward_head = nn.Linear(n_embd, 1)
        self.term_head = nn.Linear(n_embd, 1)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith(("attn.proj.weight", "mlp.2.weight")):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def num_params(self, non_embedding: bool = True) -> int:
        """Parameter count; ``non_embedding`` leaves out the lookup tables (no FLOPs)."""
        n = sum(p.numel() for p in self.parameters())
        if non_embedding:
            n -= sum(e.weight.numel() for e in (self.tok_emb, self.slot_emb, self.frame_emb))
        return n

    def frame_tokens(self, obs_tokens: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """``(B, F, T)`` observation tokens and ``(B, F)`` actions -> ``(B, F, T + 1)``."""
        return torch.cat([obs_tokens, (actions.long() + self.obs_vocab)[..., None]], dim=-1)

    def forward(
        self,
        frames: torch.Tensor,
        start_frame: int = 0,
        cache: Cache | None = None,
        action_onehot: torch.Tensor | None = None,
    ) -> WorldOutput:
        """Runs ``frames`` ``(B, F, T + 1)`` (from :meth:`frame_tokens`).

        Args:
            frames: the new frames' tokens.
            start_frame: frame index of ``frames[:, 0]`` (the frames already in ``cache``).
            cache: appended to when given; must then hold exactly ``start_frame`` frames.
            action_onehot: ``(B, F, n_actions)`` float one-hot rows of the frames' actions;
                when given, the action slots embed them by a weighted sum of the action
                embeddings (equal to the lookup), so gradients reach whatever made them
                (straight-through actions of an actor).

        Returns:
            the predictions for the frame after each input frame, and each frame's features.
        """
        b, f, bl = frames.shape
        if start_frame + f > self.max_frames:
            raise ValueError(f"{start_frame + f} frames exceed max_frames={self.max_frames}")
        if cache is not None and cache.length != start_frame * bl:
            raise ValueError(f"the cache holds {cache.length} tokens, not start_frame * {bl}")
        device = frames.device
        slots = torch.arange(bl, device=device)
        frame_ids = torch.arange(start_frame, start_frame + f, device=device)
        x = self.tok_emb(frames)
        if action_onehot is not None:
            table = self.tok_emb.weight[self.obs_vocab :]  # (n_actions, d_model)
            act = (action_onehot[..., None].to(table.dtype) * table).sum(-2)
            x = torch.cat([x[:, :, :-1], act[:, :, None]], dim=2)
        x = x + self.slot_emb(slots) + self.frame_emb(frame_ids)[:, None]
        x = self.drop(x.view(b, f * bl, self.n_embd))
        start = start_frame * bl
        keys_from = 0 if cache is not None else start
        mask = block_causal_mask(start, f * bl, bl, device, keys_from)
        for i, block in enumerate(self.blocks):
            x = block(x, mask, cache, i)
        if cache is not None:
            cache.length += f * bl
        x = self.ln_f(x).view(b, f, bl, self.n_embd)
        logits = self.obs_head(x[:, :, :-1])
        features = x[:, :, -1]
        return WorldOutput(
            logits,
            self.reward_head(features).squeeze(-1),
            self.term_head(features).squeeze(-1),
            features,
        )

    def new_cache(
        self, batch: int, device: torch.device, dtype: torch.dtype, frames: int | None = None
    ) -> KVCache:
        """An empty cache able to hold ``frames`` frames (default ``max_frames``) of
        ``batch`` sequences."""
        return KVCache.empty(
            self.n_layer,
            batch,
            self.n_head,
            (self.max_frames if frames is None else frames) * self.block_len,
            self.n_embd // self.n_head,
            device,
            dtype,
        )


def adamw(
    module: nn.Module,
    lr: float,
    weight_decay: float,
    betas: tuple[float, float],
    device: torch.device,
) -> torch.optim.AdamW:
    """AdamW over ``module`` with weight decay on matrices only (nanoGPT's grouping);
    fused on CUDA."""
    params = [p for p in module.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=betas, fused=device.type == "cuda")
