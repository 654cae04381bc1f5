"""Interleaved timing shared by the benchmarks: anchor and env alternate, so load drift
on a shared machine hits every side alike."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def interleaved(timers: Sequence[Callable[[], T]], rounds: int) -> list[list[T]]:
    """Calls every timer once per round, the order rotating from round to round.

    With two timers the order alternates: ``a, b``, then ``b, a``, ...

    Returns:
        One list per timer, in the order of ``timers``: its ``rounds`` results.
    """
    results: list[list[T]] = [[] for _ in timers]
    n = len(timers)
    for r in range(rounds):
        for k in range(n):
            i = (r + k) % n
            results[i].append(timers[i]())
    return results


def spread(values: Sequence[float], fmt: str = ".1%") -> str:
    """``median [min-max]`` of the rounds' values, each formatted with ``fmt``."""
    return f"{statistics.median(values):{fmt}} [{min(values):{fmt}}-{max(values):{fmt}}]"
