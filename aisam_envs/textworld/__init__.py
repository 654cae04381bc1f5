"""``aisam/TextWorld-v0``: TextWorld games (given or generated and cached) as Gymnasium envs.

>>> import gymnasium as gym
>>> import aisam_envs  # noqa: F401
>>> env = gym.make("aisam/TextWorld-v0", world_size=3, nb_objects=5, quest_length=2)
"""

from __future__ import annotations

from aisam_envs.textworld.env import TextWorldEnv, resolve_game_file
from aisam_envs.textworld.games import CHALLENGES, GameSpec, cache_dir, game_path
from aisam_envs.textworld.text import TokenEncoder

__all__ = [
    "CHALLENGES",
    "GameSpec",
    "TextWorldEnv",
    "TokenEncoder",
    "cache_dir",
    "game_path",
    "resolve_game_file",
]
