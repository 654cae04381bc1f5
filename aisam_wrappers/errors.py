"""Every error type that ``aisam_wrappers`` raises, in one place.

Each subclasses the builtin a caller would naturally catch (``ValueError`` for bad
input, ``ImportError`` for a missing optional dependency) so generic handlers keep
working, while ``except AisamWrapperError`` catches only ours. :func:`check_int` and
:func:`check_real` are the shared checks of numeric settings.
"""

from __future__ import annotations

from typing import Any

from aisam_envs import errors as _envs
from aisam_envs.errors import MissingExtraError, require_extra

__all__ = [
    "AisamWrapperError",
    "InvalidConfigError",
    "MissingExtraError",
    "OutOfSpaceError",
    "RewardShapeError",
    "UnsupportedSpaceError",
    "check_bool",
    "check_int",
    "check_real",
    "require_extra",
]


class AisamWrapperError(Exception):
    """Base class of every error raised by ``aisam_wrappers``."""


class InvalidConfigError(AisamWrapperError, ValueError):
    """A bonus or wrapper was given impossible or unknown settings."""


class UnsupportedSpaceError(InvalidConfigError):
    """An observation or action space that a key or model cannot handle.

    The message names the option to use instead (``key_fn=``, ``model=``, ...).
    """


class OutOfSpaceError(AisamWrapperError, ValueError):
    """An observation (or its key) outside the space the bonus was built for."""


class RewardShapeError(AisamWrapperError, ValueError):
    """Rewards that are not one float per transition ``(n,)``: from the env, or from an
    intrinsic reward or predictive model (the compiled mixing loops index them unchecked)."""


def check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """:func:`aisam_envs.errors.check_int` raising this package's :class:`InvalidConfigError`."""
    return _envs.check_int(name, value, low, high, error=InvalidConfigError)


def check_bool(name: str, value: Any) -> bool:
    """:func:`aisam_envs.errors.check_bool` raising this package's :class:`InvalidConfigError`."""
    return _envs.check_bool(name, value, error=InvalidConfigError)


def check_real(name: str, value: Any) -> float:
    """:func:`aisam_envs.errors.check_real` raising this package's :class:`InvalidConfigError`."""
    return _envs.check_real(name, value, error=InvalidConfigError)
