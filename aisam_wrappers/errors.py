"""The errors only ``aisam_wrappers`` raises.

Every error is an :class:`~aisam_envs.errors.AisamError`; bad settings are the one shared
:class:`~aisam_envs.errors.InvalidConfigError` and a missing dependency the one
:class:`~aisam_envs.errors.MissingExtraError`, both in :mod:`aisam_envs.errors` with the
shared checks. ``except AisamWrapperError`` catches the errors about the data a bonus is
fed (spaces, observations, rewards).
"""

from __future__ import annotations

from aisam_envs.errors import AisamError, InvalidConfigError

__all__ = ["AisamWrapperError", "OutOfSpaceError", "RewardShapeError", "UnsupportedSpaceError"]


class AisamWrapperError(AisamError):
    """Base class of the errors only ``aisam_wrappers`` raises."""


class UnsupportedSpaceError(AisamWrapperError, InvalidConfigError):
    """An observation or action space that a key or model cannot handle.

    The message names the option to use instead (``key_fn=``, ``model=``, ...).
    """


class OutOfSpaceError(AisamWrapperError, ValueError):
    """An observation (or its key) outside the space the bonus was built for."""


class RewardShapeError(AisamWrapperError, ValueError):
    """Rewards that are not one float per transition ``(n,)``: from the env, or from an
    intrinsic reward or predictive model (the compiled mixing loops index them unchecked)."""
