"""Configuration of the world model: one frozen dataclass with named presets."""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass
from typing import Any

import torch

from aisam_envs.errors import InvalidConfigError, check_device_name, resolve_device

# the values each annotation of WorldModelConfig accepts (a bool is no number here)
_TYPES: dict[str, type | tuple[type, ...]] = {
    "int": int,
    "float": (int, float),
    "bool": bool,
    "str": str,
}

_PRESETS: dict[str, dict[str, Any]] = {
    # CPU tests: learns a 256 x 6 table in seconds.
    "tiny": {},
    # A single GPU, quick experiments (about 3M transformer parameters).
    "small": dict(
        n_layer=4,
        n_head=4,
        n_embd=256,
        max_frames=16,
        codebook_size=256,
        code_dim=64,
        image_size=64,
        vq_channels=64,
        vq_hidden=256,
        learning_rate=1e-3,
        warmup_steps=50,
    ),
    # The throughput target of the performance study (about 150M transformer parameters).
    "base": dict(
        n_layer=12,
        n_head=8,
        n_embd=1024,
        max_frames=16,
        codebook_size=512,
        code_dim=64,
        image_size=64,
        vq_channels=128,
        vq_hidden=512,
        learning_rate=3e-4,
        warmup_steps=200,
    ),
}


@dataclass(frozen=True)
class WorldModelConfig:
    """Every hyperparameter of :class:`~aisam_agents.world_model.WorldModel`.

    Transformer:
        n_layer, n_head, n_embd: depth, attention heads and width of the GPT.
        dropout: dropout on attention and residual branches (0 disables it).
        max_frames: context length in frames; a frame is one block of
            ``tokens_per_frame`` observation tokens plus one action token.
    Tokenizer (image and vector observations only):
        codebook_size: number of VQ codes, the observation vocabulary.
        code_dim: width of each code vector.
        image_size: frames are resized to ``image_size x image_size`` before encoding.
        grid_size: an image becomes ``grid_size x grid_size`` tokens (``image_size`` must
            be ``grid_size`` times a power of two).
        vector_tokens: a vector observation becomes this many tokens.
        vq_channels, vq_hidden: width of the conv encoder/decoder and of the MLP one.
        vq_ema: update the codebook by exponential moving averages (else by a
            straight-through codebook loss).
        vq_decay: EMA decay of the codebook statistics.
        vq_beta: weight of the commitment loss.
        dead_code_threshold: codes chosen fewer times per training batch than this (an
            EMA with decay 0.9) are restarted from random encoder outputs of the batch.
    Optimisation:
        learning_rate, weight_decay, beta1, beta2, grad_clip: AdamW and gradient clipping
            (weight decay applies to matrices only).
        warmup_steps: the learning rate ramps up linearly over the first training steps
            (Adam's first steps move every weight by about the full learning rate).
        reward_coef, termination_coef: weights of the reward (MSE) and termination
            (binary cross-entropy) losses next to the next-token loss.
    Runtime:
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda[:i]"``; a CUDA
            device this machine lacks is refused when a model is built
            (:meth:`torch_device`).
        autocast: bf16 autocast on CUDA (ignored on CPU).
        compile: ``torch.compile`` the transformer's training forward.
        seed: seeds the initial weights and the codebook restarts.
    """

    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 64
    dropout: float = 0.0
    max_frames: int = 8
    codebook_size: int = 64
    code_dim: int = 32
    image_size: int = 32
    grid_size: int = 4
    vector_tokens: int = 4
    vq_channels: int = 32
    vq_hidden: int = 128
    vq_ema: bool = True
    vq_decay: float = 0.99
    vq_beta: float = 0.25
    dead_code_threshold: float = 0.1
    learning_rate: float = 3e-3
    weight_decay: float = 0.01
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0
    warmup_steps: int = 0
    reward_coef: float = 1.0
    termination_coef: float = 1.0
    device: str = "auto"
    autocast: bool = True
    compile: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value, kind = getattr(self, field.name), field.type  # "int", "float", "bool", "str"
            if not isinstance(value, _TYPES[kind]) or (isinstance(value, bool) and kind != "bool"):
                raise InvalidConfigError(f"{field.name} must be of type {kind}, got {value!r}")
            # NaN fails the comparison; a huge int compares without overflowing
            if kind == "float" and not abs(value) <= sys.float_info.max:
                raise InvalidConfigError(f"{field.name} must be finite, got {value!r}")
        positive = (
            "n_layer",
            "n_head",
            "n_embd",
            "max_frames",
            "codebook_size",
            "code_dim",
            "image_size",
            "grid_size",
            "vector_tokens",
            "vq_channels",
            "vq_hidden",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise InvalidConfigError(f"{name} must be positive, got {getattr(self, name)}")
        if self.n_embd % self.n_head:
            raise InvalidConfigError(
                f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})"
            )
        ratio = self.image_size // self.grid_size
        if self.image_size % self.grid_size or ratio & (ratio - 1):
            raise InvalidConfigError(
                f"image_size ({self.image_size}) must be grid_size ({self.grid_size}) times a "
                "power of two"
            )
        for name in ("dropout", "vq_decay", "beta1", "beta2"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise InvalidConfigError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        for name in ("learning_rate", "grad_clip"):
            if getattr(self, name) <= 0:
                raise InvalidConfigError(f"{name} must be positive, got {getattr(self, name)}")
        non_negative = (
            "warmup_steps",
            "weight_decay",
            "vq_beta",
            "dead_code_threshold",
            "reward_coef",
            "termination_coef",
        )
        for name in non_negative:
            if getattr(self, name) < 0:
                raise InvalidConfigError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not 0 <= self.seed < 2**63:  # what torch.manual_seed takes
            raise InvalidConfigError(f"seed must be in [0, 2**63), got {self.seed}")
        check_device_name(self.device)

    def torch_device(self) -> torch.device:
        """The device to build on (:func:`~aisam_envs.errors.resolve_device`). Checked here
        rather than in ``__post_init__``, so that a config (or checkpoint) made for a GPU can
        be read and edited anywhere."""
        return resolve_device(self.device)

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> WorldModelConfig:
        """The named preset (``"tiny"``, ``"small"``, ``"base"``) with ``overrides`` applied."""
        if not isinstance(name, str) or name not in _PRESETS:
            raise InvalidConfigError(f"unknown preset {name!r}; choose one of {sorted(_PRESETS)}")
        cls._check_fields(overrides, "unknown WorldModelConfig fields")
        return cls(**{**_PRESETS[name], **overrides})

    def to_json(self) -> str:
        """The config as a JSON string (what checkpoints store)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> WorldModelConfig:
        """Inverse of :meth:`to_json`; unknown fields raise InvalidConfigError, missing ones
        take their defaults."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise InvalidConfigError(f"not a WorldModelConfig: a JSON {type(data).__name__}")
        cls._check_fields(data, "not a WorldModelConfig: unexpected fields")
        return cls(**data)

    @classmethod
    def _check_fields(cls, names: Any, message: str) -> None:
        """Raises InvalidConfigError(``message`` + the names) if some ``names`` are not
        fields."""
        unknown = sorted(set(names) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise InvalidConfigError(f"{message} {unknown}")
