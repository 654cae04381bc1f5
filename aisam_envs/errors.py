"""Every error type that ``aisam_envs`` raises, in one place.

Each subclasses the builtin a caller would naturally catch (``ImportError`` for a
missing optional dependency, ``ValueError`` for bad input) so generic handlers keep
working, while ``except AisamEnvError`` catches only ours.
"""

from __future__ import annotations

import importlib
import math
import numbers
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np
from gymnasium.error import ResetNeeded


class AisamEnvError(Exception):
    """Base class of every error raised by ``aisam_envs``."""


class MissingExtraError(AisamEnvError, ImportError):
    """An optional dependency of an environment is not installed."""

    def __init__(self, module: str, extra: str) -> None:
        self.module = module
        self.extra = extra
        super().__init__(
            f"'{module}' is not installed; it comes with aisam's '{extra}' extra: "
            f'pip install "aisam[{extra}]"'
        )


class InvalidConfigError(AisamEnvError, ValueError):
    """An environment was constructed with impossible or unknown arguments."""


class InvalidActionError(AisamEnvError, ValueError):
    """An action is out of range or of the wrong type or shape."""


class ResetNeededError(AisamEnvError, ResetNeeded):
    """``step`` was called on an episode that has ended (or never started)."""


def require_extra(module: str, extra: str) -> ModuleType:
    """Imports ``module``, turning its absence into a :class:`MissingExtraError`.

    Args:
        module: the importable name, e.g. ``"ale_py"``.
        extra: the aisam extra that installs it, e.g. ``"atari"``.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.split(".")[0] != exc.name.split(".")[0]:
            raise  # the module exists but one of *its* imports is broken: show that
        raise MissingExtraError(module, extra) from exc


def check_int(
    name: str,
    value: Any,
    low: int,
    high: int | None = None,
    error: type[Exception] = InvalidConfigError,
) -> int:
    """``value`` as a Python int in ``[low, high]``, or ``error`` naming ``name``.

    Python and numpy integers pass; bools and floats do not (``int(2.5)`` would silently
    truncate, and numpy's own error would not name the setting). ``error`` lets the
    wrappers and agents raise their own ``InvalidConfigError``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise error(f"{name} must be an int, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise error(f"{name} must be {bound}, got {value}")
    return int(value)


def check_real(name: str, value: Any, error: type[Exception] = InvalidConfigError) -> float:
    """``value`` as a finite float, or ``error`` naming ``name``.

    Python and numpy reals pass; bools, strings, ``None``, NaN and infinities do not (a NaN
    setting silently spoils every reward or weight it touches). Ranges are the caller's.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise error(f"{name} must be a real number, got {value!r}")
    if not math.isfinite(value):
        raise error(f"{name} must be finite, got {value}")
    return float(value)


def check_bool(name: str, value: Any, error: type[Exception] = InvalidConfigError) -> bool:
    """``value`` (a Python or numpy bool) as a Python bool, or ``error`` naming ``name``
    (a string such as ``"False"`` or a number would otherwise count as true or false
    silently)."""
    if not isinstance(value, bool | np.bool_):
        raise error(f"{name} must be a bool, got {value!r}")
    return bool(value)


def check_action(action: Any, n: int, names: Sequence[str] = ()) -> int:
    """``action`` as a Python int in ``[0, n)``, or a clear :class:`InvalidActionError`.

    Accepts Python and numpy integers and 0-d integer arrays (not bools). ``names``,
    the actions' meanings, are quoted in the error message.
    """
    if type(action) is not int:  # the common case skips the checks below
        if isinstance(action, np.ndarray) and action.shape == ():
            action = action[()]
        if isinstance(action, bool | np.bool_) or not isinstance(action, int | np.integer):
            raise InvalidActionError(
                f"action must be an integer in [0, {n}){_meanings(names)}, got {action!r} "
                f"({type(action).__name__}{getattr(action, 'shape', '')})"
            )
        action = int(action)
    if not 0 <= action < n:
        raise InvalidActionError(f"action {action} is out of range [0, {n}){_meanings(names)}")
    return action


def _meanings(names: Sequence[str]) -> str:
    return f" ({', '.join(names)})" if names else ""
