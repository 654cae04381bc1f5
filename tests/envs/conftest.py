"""Pokemon fixtures (the Pokemon tests and the action-contract test): the homebrew ROM on disk,
a save state after its boot, and an env factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from homebrew_rom import START_STATE, X_COORD, build_rom

from aisam_envs.pokemon import PokemonRedEnv  # imports PyBoy only when an env is made


@pytest.fixture(scope="session")
def rom_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rom") / "homebrew.gb"
    path.write_bytes(build_rom())
    return path


@pytest.fixture(scope="session")
def booted_state(rom_path: Path) -> bytes:
    """PyBoy state once the homebrew program has written its start state (like a save after
    the real game's intro)."""
    pytest.importorskip("pyboy")
    env = PokemonRedEnv(rom_path, allow_unknown_rom=True)
    try:
        for _ in range(50):
            env.pyboy.tick(10, False)
            if env.pyboy.memory[X_COORD] == START_STATE[X_COORD]:
                break
        env.pyboy.tick(10, False)  # let the program reach its frame loop
        return env.save_state()
    finally:
        env.close()


@pytest.fixture
def make_env(rom_path: Path, booted_state: bytes) -> Iterator[Callable[..., PokemonRedEnv]]:
    """Builds envs on the homebrew ROM, started after its boot; closes them afterwards."""
    envs: list[PokemonRedEnv] = []

    def make(**kwargs: Any) -> PokemonRedEnv:
        kwargs.setdefault("init_state", booted_state)
        env = PokemonRedEnv(rom_path, allow_unknown_rom=True, **kwargs)
        envs.append(env)
        return env

    yield make
    for env in envs:
        env.close()
