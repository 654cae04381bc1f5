"""Hashes of seeded trajectories of every env and vector env, printed as JSON (run as a
script in a fresh process by test_fresh_process_determinism.py).

Each env is reset with seed 0 and stepped with actions drawn from its action space seeded
with 0; the hash covers every observation, reward, ``terminated`` and ``truncated``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import aisam_envs  # noqa: F401  (registers the ids)

STEPS = 40


def _bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, dict):
        return b"".join(k.encode() + _bytes(value[k]) for k in sorted(value))
    return np.ascontiguousarray(value).tobytes()


def trajectory_hash(env: Any) -> str:
    """sha256 of a seeded run of ``env`` (single or vector); closes it."""
    digest = hashlib.sha256()
    obs, _ = env.reset(seed=0)
    digest.update(_bytes(obs))
    env.action_space.seed(0)
    for _ in range(STEPS):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        for part in (obs, np.asarray(reward, np.float64), terminated, truncated):
            digest.update(_bytes(part))
        if isinstance(env, gym.Env) and (terminated or truncated):
            obs, _ = env.reset()
            digest.update(_bytes(obs))
    env.close()
    return digest.hexdigest()


def envs(rom: Path | None, game: Path | None) -> dict[str, Callable[[], Any]]:
    table = {"n_states": 32, "n_actions": 3, "kind": "stochastic", "start_state": None}
    out: dict[str, Callable[[], Any]] = {
        "TransitionTable": lambda: gym.make("aisam/TransitionTable-v0", **table),
        "TransitionTable-embedding": lambda: gym.make(
            "aisam/TransitionTable-v0", obs_type="embedding", table_seed=3
        ),
        "TransitionTable-vector": lambda: gym.make_vec(
            "aisam/TransitionTable-v0", num_envs=3, max_episode_steps=7, **table
        ),
        "Parity": lambda: gym.make("aisam/Parity-v0", n_bits=6, episode_length=3),
        "Montezuma": lambda: gym.make("aisam/Montezuma-Reduced-v0", obs_type="ram"),
        "Montezuma-vector": lambda: gym.make_vec(
            "aisam/Montezuma-Reduced-v0", num_envs=2, num_threads=1
        ),
        "Montezuma-rooms-vector": lambda: gym.make_vec(
            "aisam/Montezuma-Reduced-v0", num_envs=2, ram_info=True, num_workers=1
        ),
    }
    if game is not None:
        out["TextWorld"] = lambda: gym.make("aisam/TextWorld-v0", game_file=game)
        out["TextWorld-index-tokens"] = lambda: gym.make(
            "aisam/TextWorld-v0", game_file=game, action_mode="index", obs_type="tokens"
        )
    if rom is not None:
        out["Pokemon"] = lambda: gym.make(
            "aisam/PokemonRed-v0", rom_path=rom, allow_unknown_rom=True, obs_type="ram"
        )
    return out


def main() -> None:
    rom = Path(sys.argv[1]) if sys.argv[1] != "-" else None
    game = Path(sys.argv[2]) if sys.argv[2] != "-" else None
    print(json.dumps({name: trajectory_hash(make()) for name, make in envs(rom, game).items()}))


if __name__ == "__main__":
    main()
