"""Interleaved timing shared by the benchmarks: anchor and env alternate, so load drift
on a shared machine hits every side alike."""

from __future__ import annotations

import statistics
import time
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


def synced(fn: Callable[[], T], device: object) -> tuple[float, T]:
    """Seconds ``fn`` takes and its result; on a CUDA ``device`` (a ``torch.device``) the
    device is synchronised before and after, so queued kernels count."""
    cuda = getattr(device, "type", None) == "cuda"
    if cuda:
        import torch

        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    out = fn()
    if cuda:
        torch.cuda.synchronize(device)
    return time.perf_counter() - t0, out
