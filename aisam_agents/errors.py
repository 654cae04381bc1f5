"""Every error type that ``aisam_agents`` raises, in one place."""

from __future__ import annotations

from aisam_envs.errors import MissingExtraError, require_extra

__all__ = [
    "AisamAgentError",
    "CheckpointError",
    "InvalidConfigError",
    "MissingExtraError",
    "require_extra",
]


class AisamAgentError(Exception):
    """Base class of every error raised by ``aisam_agents``."""


class InvalidConfigError(AisamAgentError, ValueError):
    """A model, agent or command was given impossible or unknown settings."""


class CheckpointError(AisamAgentError, ValueError):
    """A saved model is missing, corrupt, or was saved by an incompatible config."""
