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
    InvalidActionError,
    InvalidConfigError,
    MissingExtraError,
    ResetNeededError,
)

__all__ = [
    "ENVS",
    "AisamEnvError",
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
    """

    id: str
    entry_point: str
    vector_entry_point: str | None = None
    extra: str | None = None
    module: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    max_episode_steps: int | None = None
    summary: str = ""


ENVS: tuple[EnvEntry, ...] = (
    EnvEntry(
        id="aisam/TransitionTable-v0",
        entry_point="aisam_envs.table.env:TransitionTableEnv",
        vector_entry_point="aisam_envs.table.vector:TransitionTableVectorEnv",
        max_episode_steps=100,
        summary="synthetic int->int transition-table world with exact ground truth",
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
