"""``aisam/PokemonRed-v0``: Pokemon Red on a headless PyBoy (``pip install "aisam[pokemon]"``).

Importing this package does not import PyBoy; making the environment does.

>>> import gymnasium as gym
>>> import aisam_envs  # noqa: F401  (registers the ids)
>>> env = gym.make("aisam/PokemonRed-v0", rom_path="PokemonRed.gb")  # your own dump
"""

from __future__ import annotations

from aisam_envs.pokemon.env import ACTION_MEANINGS, OBS_TYPES, PokemonRedEnv
from aisam_envs.pokemon.ram import GameState, read_game_state
from aisam_envs.pokemon.rewards import REWARD_TERMS, RewardConfig, RewardTracker
from aisam_envs.pokemon.rom import KNOWN_ROMS, ROM_ENV_VAR, RomImage, load_rom

__all__ = [
    "ACTION_MEANINGS",
    "KNOWN_ROMS",
    "OBS_TYPES",
    "REWARD_TERMS",
    "ROM_ENV_VAR",
    "GameState",
    "PokemonRedEnv",
    "RewardConfig",
    "RewardTracker",
    "RomImage",
    "load_rom",
    "read_game_state",
]
