"""Checks of the numbers that configure an env, with the package's clear errors.

Shared by the table envs, their generators and the parity env, so that every count is
checked alike: a numpy integer is as good as a Python int, while a bool or a float (that
``int()`` would silently truncate) is refused.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from aisam_envs.errors import InvalidConfigError


def check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """``value`` as a Python int in ``[low, high]``, or a clear :class:`InvalidConfigError`.

    Accepts Python and numpy integers, not bools nor floats.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidConfigError(f"{name} must be an int, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise InvalidConfigError(f"{name} must be {bound}, got {value}")
    return int(value)


def check_finite(name: str, value: Any) -> float:
    """``value`` as a finite float, or a clear :class:`InvalidConfigError`.

    Accepts Python and numpy numbers, not bools, strings, NaN nor infinities.
    """
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise InvalidConfigError(f"{name} must be a finite number, got {value!r}")
    return float(value)
