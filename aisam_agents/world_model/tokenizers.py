"""Observation tokenizers: every observation space becomes a fixed number of tokens.

- ``Discrete(n)``: the id itself, one token from a vocabulary of n.
- ``Box`` uint8 images (``(H, W)``, ``(H, W, C)`` or ``(C, H, W)``): resized to a square
  and encoded by a conv VQ-VAE into ``grid x grid`` codes.
- any other ``Box``: flattened, scaled to [0, 1] where bounded, and encoded by an MLP
  VQ-VAE into ``vector_tokens`` codes.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch import nn

from aisam_agents.world_model.config import WorldModelConfig
from aisam_agents.world_model.vqvae import VQVAE
from aisam_envs.errors import InvalidConfigError


def check_ids(x: torch.Tensor, n: int, name: str, start: int = 0) -> torch.Tensor:
    """``x - start`` as int64 after checking that ``x`` holds integers in
    ``[start, start + n)`` (InvalidConfigError; one host sync, not one per element)."""
    ids = x if x.is_floating_point() else x.long()  # long first: uint8 - start wraps around
    if start:
        ids = ids - start
    bad = (ids < 0) | (ids >= n)
    if ids.is_floating_point():  # 1.5 is no id; NaN fails this too
        bad |= ids != ids.trunc()
    if bool(bad.any()):
        raise InvalidConfigError(f"{name} must be integers in [{start}, {start + n})")
    return ids.long()


class Tokenizer(nn.Module):
    """Base class: ``encode`` observations into ``(N, tokens_per_frame)`` int64 tokens.

    Attributes:
        tokens_per_frame: tokens per observation.
        vocab_size: size of the observation vocabulary.
        trainable: whether :meth:`loss` has anything to learn.
    """

    tokens_per_frame: int
    vocab_size: int
    trainable: bool = False

    def __init__(self, space: spaces.Space) -> None:
        super().__init__()
        self.space = space
        self.obs_shape = tuple(space.shape or ())

    def check(self, obs: torch.Tensor) -> None:
        """Raises InvalidConfigError unless ``obs`` is ``(N, *obs_shape)``."""
        if tuple(obs.shape[1:]) != self.obs_shape:
            raise InvalidConfigError(
                f"observations must have shape (n, *{self.obs_shape}), got {tuple(obs.shape)}"
            )

    def encode(self, obs: torch.Tensor) -> torch.Tensor:
        """``(N, *obs_shape)`` -> ``(N, tokens_per_frame)`` int64 tokens."""
        raise NotImplementedError

    def decode(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(N, tokens_per_frame)`` tokens -> observations (for images: the resized frame)."""
        raise NotImplementedError

    def loss(self, obs: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        """Training loss of the tokenizer on ``obs`` (zero when nothing is learned)."""
        return obs.new_zeros((), dtype=torch.float32), {}

    def loss_and_tokens(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Training loss on ``obs`` (no metrics) and its tokens ``(N, tokens_per_frame)``
        as :meth:`encode` gives them after this training step."""
        return obs.new_zeros((), dtype=torch.float32), self.encode(obs)


class DiscreteTokenizer(Tokenizer):
    """``Discrete(n)``: the observation is its own token."""

    def __init__(self, space: spaces.Discrete) -> None:
        super().__init__(space)
        self.start = int(space.start)
        self.vocab_size = int(space.n)
        self.tokens_per_frame = 1

    def encode(self, obs: torch.Tensor) -> torch.Tensor:
        self.check(obs)
        return check_ids(obs, self.vocab_size, "observations", self.start)[:, None]

    def decode(self, tokens: torch.Tensor) -> torch.Tensor:
        return tokens[:, 0] + self.start


class VQTokenizer(Tokenizer):
    """Image or vector ``Box`` observations through a VQ-VAE."""

    trainable = True

    def __init__(self, space: spaces.Box, config: WorldModelConfig) -> None:
        super().__init__(space)
        shape = self.obs_shape
        self.is_image = space.dtype == np.uint8 and len(shape) in (2, 3)
        vq_kwargs = dict(
            beta=config.vq_beta,
            ema=config.vq_ema,
            decay=config.vq_decay,
            dead_threshold=config.dead_code_threshold,
        )
        if self.is_image:
            self.channels_last = len(shape) == 3 and shape[-1] in (1, 3, 4)
            channels = 1 if len(shape) == 2 else shape[-1 if self.channels_last else 0]
            self.size = config.image_size
            self.tokens_per_frame = config.grid_size**2
            in_shape: tuple[int, ...] = (channels, self.size, self.size)
            self.vqvae = VQVAE(
                "image",
                in_shape,
                self.tokens_per_frame,
                config.codebook_size,
                config.code_dim,
                config.vq_channels,
                **vq_kwargs,
            )
        else:
            dim = int(np.prod(shape))
            low = np.broadcast_to(space.low, shape).astype(np.float64).ravel()
            high = np.broadcast_to(space.high, shape).astype(np.float64).ravel()
            bounded = np.isfinite(low) & np.isfinite(high) & (high > low)
            self.register_buffer(
                "offset", torch.tensor(np.where(bounded, low, 0.0), dtype=torch.float32)
            )
            scale = np.where(bounded, high - low, 1.0)
            self.register_buffer("scale", torch.tensor(scale, dtype=torch.float32))
            self.tokens_per_frame = config.vector_tokens
            self.vqvae = VQVAE(
                "vector",
                (dim,),
                self.tokens_per_frame,
                config.codebook_size,
                config.code_dim,
                config.vq_hidden,
                **vq_kwargs,
            )
        self.vocab_size = config.codebook_size

    def preprocess(self, obs: torch.Tensor) -> torch.Tensor:
        """Observations -> the VQ-VAE's input: ``(N, C, S, S)`` in [0, 1] or ``(N, D)``."""
        self.check(obs)
        if obs.is_floating_point() and not bool(torch.isfinite(obs).all()):
            raise InvalidConfigError("observations must be finite, got NaN or infinity")
        if not self.is_image:
            return (obs.float().flatten(1) - self.offset) / self.scale
        x = obs.float() / 255.0
        if x.dim() == 3:
            x = x[:, None]
        elif self.channels_last:
            x = x.permute(0, 3, 1, 2)
        if x.shape[-2:] != (self.size, self.size):
            x = F.interpolate(
                x, size=(self.size, self.size), mode="bilinear", antialias=True, align_corners=False
            )
        return x

    def encode(self, obs: torch.Tensor) -> torch.Tensor:
        return self.vqvae.encode(self.preprocess(obs))

    def decode(self, tokens: torch.Tensor) -> torch.Tensor:
        out = self.vqvae.decode(tokens)
        if self.is_image:
            return out.clamp(0.0, 1.0)
        return out * self.scale + self.offset

    def loss(self, obs: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        return self.vqvae.loss(self.preprocess(obs))

    def loss_and_tokens(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.vqvae.loss_and_codes(self.preprocess(obs))


def make_tokenizer(space: spaces.Space, config: WorldModelConfig) -> Tokenizer:
    """The tokenizer for ``space``; raises InvalidConfigError for unsupported spaces."""
    if isinstance(space, spaces.Discrete):
        return DiscreteTokenizer(space)
    if isinstance(space, spaces.Box):
        return VQTokenizer(space, config)
    raise InvalidConfigError(
        f"the world model tokenizes Discrete and Box observation spaces, got {space}; "
        "wrap the env to give it one of those"
    )
