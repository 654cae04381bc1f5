"""Fused per-step loops of the bonus hot path, compiled by numba.

Each is one pass over a batch that numpy would do in several (a gather and an
``add.at``, a discounted-return update and its moments, the normalise-clip-mix of
the rewards, hash-table probing); at 4096 envs that is the difference between a
bonus that costs less than the env step and one that costs twice as much. Compiled once per dtype
signature and cached on disk where numba finds a writable place (next to the package, or the
user's cache folder); elsewhere they compile in each process.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit
from numba.extending import register_jitable

#: reassociation (vectorised reductions) and fused multiply-add; NaN/inf keep their
#: IEEE meaning, which the finiteness checks rely on
FAST = {"reassoc", "contract"}

#: curve codes of :func:`satiation_curve`
EXPONENTIAL, HYPERBOLIC, SIGMOID = 0, 1, 2

#: values per branch-free block of :func:`first_outside`
_BLOCK = 256

_warned_no_cache = False


def _jit(**options: Any) -> Callable[[Callable], Callable]:
    """``njit(cache=True, **options)``, or uncached where numba has nowhere to write a cache
    (a read-only install and home folder): importing must not fail there."""

    def compile_lazily(func: Callable) -> Callable:
        global _warned_no_cache
        try:
            return njit(cache=True, **options)(func)
        except RuntimeError as err:
            if "cannot cache" not in str(err):
                raise
            if not _warned_no_cache:
                _warned_no_cache = True
                warnings.warn(
                    f"numba has no writable cache folder ({err}); aisam's wrapper kernels will "
                    "compile in each process (about a second). Set NUMBA_CACHE_DIR to cache them.",
                    RuntimeWarning,
                    stacklevel=2,
                )
            return njit(**options)(func)

    return compile_lazily


@register_jitable
def merge_moments(
    mean: np.ndarray | float,
    var: np.ndarray | float,
    count: float,
    b_mean: np.ndarray | float,
    b_var: np.ndarray | float,
    n: float,
) -> tuple[np.ndarray | float, np.ndarray | float, float]:
    """``(mean, var, count)`` of two samples merged (Chan et al.'s parallel update).

    Plain Python when called from Python (floats or arrays), inlined in the kernels.
    """
    delta = b_mean - mean
    total = count + n
    merged_var = (var * count + b_var * n + delta * delta * (count * n / total)) / total
    return mean + delta * (n / total), merged_var, total


@_jit(nogil=True, error_model="numpy")
def take_add(column: np.ndarray, slots: np.ndarray, out: np.ndarray) -> int:
    """``out[i] = column[slots[i]]`` for all ``i``, then adds 1 at every slot.

    Every row sees the value before the batch (rows sharing a slot see the same one),
    and a slot taken ``k`` times gains ``k``. Returns the index of the first slot
    outside ``column`` (nothing is written then), or -1: the range check rides on the
    read, cheaper than a pass of its own.
    """
    size = column.shape[0]
    for i in range(slots.shape[0]):
        slot = slots[i]
        if slot < 0 or slot >= size:
            return i
        out[i] = column[slot]
    for i in range(slots.shape[0]):
        column[slots[i]] += 1
    return -1


# fastmath=True: counts are finite and >= 0 by construction
@_jit(nogil=True, error_model="numpy", fastmath=True)
def satiation_curve(counts: np.ndarray, curve: int, a: float, b: float, c: float) -> None:
    """Replaces exposure counts by the satiation bonus, in place.

    ``EXPONENTIAL``: ``2 ** (n * a)`` (``a = -1 / half_life``); ``HYPERBOLIC``:
    ``(1 + n) ** -a`` (``a = power``, 0.5 by a square root); ``SIGMOID``:
    ``(a + exp(-b)) / (a + exp(n * c - b))`` (``c = 1 / width``, ``b = max(midpoint, 0) *
    c``, ``a = exp(min(midpoint, 0) * c)``: the logistic curve scaled to 1 at ``n = 0``,
    in a form with no overflow; the exponent is capped where the bonus is 0 anyway).
    """
    one, fa, fb, fc = np.float32(1.0), np.float32(a), np.float32(b), np.float32(c)
    if curve == EXPONENTIAL:
        for i in range(counts.shape[0]):
            counts[i] = np.exp2(counts[i] * fa)
    elif curve == HYPERBOLIC and a == 0.5:
        for i in range(counts.shape[0]):
            counts[i] = one / np.sqrt(counts[i] + one)
    elif curve == HYPERBOLIC:
        for i in range(counts.shape[0]):
            counts[i] = (counts[i] + one) ** -fa
    else:
        top, cap = fa + np.exp(-fb), np.float32(88.0)  # exp(88) < float32 max
        for i in range(counts.shape[0]):
            counts[i] = top / (fa + np.exp(min(counts[i] * fc - fb, cap)))


@_jit(nogil=True, error_model="numpy", fastmath=FAST)
def discount(
    returns: np.ndarray, rewards: np.ndarray, valid: np.ndarray | None, gamma: float
) -> tuple[int, float, float]:
    """``returns = gamma * returns + rewards`` on the ``valid`` rows (``None``: all), in place.

    Returns ``(n, sum, sum of squares)`` of the updated returns of those rows.
    """
    if valid is None:  # a separate compiled specialisation: the plain loop vectorises
        total, squares = 0.0, 0.0
        for i in range(returns.shape[0]):
            x = returns[i] * gamma + rewards[i]
            returns[i] = x
            total += x
            squares += x * x
        return returns.shape[0], total, squares
    n, total, squares = 0, 0.0, 0.0
    for i in range(returns.shape[0]):  # branch-free, so that it vectorises too
        keep = valid[i]
        old = returns[i]
        x = old * gamma + rewards[i] if keep else old
        returns[i] = x
        w = 1.0 if keep else 0.0
        n += keep
        total += w * x
        squares += w * x * x
    return n, total, squares


@_jit(nogil=True, error_model="numpy", fastmath=FAST)
def mix(
    r_ext: np.ndarray,
    r_int: np.ndarray,
    scale: float,
    clip: float,
    extrinsic_coef: float,
    intrinsic_coef: float,
    out_int: np.ndarray,
    out_total: np.ndarray,
) -> float:
    """``out_int = clip(scale * r_int)``, ``out_total = ext * r_ext + int * out_int``.

    Returns the sum of ``out_total`` (finite if and only if every term is, barring
    overflow), so the caller checks for NaN/inf with no extra pass.
    """
    acc = 0.0
    for i in range(r_ext.shape[0]):
        x = min(max(r_int[i] * scale, -clip), clip)
        out_int[i] = x
        t = extrinsic_coef * r_ext[i] + intrinsic_coef * x
        out_total[i] = t
        acc += t
    return acc


@_jit(nogil=True, error_model="numpy", fastmath=FAST)
def normalize_and_mix(
    r_ext: np.ndarray,
    r_int: np.ndarray,
    valid: np.ndarray | None,
    returns: np.ndarray,
    gamma: float,
    moments: tuple[float, float, float],
    epsilon: float,
    clip: float,
    max_abs: float,
    extrinsic_coef: float,
    intrinsic_coef: float,
    out_int: np.ndarray,
    out_total: np.ndarray,
) -> tuple[float, tuple[float, float, float]]:
    """:func:`discount`, :func:`merge_moments`, then :func:`mix` at ``1 / (std + epsilon)``.

    ``moments`` is ``(mean, var, count)`` of the discounted returns so far. The clip
    applies unless the bound ``max_abs`` (``inf``: unknown) keeps every scaled reward
    inside it. Returns the sum of ``out_total`` and the updated moments.
    """
    n, total, squares = discount(returns, r_int, valid, gamma)
    if n:
        b_mean = total / n
        moments = merge_moments(*moments, b_mean, max(squares / n - b_mean * b_mean, 0.0), n)
    scale = 1.0 / (np.sqrt(moments[1]) + epsilon)
    limit = np.inf if max_abs * scale <= clip else clip
    checksum = mix(r_ext, r_int, scale, limit, extrinsic_coef, intrinsic_coef, out_int, out_total)
    return checksum, moments


@_jit(nogil=True, error_model="numpy")
def probe(
    keys: np.ndarray,
    rows: np.ndarray,
    hashes: np.ndarray,
    stamp: np.ndarray,
    stored: np.ndarray,
    generation: np.ndarray,
    live: np.ndarray,
    width: int,
    insert: bool,
    out: np.ndarray,
    new: np.ndarray,
) -> int:
    """Open addressing with linear probing, one key after the other.

    Row ``r`` owns slots ``r * width .. (r + 1) * width - 1`` (``width`` a power of
    two); a slot is live when its ``stamp`` equals its row's ``generation``. Each key
    starts at its ``hashes`` entry (``mix_keys(key, row)``) modulo ``width``. ``out[i]``
    gets the key's slot, or -1 when it is absent and ``insert`` is false; with
    ``insert`` an absent key takes the first free slot (``new[i] = True``, ``live``
    counts it), so a key repeated in the batch shares the entry of its first
    occurrence. Returns -1, or the index of the
    first key whose row would pass half full: nothing is done from that key on (the
    caller grows the table and probes again).
    """
    mask = width - 1
    for i in range(keys.shape[0]):
        key, row = keys[i], rows[i]
        gen, base = generation[row], row * width
        pos = hashes[i] & mask
        while True:
            slot = base + pos
            if stamp[slot] != gen:  # a free slot: the key is absent
                if not insert:
                    out[i] = -1
                    break
                if 2 * (live[row] + 1) > width:
                    return i
                stamp[slot], stored[slot] = gen, key
                live[row] += 1
                out[i], new[i] = slot, True
                break
            if stored[slot] == key:
                out[i] = slot
                break
            pos = (pos + 1) & mask
    return -1


@_jit(nogil=True, error_model="numpy")
def count_transitions(
    slots: np.ndarray,
    pairs: np.ndarray,
    counts: np.ndarray,
    totals: np.ndarray,
    seen: np.ndarray,
    xlogx: np.ndarray,
    alpha: float,
) -> None:
    """Adds one to ``counts[slots[i]]`` (the entry of a (state, action, next) triple) for
    every ``i``, keeping the sums per (state, action) ``pairs[i]`` of the Dirichlet count
    model: ``totals`` (transitions), ``seen`` (distinct successors) and ``xlogx`` (the sum
    over successors of ``(n + alpha) log(n + alpha)``). One row after the other, so a
    triple repeated in the batch counts once per occurrence.
    """
    for i in range(slots.shape[0]):
        slot, pair = slots[i], pairs[i]
        before = counts[slot]
        after = before + 1.0
        counts[slot] = after
        gain = (after + alpha) * np.log(after + alpha)
        if before > 0.0:
            gain -= (before + alpha) * np.log(before + alpha)
        else:
            seen[pair] += 1.0
        xlogx[pair] += gain
        totals[pair] += 1.0


@_jit(nogil=True, error_model="numpy")
def dirichlet_entropy(
    pairs: np.ndarray,
    totals: np.ndarray,
    seen: np.ndarray,
    xlogx: np.ndarray,
    alpha: float,
    n_states: int,
    out: np.ndarray,
) -> None:
    """``out[i]``: entropy of the Dirichlet posterior predictive of (state, action)
    ``pairs[i]``, from the sums :func:`count_transitions` keeps (unseen successors each
    hold ``alpha``)."""
    unseen_term = alpha * np.log(alpha)
    for i in range(pairs.shape[0]):
        pair = pairs[i]
        z = totals[pair] + n_states * alpha
        out[i] = np.log(z) - (xlogx[pair] + (n_states - seen[pair]) * unseen_term) / z


@_jit(nogil=True, error_model="numpy")
def first_outside(values: np.ndarray, n: int) -> int:
    """Index of the first value outside ``0 .. n-1``, or -1 (bounds checks of keys and
    actions on every batch, before kernels that index unchecked).

    Each block of values is tested branch-free, which vectorises (about 2x faster than a
    branch per value); only a block holding a value outside is searched value by value. As
    unsigned numbers, negative values are huge, so one comparison covers both ends.
    """
    size = values.shape[0]
    limit = np.uint64(n)
    for block in range(0, size, _BLOCK):
        stop = min(block + _BLOCK, size)
        outside = False
        for i in range(block, stop):
            outside |= np.uint64(values[i]) >= limit
        if outside:
            for i in range(block, stop):
                if np.uint64(values[i]) >= limit:
                    return i
    return -1
