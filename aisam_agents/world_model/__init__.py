"""A GPU transformer world model over discrete tokens.

:class:`WorldModel` learns p(next observation, reward, termination | history, action):
observations become tokens (ids, or VQ-VAE codes of frames and vectors), a block-causal
GPT reads frames of tokens plus an action token, and heads predict the next frame. Its
predictive entropy and prediction error feed the curiosity bonuses of ``aisam_wrappers``
and its KV-cached imagination feeds planning.

>>> from gymnasium import spaces
>>> from aisam_agents.world_model import WorldModel, WorldModelConfig
>>> model = WorldModel(spaces.Discrete(16), spaces.Discrete(4), WorldModelConfig.preset("tiny"))
"""

from __future__ import annotations

from aisam_agents.world_model.config import WorldModelConfig
from aisam_agents.world_model.imagination import Imagination, NextFrameDistribution
from aisam_agents.world_model.model import WorldModel
from aisam_agents.world_model.tokenizers import DiscreteTokenizer, Tokenizer, VQTokenizer
from aisam_agents.world_model.transformer import KVCache, WorldTransformer
from aisam_agents.world_model.vqvae import VQVAE, VectorQuantizer

__all__ = [
    "VQVAE",
    "DiscreteTokenizer",
    "Imagination",
    "KVCache",
    "NextFrameDistribution",
    "Tokenizer",
    "VQTokenizer",
    "VectorQuantizer",
    "WorldModel",
    "WorldModelConfig",
    "WorldTransformer",
]
