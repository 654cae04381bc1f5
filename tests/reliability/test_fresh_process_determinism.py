"""Same seeds give the same trajectories in a fresh process with another PYTHONHASHSEED,
for every env and vector env (trajectories.py hashes them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def _optional_inputs(tmp_path: Path) -> tuple[str, str]:
    """The homebrew Pokemon ROM and a small TextWorld game, where their extras exist."""
    rom, game = "-", "-"
    try:
        import pyboy  # noqa: F401

        sys.path.insert(0, str(HERE.parent / "envs"))
        from homebrew_rom import build_rom

        path = tmp_path / "homebrew.gb"
        path.write_bytes(build_rom())
        rom = str(path)
    except ImportError:
        pass
    try:
        from aisam_envs.textworld import GameSpec, game_path

        game = str(game_path(GameSpec(world_size=2, nb_objects=2, quest_length=1, game_seed=5)))
    except ImportError:
        pass
    return rom, game


def _hashes(hash_seed: str, rom: str, game: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, str(HERE / "trajectories.py"), rom, game],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # two fresh processes that import every emulator: ~20-40 s on 2 cores
def test_same_seeds_same_trajectories_in_fresh_processes(tmp_path: Path) -> None:
    rom, game = _optional_inputs(tmp_path)
    first, second = _hashes("0", rom, game), _hashes("12345", rom, game)
    assert first.keys() == second.keys()
    # 7 envs that need only the core and atari extras, 2 TextWorld modes, Pokemon
    assert len(first) == 7 + 2 * (game != "-") + (rom != "-"), sorted(first)
    different = [name for name in first if first[name] != second[name]]
    assert not different, f"trajectories differ across processes: {different}"
