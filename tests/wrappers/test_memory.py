"""Keyed arrays: the vectorised hash table agrees with a dict, through rehashes and clears."""

from __future__ import annotations

import numpy as np

from aisam_wrappers.keys import SimHashKey, mix_keys
from aisam_wrappers.memory import KeyedArrays


def test_hash_table_counts_match_a_dict_through_rehashes() -> None:
    table = KeyedArrays(None, {"n": (np.float32, 0.0)})
    reference: dict[int, int] = {}
    rng = np.random.default_rng(0)
    pool = rng.integers(-(2**62), 2**62, 5000)
    for _ in range(40):
        keys = rng.choice(pool, 256)
        slots = table.insert(keys)
        np.add.at(table.columns["n"], slots, 1.0)
        for k in keys.tolist():
            reference[k] = reference.get(k, 0) + 1
    assert table.width > 1024  # grew
    keys = np.array(list(reference))
    np.testing.assert_array_equal(table.get("n", table.find(keys)), [reference[k] for k in keys])
    absent = table.find(np.array([pool.max() + 1, 12345]))
    np.testing.assert_array_equal(table.get("n", absent), [0.0, 0.0])


def test_clear_forgets_only_the_cleared_rows() -> None:
    for n_keys in (None, 100):  # hashed and dense-with-stamps
        table = KeyedArrays(n_keys, {"n": (np.float32, 0.0)}, rows=3, clearable=True)
        keys, rows = np.array([5, 5, 5]), np.arange(3)
        np.add.at(table.columns["n"], table.insert(keys, rows), 2.0)
        table.clear(np.array([1]))
        np.testing.assert_array_equal(table.get("n", table.find(keys, rows)), [2.0, 0.0, 2.0])
        np.add.at(table.columns["n"], table.insert(keys, rows), 1.0)
        np.testing.assert_array_equal(table.get("n", table.find(keys, rows)), [3.0, 1.0, 3.0])


def test_key_mixing_and_simhash_are_deterministic() -> None:
    a, b = np.arange(1000), np.arange(1000)[::-1]
    assert len(np.unique(mix_keys(a, b))) == 1000
    np.testing.assert_array_equal(mix_keys(a, b), mix_keys(a, b))
    from gymnasium import spaces

    space = spaces.Box(-1, 1, (10,))
    x = np.random.default_rng(0).uniform(-1, 1, (50, 10))
    np.testing.assert_array_equal(
        SimHashKey(space, 20, seed=1)(x, {}), SimHashKey(space, 20, seed=1)(x, {})
    )
    assert not np.array_equal(
        SimHashKey(space, 20, seed=1)(x, {}), SimHashKey(space, 20, seed=2)(x, {})
    )


def test_a_batch_larger_than_the_table_is_inserted_whole() -> None:
    # 3000 new keys into a 1024-slot row: every key gets its own entry (none lost as -1)
    table = KeyedArrays(None, {"n": (np.float32, 0.0)})
    keys = np.arange(3000, dtype=np.int64) * 7919 + 13
    slots = table.insert(keys)
    assert (slots >= 0).all() and len(np.unique(slots)) == 3000
    np.testing.assert_array_equal(table.find(keys), slots)
    # the same in one row of a per-row (episodic) table
    rows = KeyedArrays(None, {"n": (np.float32, 0.0)}, rows=3, clearable=True)
    keys, row = np.arange(200), np.ones(200, dtype=np.int64)
    slots = rows.insert(keys, row)
    assert (slots >= 0).all() and len(np.unique(slots)) == 200
    np.testing.assert_array_equal(rows.find(keys, row), slots)
    assert rows.live.tolist() == [0, 200, 0]
