"""Counter-based random numbers shared by the single and the vector table envs.

Each episode stream is a 64-bit key plus a draw counter; draw ``c`` of stream ``k`` is
``splitmix64(k + c * GOLDEN)``. Because a draw depends only on (key, counter), N envs
are stepped with array operations and still produce, bit for bit, what N single envs
with keys derived from seeds ``s, s+1, ...`` produce one at a time — on numpy, on
torch (CPU or GPU) and in plain Python alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_U24 = float(2**-24)


def _signed(x: int) -> int:
    """The int64 with the same bits as the uint64 ``x`` (torch has no uint64 math)."""
    return x - (1 << 64) if x >= 1 << 63 else x


def mix_int(x: int) -> int:
    """splitmix64's finaliser on a Python int (treated as uint64)."""
    x &= MASK64
    x = ((x ^ (x >> 30)) * _M1) & MASK64
    x = ((x ^ (x >> 27)) * _M2) & MASK64
    return x ^ (x >> 31)


def mix_numpy(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser on a uint64 array (wrapping arithmetic)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(_M1)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(_M2)
    return x ^ (x >> np.uint64(31))


def _srl(x: Any, k: int) -> Any:
    """Logical right shift of an int64 torch tensor (``>>`` is arithmetic there)."""
    return (x >> k) & ((1 << (64 - k)) - 1)


def mix_torch(x: Any) -> Any:
    """splitmix64's finaliser on an int64 torch tensor holding uint64 bits."""
    x = x ^ _srl(x, 30)
    x = x * _signed(_M1)
    x = x ^ _srl(x, 27)
    x = x * _signed(_M2)
    return x ^ _srl(x, 31)


def key_from_seed(seed: int) -> int:
    """The stream key of an episode seeded with ``seed`` (a uint64 as a Python int)."""
    return mix_int(seed + GOLDEN)


def keys_from_seed_numpy(seed: int, n: int) -> np.ndarray:
    """Keys of streams seeded ``seed, seed + 1, ..., seed + n - 1``, shape ``(n,)`` uint64."""
    seeds = np.arange(n, dtype=np.uint64) + np.uint64(seed & MASK64)
    return mix_numpy(seeds + np.uint64(GOLDEN))


def uniform_int(key: int, counter: int) -> float:
    """Draw ``counter`` of stream ``key`` as a float in [0, 1) with 24-bit resolution."""
    return (mix_int(key + counter * GOLDEN) >> 40) * _U24


def uniform_numpy(keys: np.ndarray, counters: np.ndarray) -> np.ndarray:
    """Vectorised :func:`uniform_int`: uint64 ``keys`` and ``counters`` -> float32."""
    bits = mix_numpy(keys + counters * np.uint64(GOLDEN)) >> np.uint64(40)
    return bits.astype(np.float32) * np.float32(_U24)


def uniform_torch(keys: Any, counters: Any) -> Any:
    """Vectorised :func:`uniform_int` on int64 torch tensors -> float32 tensor."""
    bits = _srl(mix_torch(keys + counters * _signed(GOLDEN)), 40)
    return bits.float() * _U24
