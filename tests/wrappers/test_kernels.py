"""The fused numba loops against plain numpy references."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gymnasium import spaces
from tolerance import F32

from aisam_wrappers import OutOfSpaceError, Satiation, SatiationConfig, Transitions
from aisam_wrappers._kernels import count_transitions, discount, first_outside, mix, take_add
from aisam_wrappers.memory import DENSE_LIMIT
from aisam_wrappers.normalize import ReturnNormalizer


def test_take_add_returns_counts_before_and_adds_duplicates() -> None:
    column = np.array([0.0, 5.0, 2.0], dtype=np.float32)
    out = np.empty(4, dtype=np.float32)
    assert take_add(column, np.array([1, 2, 1, 1]), out) == -1
    np.testing.assert_array_equal(out, [5.0, 2.0, 5.0, 5.0])
    np.testing.assert_array_equal(column, [0.0, 8.0, 3.0])


@pytest.mark.parametrize("bad", [3, -1])
def test_take_add_reports_a_slot_outside_the_column_and_writes_nothing(bad: int) -> None:
    column = np.zeros(3, dtype=np.float32)
    assert take_add(column, np.array([0, bad, 1]), np.empty(3, dtype=np.float32)) == 1
    np.testing.assert_array_equal(column, 0.0)


@pytest.mark.parametrize("size", [0, 1, 255, 256, 257, 1000])
def test_first_outside_finds_the_first_value_outside_in_any_block(size: int) -> None:
    values = np.random.default_rng(size).integers(0, 5, size)
    assert first_outside(values, 5) == -1
    for first in sorted({0, size // 3, size - 1} if size else set()):
        bad = values.copy()
        bad[first] = -1 if first % 2 else 5
        bad[first + 1 :: 7] = 9  # later values outside do not count
        assert first_outside(bad, 5) == first


@pytest.mark.parametrize("masked", [False, True])
def test_discount_updates_only_valid_rows_and_returns_their_moments(masked: bool) -> None:
    rng = np.random.default_rng(0)
    returns, rewards = rng.normal(size=50), rng.normal(size=50).astype(np.float32)
    valid = rng.random(50) < 0.7 if masked else None
    keep = np.ones(50, bool) if valid is None else valid
    expected = np.where(keep, 0.9 * returns + rewards, returns)
    n, total, squares = discount(returns, rewards, valid, 0.9)
    np.testing.assert_allclose(returns, expected, rtol=1e-12)
    assert n == keep.sum()
    assert math.isclose(total, expected[keep].sum(), rel_tol=1e-9)
    assert math.isclose(squares, (expected[keep] ** 2).sum(), rel_tol=1e-9)


def test_mix_scales_clips_and_sums() -> None:
    r_ext, r_int = np.array([1.0, 0.0, -2.0]), np.array([0.5, 4.0, -4.0], dtype=np.float32)
    out_int, total = np.empty(3), np.empty(3)
    checksum = mix(r_ext, r_int, 2.0, 5.0, 0.5, 3.0, out_int, total)
    np.testing.assert_allclose(out_int, [1.0, 5.0, -5.0], **F32)
    np.testing.assert_allclose(total, [3.5, 15.0, -16.0], **F32)
    assert checksum == pytest.approx(2.5)
    assert math.isnan(mix(np.array([np.nan]), r_int[:1], 1.0, 5.0, 1.0, 1.0, out_int, total))


def test_normalize_and_mix_merges_batches_into_the_running_moments() -> None:
    rng = np.random.default_rng(1)
    norm = ReturnNormalizer(8, gamma=0.9, clip=1e9)
    seen = []
    for _ in range(30):
        r = rng.uniform(0, 1, 8)
        norm.normalize_and_mix(np.zeros(8), r, None, None, (1.0, 1.0), np.empty(8), np.empty(8))
        seen.append(norm.returns.copy())
    seen = np.concatenate(seen)
    np.testing.assert_allclose(
        [norm.stats.mean, norm.stats.var], [seen.mean(), seen.var()], rtol=1e-3
    )


@pytest.mark.parametrize(
    ("n", "per_action"),
    [
        (10, False),  # dense memory
        (DENSE_LIMIT * 4, False),  # hashed memory
        (2**61, True),  # 2**62 (state, action) pairs: hashed pair keys
    ],
)
@pytest.mark.parametrize("recovery_rate", [0.0, 0.1])  # recovery reads the entries first
def test_satiation_rejects_observations_outside_its_space(
    n: int, per_action: bool, recovery_rate: float
) -> None:
    space = spaces.Discrete(n)
    for memory in ("lifelong", "episodic"):
        cfg = SatiationConfig(memory=memory, per_action=per_action, recovery_rate=recovery_rate)
        sat = Satiation(space, spaces.Discrete(2), 2, cfg)
        before = {name: column.copy() for name, column in sat.memory.columns.items()}
        for bad in (n + 2, -1):
            for method in (sat.compute, sat.score):  # a lookup must not wrap -1 to the end
                with pytest.raises(OutOfSpaceError, match=f"{bad}.*not in the observation"):
                    method(
                        Transitions(
                            np.zeros(2), np.zeros(2), np.array([3, bad]), env_ids=np.arange(2)
                        )
                    )
        for name, column in sat.memory.columns.items():  # nothing counted or stamped
            np.testing.assert_array_equal(column, before[name], err_msg=name)


@pytest.mark.parametrize("bad", [1.5, -0.5, np.nan, np.inf])
def test_satiation_refuses_fractional_observations_of_a_discrete_space(bad: float) -> None:
    sat = Satiation(spaces.Discrete(5), spaces.Discrete(2), 2, SatiationConfig())
    with pytest.raises(OutOfSpaceError, match="is not a value of the space Discrete"):
        sat.compute(
            Transitions(np.zeros(2), np.zeros(2), np.array([3.0, bad]), env_ids=np.arange(2))
        )
    np.testing.assert_array_equal(sat.memory.columns["count"], 0.0)
    # whole floats (a float-casting wrapper's) are the states they name
    sat.compute(Transitions(np.zeros(2), np.zeros(2), np.array([3.0, 1.0]), env_ids=np.arange(2)))
    np.testing.assert_array_equal(sat.memory.columns["count"], [0, 1, 0, 1, 0])


def test_count_transitions_matches_the_batched_numpy_update() -> None:
    rng, alpha = np.random.default_rng(0), 0.25
    counts, totals, seen, xlogx = np.zeros(12), np.zeros(4), np.zeros(4), np.zeros(4)
    ref = [a.copy() for a in (counts, totals, seen, xlogx)]
    for _ in range(5):  # repeats within and across batches
        slots = rng.integers(0, 12, 40)
        pairs = slots // 3
        count_transitions(slots, pairs, counts, totals, seen, xlogx, alpha)
        uniq, mult = np.unique(slots, return_counts=True)
        before = ref[0][uniq]
        ref[0][uniq] = after = before + mult
        gain = (after + alpha) * np.log(after + alpha)
        gain -= np.where(before > 0, (before + alpha) * np.log(before + alpha), 0.0)
        np.add.at(ref[1], uniq // 3, mult)
        np.add.at(ref[2], uniq // 3, (before == 0).astype(float))
        np.add.at(ref[3], uniq // 3, gain)
    for got, want in zip((counts, totals, seen, xlogx), ref, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_kernels_import_and_run_where_numba_cannot_write_a_cache(tmp_path: Path) -> None:
    """A read-only install with no writable home: numba has no cache folder (even for root,
    a file where ``__pycache__`` would go stops it). Importing must still work."""
    package = Path(__file__).parents[2] / "aisam_wrappers"
    shutil.copytree(
        package, tmp_path / "aisam_wrappers", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / "aisam_wrappers" / "__pycache__").touch()
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(HOME="/dev/null/home", XDG_CACHE_HOME="/dev/null/cache", PYTHONDONTWRITEBYTECODE="1")
    code = (
        "import warnings, numpy as np\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    from aisam_wrappers import _kernels\n"
        f"assert _kernels.__file__.startswith({str(tmp_path)!r}), _kernels.__file__\n"
        "assert sum('NUMBA_CACHE_DIR' in str(w.message) for w in caught) == 1\n"
        "column = np.zeros(3)\n"
        "assert _kernels.take_add(column, np.array([1, 1]), np.empty(2)) == -1\n"
        "assert column.tolist() == [0.0, 2.0, 0.0]\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
