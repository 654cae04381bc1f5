"""Every error type that ``aisam_agents`` raises, in one place."""

from __future__ import annotations

from typing import Any

from aisam_envs import errors as _envs
from aisam_envs.errors import MissingExtraError, require_extra

__all__ = [
    "AisamAgentError",
    "CheckpointError",
    "InvalidConfigError",
    "MissingExtraError",
    "check_int",
    "check_real",
    "require_extra",
]


class AisamAgentError(Exception):
    """Base class of every error raised by ``aisam_agents``."""


class InvalidConfigError(AisamAgentError, ValueError):
    """A model, agent or command was given impossible or unknown settings."""


class CheckpointError(AisamAgentError, ValueError):
    """A saved model is missing, corrupt, or was saved by an incompatible config."""


def check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """:func:`aisam_envs.errors.check_int` raising this package's :class:`InvalidConfigError`."""
    return _envs.check_int(name, value, low, high, error=InvalidConfigError)


def check_real(name: str, value: Any) -> float:
    """:func:`aisam_envs.errors.check_real` raising this package's :class:`InvalidConfigError`."""
    return _envs.check_real(name, value, error=InvalidConfigError)
