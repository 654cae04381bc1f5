"""The real game: marked ``rom``, so tests/conftest.py skips it unless the user has set
AISAM_POKEMON_ROM to their own dump."""

from __future__ import annotations

import gymnasium as gym
import pytest

pytest.importorskip("pyboy")

import aisam_envs  # noqa: E402, F401  (registers the ids)
from aisam_envs.pokemon.rom import load_rom  # noqa: E402

pytestmark = pytest.mark.rom


def test_the_users_rom_is_a_known_dump() -> None:
    assert load_rom().known


def test_the_game_boots_and_steps_deterministically() -> None:
    episodes = []
    for _ in range(2):
        env = gym.make("aisam/PokemonRed-v0")
        env.reset(seed=0)
        # the title screen needs START/A presses; 200 actions ~ 80 s of game time
        infos = [env.step(i % 7)[4] for i in range(200)]
        env.close()
        episodes.append([(i["x"], i["y"], i["map_id"], i["party_size"]) for i in infos])
    assert episodes[0] == episodes[1]
