"""No banners or audio-driver noise when the emulators start (each run in a fresh process,
whose whole output is checked)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MONTEZUMA = """
import gymnasium as gym
from gymnasium.utils.env_checker import check_env
import aisam_envs
check_env(gym.make("aisam/Montezuma-Reduced-v0").unwrapped)  # renders in human mode too
env = gym.make("aisam/Montezuma-Reduced-v0", render_mode="human")
env.reset(seed=0)
env.step(0)
venv = gym.make_vec("aisam/Montezuma-Reduced-v0", num_envs=2,
                    vectorization_mode="vector_entry_point", num_threads=1)
venv.reset(seed=0)
print("done")
"""


def _run(script: str, *args: str) -> str:
    """stdout + stderr of ``script`` in a fresh interpreter that shows every warning."""
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_AUDIODRIVER", "PYSDL2_DLL_PATH")}
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", script, *args],
        capture_output=True, text=True, timeout=300, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr


def test_montezuma_single_vector_and_human_render_are_quiet() -> None:
    pytest.importorskip("ale_py")
    assert _run(MONTEZUMA) == "done\n"


def test_ale_banner_follows_the_aisam_envs_logger() -> None:
    pytest.importorskip("ale_py")
    script = (
        "import logging; logging.basicConfig(level=logging.INFO)\n"
        "import gymnasium as gym, aisam_envs\n"
        "gym.make('aisam/Montezuma-Reduced-v0')\n"
    )
    assert "Arcade Learning Environment" in _run(script)


def test_pokemon_starts_without_the_pysdl2_warning(rom_path: Path) -> None:
    pytest.importorskip("pyboy")
    script = (
        "import sys\n"
        "from aisam_envs.pokemon import PokemonRedEnv\n"
        "env = PokemonRedEnv(sys.argv[1], allow_unknown_rom=True)\n"
        "env.reset(seed=0)\n"
        "env.step(0)\n"
        "env.close()\n"
        "print('done')\n"
    )
    assert _run(script, str(rom_path)) == "done\n"
