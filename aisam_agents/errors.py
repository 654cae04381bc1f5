"""The errors only ``aisam_agents`` raises.

Every error is an :class:`~aisam_envs.errors.AisamError`; bad settings are the one shared
:class:`~aisam_envs.errors.InvalidConfigError` and a missing dependency the one
:class:`~aisam_envs.errors.MissingExtraError`, both in :mod:`aisam_envs.errors` with the
shared checks and :func:`~aisam_envs.errors.resolve_device`.
"""

from __future__ import annotations

from aisam_envs.errors import AisamError

__all__ = ["AisamAgentError", "CheckpointError"]


class AisamAgentError(AisamError):
    """Base class of the errors only ``aisam_agents`` raises."""


class CheckpointError(AisamAgentError, ValueError):
    """A saved model is missing, corrupt, or was saved by an incompatible config."""
