"""Every error type that ``aisam_wrappers`` raises, in one place.

Each subclasses the builtin a caller would naturally catch (``ValueError`` for bad
input, ``ImportError`` for a missing optional dependency) so generic handlers keep
working, while ``except AisamWrapperError`` catches only ours. :func:`check_int` and
:func:`check_real` are the shared checks of numeric settings.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from aisam_envs.errors import MissingExtraError, require_extra

__all__ = [
    "AisamWrapperError",
    "InvalidConfigError",
    "MissingExtraError",
    "OutOfSpaceError",
    "RewardShapeError",
    "UnsupportedSpaceError",
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
    """``value`` as an ``int`` in ``[low, high]``, or an :class:`InvalidConfigError` naming
    ``name``.

    Python and numpy integers pass; bools and floats do not (``int(2.5)`` would silently
    truncate, and numpy's own error would not name the setting).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidConfigError(f"{name} must be an int, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise InvalidConfigError(f"{name} must be {bound}, got {value}")
    return int(value)


def check_real(name: str, value: Any) -> float:
    """``value`` as a finite ``float``, or an :class:`InvalidConfigError` naming ``name``.

    Python and numpy reals pass; bools, strings, ``None``, NaN and infinities do not (a NaN
    setting would silently zero a bonus). Ranges are the caller's to check.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidConfigError(f"{name} must be a real number, got {value!r}")
    if not math.isfinite(value):
        raise InvalidConfigError(f"{name} must be finite, got {value}")
    return float(value)
