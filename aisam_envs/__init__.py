"""Gymnasium environments for research on curiosity, world models and adaptive computation.

Importing this package registers every ``aisam/`` id with gymnasium. Entry points are
strings, so no optional dependency (ale-py, textworld, pyboy) is imported until an
environment that needs it is made; a missing one raises
:class:`~aisam_envs.errors.MissingExtraError` naming the extra to install.

>>> import gymnasium as gym
>>> import aisam_envs  # noqa: F401  (registers the ids)
>>> env = gym.make("aisam/TransitionTable-v0", n_states=100, kind="lock")
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from aisam_envs.errors import (
    AisamEnvError,
    AisamError,
    InvalidActionError,
    InvalidConfigError,
    MissingExtraError,
    ResetNeededError,
)

__all__ = [
    "ENVS",
    "AisamEnvError",
    "AisamError",
    "EnvEntry",
    "InvalidActionError",
    "InvalidConfigError",
    "MissingExtraError",
    "ResetNeededError",
    "extra_installed",
]

__version__ = "0.1.0"


@dataclass(frozen=True)
class EnvEntry:
    """One registered environment id and what it needs.

    Attributes:
        id: the gymnasium id, ``aisam/<Name>-v<N>``.
        entry_point: ``"module:callable"`` of the single environment.
        vector_entry_point: ``"module:callable"`` of the native vector env, if any.
        extra: the aisam extra that installs its dependency (``None``: core only).
        module: the module that extra provides (checked by :func:`extra_installed`).
        kwargs: default constructor kwargs of the registration.
        max_episode_steps: the registration's time limit (``None``: the env's own).
        summary: one line for ``aisam envs``.
        spaces: observation and action spaces with the default kwargs, as text.
        bench_kwargs: kwargs ``aisam bench`` makes the env with.
        bench_num_envs: how many envs ``aisam bench`` runs in the vector measurement.
    """

    id: str
    entry_point: str
    vector_entry_point: str | None = None
    extra: str | None = None
    module: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    max_episode_steps: int | None = None
    summary: str = ""
    spaces: str = ""
    bench_kwargs: dict[str, Any] = field(default_factory=dict)
    bench_num_envs: int = 8


ENVS: tuple[EnvEntry, ...] = (
    EnvEntry(
        id="aisam/TransitionTable-v0",
        entry_point="aisam_envs.table.env:TransitionTableEnv",
        vector_entry_point="aisam_envs.table.vector:TransitionTableVectorEnv",
        max_episode_steps=100,
        summary="synthetic int->int transition-table world with exact ground truth",
        spaces="Discrete(64) | Box(S,) onehot | Box(obs_dim,) embedding -> Discrete(4)",
        bench_num_envs=4096,
    ),
    EnvEntry(
        id="aisam/TextWorld-v0",
        entry_point="aisam_envs.textworld.env:TextWorldEnv",
        extra="textworld",
        module="textworld",
        max_episode_steps=100,
        summary="TextWorld text games (given .z8, generated, or built-in challenges)",
        spaces="Text(4096) | Box(0, 4095, (256,), int64) tokens -> Text command | Discrete(64)",
        bench_kwargs={"action_mode": "index", "world_size": 3, "nb_objects": 5, "quest_length": 2},
    ),
    EnvEntry(
        id="aisam/Parity-v0",
        entry_point="aisam_envs.parity:ParityEnv",
        summary="PonderNet parity task as a contextual bandit (difficulty = active bits)",
        spaces="Box(-1, 1, (n_bits,), float32) -> Discrete(2)",
    ),
    EnvEntry(
        id="aisam/PokemonRed-v0",
        entry_point="aisam_envs.pokemon.env:PokemonRedEnv",
        extra="pokemon",
        module="pyboy",
        max_episode_steps=16384,
        summary="Pokemon Red on headless PyBoy (your own ROM), RAM-decoded info, shaped reward",
        spaces="Box(72, 80, 1) screen | (144, 160, 3) rgb | (8192,) ram, uint8 -> Discrete(7)",
    ),
    EnvEntry(
        id="aisam/Montezuma-Reduced-v0",
        entry_point="aisam_envs.montezuma:MontezumaReducedEnv",
        vector_entry_point="aisam_envs.montezuma_rooms:make_vector_env",
        extra="atari",
        module="ale_py",
        kwargs={
            "frameskip": 4,
            "repeat_action_probability": 0.25,
            "max_num_frames_per_episode": 108_000,
        },
        summary="Montezuma's Revenge, 6 actions (8: running_jumps), ALE v5, RAM state in info",
        spaces="Box(uint8): (210, 160, 3) rgb | (210, 160) gray | (128,) ram -> Discrete(6 | 8)",
    ),
    EnvEntry(
        id="aisam/Montezuma-ReducedNoFrameskip-v0",
        entry_point="aisam_envs.montezuma:MontezumaReducedEnv",
        vector_entry_point="aisam_envs.montezuma_rooms:make_vector_env",
        extra="atari",
        module="ale_py",
        kwargs={
            "frameskip": 1,
            "repeat_action_probability": 0.0,
            "max_num_frames_per_episode": 108_000,
        },
        summary="Montezuma-Reduced, no frame skip or sticky actions (for SB3/gymnasium wrappers)",
        spaces="Box(uint8): (210, 160, 3) rgb | (210, 160) gray | (128,) ram -> Discrete(6 | 8)",
    ),
)


def extra_installed(entry: EnvEntry) -> bool:
    """Whether the optional dependency of ``entry`` can be imported."""
    return entry.module is None or importlib.util.find_spec(entry.module) is not None


def _register_all() -> None:
    for entry in ENVS:
        if entry.id in gym.registry:
            continue
        gym.register(
            id=entry.id,
            entry_point=entry.entry_point,
            vector_entry_point=entry.vector_entry_point,
            max_episode_steps=entry.max_episode_steps,
            kwargs=dict(entry.kwargs),
        )


_register_all()
