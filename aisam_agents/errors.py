"""The errors only ``aisam_agents`` raises, and the shared ones it re-exports.

Every error is an :class:`~aisam_envs.errors.AisamError`; bad settings are the one shared
:class:`~aisam_envs.errors.InvalidConfigError` and a missing dependency the one
:class:`~aisam_envs.errors.MissingExtraError`.
"""

from __future__ import annotations

from aisam_envs.errors import (
    AisamError,
    InvalidConfigError,
    MissingExtraError,
    check_bool,
    check_device_name,
    check_int,
    check_real,
    require_extra,
    resolve_device,
)

__all__ = [
    "AisamAgentError",
    "AisamError",
    "CheckpointError",
    "InvalidConfigError",
    "MissingExtraError",
    "check_bool",
    "check_device_name",
    "check_int",
    "check_real",
    "require_extra",
    "resolve_device",
]


class AisamAgentError(AisamError):
    """Base class of the errors only ``aisam_agents`` raises."""


class CheckpointError(AisamAgentError, ValueError):
    """A saved model is missing, corrupt, or was saved by an incompatible config."""
