"""Per-key arrays: counts and timestamps addressed by int64 keys, batched.

Keys from a small dense range index flat arrays directly; arbitrary int64 keys
(SimHash codes, user keys, large tables) go through an open-addressing hash table
with linear probing (a compiled loop over the batch, kept at most half full), so a
batch costs O(batch) whatever the number of keys stored. With ``rows > 1`` every row
(one per env) has its own keys, and :meth:`KeyedArrays.clear` forgets whole rows in
O(1) by bumping a generation stamp: that is how episodic memories reset.
"""

from __future__ import annotations

import numpy as np

from aisam_wrappers._kernels import first_outside, probe
from aisam_wrappers.errors import OutOfSpaceError
from aisam_wrappers.keys import mix_keys

#: key spaces up to this many entries (rows x keys) are stored densely
DENSE_LIMIT = 1 << 22
#: the most entries a bonus allocates for one dense table (a count model's per-pair sums,
#: a learned model's first layer); larger spaces raise ``UnsupportedSpaceError`` up front
TABLE_LIMIT = 1 << 28
_EMPTY = np.int64(-1)


class KeyedArrays:
    """Named columns of values, one entry per (row, key), created on first insert.

    Args:
        n_keys: keys are ``0 .. n_keys-1`` when given; stored densely when
            ``rows * n_keys <= dense_limit``. ``None``: any int64 is a key (hashed).
        columns: ``name -> (dtype, fill value)`` of each column.
        rows: independent key sets (1: one shared memory; ``num_envs``: one per env).
        clearable: rows can be cleared (:meth:`clear`); costs a stamp per entry.
        dense_limit: the largest dense size.
    """

    def __init__(
        self,
        n_keys: int | None,
        columns: dict[str, tuple[type, float]],
        rows: int = 1,
        clearable: bool = False,
        dense_limit: int = DENSE_LIMIT,
    ) -> None:
        self.dense = n_keys is not None and n_keys * rows <= dense_limit
        self.n_keys = n_keys
        self.rows = int(rows)
        self._fill = dict(columns)
        self._stamped = clearable or not self.dense
        self.generation = np.zeros(rows, dtype=np.int64)
        if self._stamped:
            self._fill["_stamp"] = (np.int64, _EMPTY)
        if not self.dense:
            self._fill["_key"] = (np.int64, 0)
            self.live = np.zeros(rows, dtype=np.int64)  # occupied entries per row
        self.width = int(n_keys) if self.dense else (1024 if rows == 1 else 64)
        self.columns = self._allocate(self.width)

    def _allocate(self, width: int) -> dict[str, np.ndarray]:
        size = self.rows * width
        return {name: np.full(size, fill, dtype=dt) for name, (dt, fill) in self._fill.items()}

    def _in_range(self, keys: np.ndarray) -> np.ndarray:
        """``keys`` as int64, checked to lie in ``0 .. n_keys-1`` when ``n_keys`` is known
        (hashing would silently store a key outside it)."""
        keys = np.ascontiguousarray(keys, dtype=np.int64)
        bad = -1 if self.n_keys is None else first_outside(keys, self.n_keys)
        if bad >= 0:
            raise OutOfSpaceError(f"key {int(keys[bad])} is outside 0..{self.n_keys - 1}")
        return keys

    def _dense_slots(
        self, keys: np.ndarray, rows: np.ndarray | None, check: bool = True
    ) -> np.ndarray:
        """Slots of dense ``keys``, checked to lie in ``0 .. width-1`` (numpy would wrap a
        negative key to another entry). Only a plain row-0 insert may skip the check."""
        if check or rows is not None or self._stamped:
            bad = first_outside(keys, self.width)
            if bad >= 0:
                raise OutOfSpaceError(f"key {int(keys[bad])} is outside 0..{self.width - 1}")
        return keys if rows is None else keys + rows * self.width

    def find(self, keys: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Entry indices of ``keys`` (in ``rows``, default row 0), ``-1`` where absent."""
        if not self.dense:
            return self._probe(self._in_range(keys), rows, insert=False)
        slots = self._dense_slots(keys, rows)
        if not self._stamped:
            return slots
        live = self.columns["_stamp"][slots] == self._gen(rows)
        return np.where(live, slots, -1)

    def insert(
        self, keys: np.ndarray, rows: np.ndarray | None = None, check: bool = True
    ) -> np.ndarray:
        """Entry indices of ``keys``, creating entries (at fill values) for new ones.

        ``check=False`` leaves the range of dense row-0 keys to the caller, who must have
        checked them or check them before touching the entries (as satiation's fused
        ``take_add`` does).
        """
        if not self.dense:
            return self._probe(self._in_range(keys), rows, insert=True)
        slots = self._dense_slots(keys, rows, check)
        if not self._stamped:
            return slots
        gen = self._gen(rows)
        stale = self.columns["_stamp"][slots] != gen
        if stale.any():
            renew = slots[stale]
            self._reset(renew)
            self.columns["_stamp"][renew] = gen if np.ndim(gen) == 0 else gen[stale]
        return slots

    def get(self, name: str, slots: np.ndarray) -> np.ndarray:
        """Values of column ``name`` at entries ``slots``; the fill value where ``-1``."""
        if self.dense and not self._stamped:
            return self.columns[name][slots]
        values = self.columns[name][slots]
        return np.where(slots >= 0, values, self._fill[name][1])

    def clear(self, rows: np.ndarray) -> None:
        """Forgets every entry of ``rows`` (O(len(rows)): entries go stale)."""
        self.generation[rows] += 1
        if not self.dense:
            self.live[rows] = 0

    def _gen(self, rows: np.ndarray | None) -> np.ndarray | np.int64:
        return self.generation[0] if rows is None else self.generation[rows]

    def _reset(self, slots: np.ndarray) -> None:
        for name, (_, fill) in self._fill.items():
            if not name.startswith("_"):
                self.columns[name][slots] = fill

    def _probe(self, keys: np.ndarray, rows: np.ndarray | None, insert: bool) -> np.ndarray:
        """Slots of ``keys`` by :func:`~aisam_wrappers._kernels.probe`, growing when needed."""
        n = len(keys)
        keys = np.ascontiguousarray(keys, dtype=np.int64)
        rows = np.zeros(n, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
        hashes = mix_keys(keys, rows)
        out, new = np.empty(n, dtype=np.int64), np.zeros(n, dtype=bool)
        while True:
            stamp, stored = self.columns["_stamp"], self.columns["_key"]
            args = (stamp, stored, self.generation, self.live, self.width, insert, out, new)
            full = probe(keys, rows, hashes, *args)
            if full < 0:
                break
            self._reset(out[:full][new[:full]])  # entries made before the row filled up
            new[:full] = False
            self._grow()  # then probe again: those entries are found, the rest placed
        self._reset(out[new])
        return out

    def _grow(self) -> None:
        """Doubles every row's capacity, re-inserting the live entries."""
        old, old_width = self.columns, self.width
        slot = np.flatnonzero(old["_stamp"] == np.repeat(self.generation, old_width))
        self.width *= 2
        self.columns = self._allocate(self.width)
        self.live[:] = 0
        new = self._probe(old["_key"][slot], slot // old_width, insert=True)
        for name in self._fill:
            if not name.startswith("_"):
                self.columns[name][new] = old[name][slot]
