"""State keys: one int64 per observation, for count-based bonuses.

A key turns a batch of observations into a batch of integer ids so that counts can
be kept in flat arrays. ``Discrete`` observations are their own keys,
``MultiDiscrete`` ones are mixed-radix numbers, arrays (``Box``, ``MultiBinary``) are
hashed by SimHash (the signs of ``hash_bits`` random projections, Tang et al. 2017),
and anything else takes a user function, e.g. Montezuma's ``(room, x, y)`` cell read
from ``info``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from gymnasium import spaces

from aisam_envs.errors import InvalidConfigError, check_int
from aisam_wrappers._kernels import first_outside
from aisam_wrappers.errors import OutOfSpaceError, UnsupportedSpaceError

#: ``key_fn(obs, infos) -> keys``: ``obs`` a batch ``(n, ...)``, ``infos`` a dict of
#: per-env arrays; returns ``(n,)`` ints or ``(n, k)`` ints (rows are hashed to one key).
KeyFn = Callable[[np.ndarray, Mapping[str, Any]], np.ndarray]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)

#: the longest SimHash code (its keys must fit an int64)
MAX_HASH_BITS = 62

#: key ranges this large or larger are hashed instead (mixed-radix keys would overflow int64)
KEY_RANGE_LIMIT = 2**62


def integral(values: np.ndarray, space: spaces.Space, what: str = "observation") -> np.ndarray:
    """``values`` as int64, for values of an integer ``space``.

    A float that is not a whole number is an :class:`OutOfSpaceError` (a cast would silently
    make 1.5 the value 1); whole floats (``2.0``, as a float-casting wrapper gives) pass.
    """
    values = np.asarray(values)
    if values.dtype.kind == "f":
        fractional = ~np.isfinite(values) | (values != np.floor(values))
        if fractional.any():
            raise OutOfSpaceError(
                f"{what} {values[fractional].flat[0]} is not a value of the space {space}"
            )
    return values.astype(np.int64, copy=False)


def column_offsets(
    values: np.ndarray,
    start: np.ndarray,
    nvec: np.ndarray,
    space: spaces.Space,
    what: str = "observation",
) -> np.ndarray:
    """``values - start`` as ``(n, k)`` int64, for a batch of ``n`` values of the
    ``Discrete`` / ``MultiDiscrete`` ``space`` (``k`` columns; ``nvec`` uint64).

    A value outside its column's ``0 .. nvec-1``, or a wrong number of columns, is an
    :class:`OutOfSpaceError`: a key or one-hot index would silently make it another state.
    """
    values = np.asarray(values)
    flat = integral(values, space, what).reshape(len(values), -1)
    if flat.shape[1] != len(start):
        raise OutOfSpaceError(f"{what}s of {flat.shape[1]} values do not fit {space}")
    flat = flat - start
    outside = flat.view(np.uint64) >= nvec  # negatives wrap to huge unsigned values
    if np.count_nonzero(outside):
        row = int(np.flatnonzero(outside.any(axis=1))[0])
        raise OutOfSpaceError(f"{what} {values[row].tolist()} is outside the space {space}")
    return flat


def discrete_offsets(
    values: np.ndarray, start: int, n: int, space: spaces.Space, what: str = "observation"
) -> np.ndarray:
    """``values - start`` as flat int64, for a batch of values of the ``Discrete(n, start)``
    ``space``.

    A value outside the space is an :class:`OutOfSpaceError`: a key or table index would
    silently make it another value (and compiled loops index with it unchecked).
    """
    index = integral(values, space, what).reshape(-1)
    if start:
        index = index - start
    bad = first_outside(index, n)
    if bad >= 0:
        raise OutOfSpaceError(f"{what} {int(index[bad]) + start} is outside the space {space}")
    return index


def mix_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hashes two ``(n,)`` integer arrays into one ``(n,)`` int64 key (splitmix64 finaliser)."""
    x = (np.asarray(a).astype(np.uint64) * _GOLDEN) ^ np.asarray(b).astype(np.uint64)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x.view(np.int64)


def hash_rows(rows: np.ndarray) -> np.ndarray:
    """Hashes each row of an ``(n, k)`` integer array into one int64 key."""
    rows = np.asarray(rows)
    key = rows[:, 0].astype(np.int64)
    for j in range(1, rows.shape[1]):
        key = mix_keys(key, rows[:, j])
    return key


class StateKey:
    """Maps a batch of observations to ``(n,)`` int64 keys.

    Attributes:
        n_keys: the number of possible keys when they are ``0 .. n_keys-1`` (so counts
            fit a dense array), else ``None`` (arbitrary int64 keys).
    """

    n_keys: int | None = None

    def __call__(self, obs: np.ndarray, infos: Mapping[str, Any]) -> np.ndarray:
        """Keys of ``obs`` (``(n, ...)``), ``(n,)`` int64."""
        raise NotImplementedError


class DiscreteKey(StateKey):
    """``Discrete(n, start)`` observations: the key is ``obs - start``."""

    def __init__(self, space: spaces.Discrete) -> None:
        self.n_keys = int(space.n)
        self._start = int(space.start)
        self._space = space

    def __call__(self, obs: np.ndarray, infos: Mapping[str, Any]) -> np.ndarray:
        keys = integral(obs, self._space).reshape(-1)
        return keys - self._start if self._start else keys


class MultiDiscreteKey(StateKey):
    """``MultiDiscrete`` observations as mixed-radix numbers (dense when they fit int64);
    a value outside the space is an :class:`OutOfSpaceError`."""

    def __init__(self, space: spaces.MultiDiscrete) -> None:
        nvec = np.asarray(space.nvec, dtype=np.int64).reshape(-1)
        self._space = space
        self._nvec = nvec.astype(np.uint64)
        self._start = np.asarray(space.start, dtype=np.int64).reshape(-1)
        total = 1
        for n in nvec.tolist():
            total *= n
        self.n_keys = total if total < KEY_RANGE_LIMIT else None
        radix = np.cumprod(np.concatenate([[1], nvec[:-1]])) if self.n_keys else None
        self._radix = radix

    def __call__(self, obs: np.ndarray, infos: Mapping[str, Any]) -> np.ndarray:
        flat = column_offsets(obs, self._start, self._nvec, self._space)
        if self._radix is None:
            return hash_rows(flat)
        return flat @ self._radix


class SimHashKey(StateKey):
    """SimHash: the sign pattern of ``hash_bits`` fixed random projections of the array.

    Nearby observations share a code, so counts generalise across small changes; more
    bits separate more states (``Box`` of any shape, ``MultiBinary``).
    """

    def __init__(self, space: spaces.Space, hash_bits: int = 32, seed: int = 0) -> None:
        hash_bits = check_int("hash_bits", hash_bits, 1, MAX_HASH_BITS)
        seed = check_int("seed", seed, 0)
        dim = int(np.prod(space.shape))
        rng = np.random.default_rng(seed)
        self._proj = rng.standard_normal((dim, hash_bits)).astype(np.float32)
        self._powers = np.left_shift(np.int64(1), np.arange(hash_bits, dtype=np.int64))
        self.n_keys = 2**hash_bits

    def __call__(self, obs: np.ndarray, infos: Mapping[str, Any]) -> np.ndarray:
        flat = np.asarray(obs, dtype=np.float32).reshape(len(obs), -1)
        return (flat @ self._proj > 0).astype(np.int64) @ self._powers


class FunctionKey(StateKey):
    """A user key function ``key_fn(obs, infos)`` returning ``(n,)`` or ``(n, k)`` ints."""

    def __init__(self, key_fn: KeyFn) -> None:
        self._fn = key_fn

    def __call__(self, obs: np.ndarray, infos: Mapping[str, Any]) -> np.ndarray:
        keys = np.asarray(self._fn(obs, infos))
        if not np.issubdtype(keys.dtype, np.integer) or keys.ndim not in (1, 2):
            raise InvalidConfigError(
                f"key_fn must return (n,) or (n, k) integers, got {keys.dtype} {keys.shape}"
            )
        if len(keys) != len(obs):
            raise InvalidConfigError(f"key_fn returned {len(keys)} keys for {len(obs)} obs")
        return keys.astype(np.int64) if keys.ndim == 1 else hash_rows(keys)


def make_state_key(
    space: spaces.Space,
    key: str = "auto",
    key_fn: KeyFn | None = None,
    hash_bits: int = 32,
    seed: int = 0,
) -> StateKey:
    """The :class:`StateKey` for ``space``.

    Args:
        space: the single-env observation space.
        key: ``"auto"`` (by space), ``"discrete"``, ``"multidiscrete"`` or ``"simhash"``.
        key_fn: a user function; overrides ``key``.
        hash_bits: SimHash code length.
        seed: SimHash projection seed.
    """
    if key_fn is not None:
        return FunctionKey(key_fn)
    if key == "auto":
        if isinstance(space, spaces.Discrete):
            key = "discrete"
        elif isinstance(space, spaces.MultiDiscrete):
            key = "multidiscrete"
        elif isinstance(space, (spaces.Box, spaces.MultiBinary)):
            key = "simhash"
    if key == "discrete" and isinstance(space, spaces.Discrete):
        return DiscreteKey(space)
    if key == "multidiscrete" and isinstance(space, spaces.MultiDiscrete):
        return MultiDiscreteKey(space)
    if key == "simhash" and isinstance(
        space, (spaces.Box, spaces.MultiBinary, spaces.MultiDiscrete)
    ):
        return SimHashKey(space, hash_bits, seed)
    if not isinstance(key, str) or key not in ("auto", "discrete", "multidiscrete", "simhash"):
        raise InvalidConfigError(
            f"unknown key {key!r}: use 'auto', 'discrete', 'multidiscrete' or 'simhash'"
        )
    raise UnsupportedSpaceError(
        f"key={key!r} cannot key observations of {space}; pass key_fn=lambda obs, infos: ... "
        "returning one int (or one row of ints) per env, e.g. a cell id read from infos"
    )
