"""The compiled kernels, as numba builds them on this CPU, against plain-numpy references.

The kernels are compiled with fast math for the host CPU (fused multiply-add, reassociated
sums, approximate reciprocal square roots refined by a Newton step), so their last bits
differ between CPU models. The contract (docs/wrappers.md, "Numerics") is agreement with
the exact value within float32 rounding; these tests hold every kernel to it over wide
input ranges, so a CPU or compiler whose fast paths round further off fails here, in CI,
instead of in a user's test run.
"""

from __future__ import annotations

import numpy as np
import pytest
from tolerance import F32

from aisam_wrappers._kernels import (
    EXPONENTIAL,
    HYPERBOLIC,
    discount,
    mix,
    normalize_and_mix,
    satiation_curve,
)
from aisam_wrappers.satiation import SatiationConfig

EPS32 = float(np.finfo(np.float32).eps)


def _counts() -> np.ndarray:
    """Exposure counts as the memory holds them: every small count, then a wide spread."""
    spread = np.random.default_rng(0).integers(0, 2**24, 20_000)
    return np.concatenate([np.arange(5_000), spread]).astype(np.float32)


def _reference(counts: np.ndarray, curve: int, a: float, b: float, c: float) -> np.ndarray:
    """The curve in float64 from the same float32 inputs the kernel reads."""
    n = counts.astype(np.float64)
    fa, fb, fc = (float(np.float32(v)) for v in (a, b, c))
    if curve == EXPONENTIAL:
        return np.exp2(n * fa)
    if curve == HYPERBOLIC:
        return (1.0 + n) ** -fa
    return (fa + np.exp(-fb)) / (fa + np.exp(np.minimum(n * fc - fb, 88.0)))


def _exponent(counts: np.ndarray, curve: int, a: float, b: float, c: float) -> np.ndarray:
    """The magnitude of the float32 exponent the kernel rounds before exp/pow (its error,
    ``|x| * eps``, becomes a relative error of the result)."""
    n = counts.astype(np.float64)
    if curve == EXPONENTIAL:
        return np.abs(n * a) * np.log(2.0)
    if curve == HYPERBOLIC:
        return np.abs(a * np.log1p(n))
    return np.abs(np.minimum(n * c - b, 88.0))


@pytest.mark.parametrize(
    "settings",
    [
        {"curve": "exponential", "half_life": 5.0},
        {"curve": "exponential", "half_life": 1_000.0},
        {"curve": "hyperbolic", "power": 0.5},  # the reciprocal square root path
        {"curve": "hyperbolic", "power": 0.3},
        {"curve": "hyperbolic", "power": 2.0},
        {"curve": "sigmoid", "midpoint": 4.0, "width": 2.0},
        {"curve": "sigmoid", "midpoint": -30.0, "width": 0.5},
    ],
)
def test_satiation_curve_is_exact_within_float32_rounding(settings: dict) -> None:
    args = SatiationConfig(**settings).curve_args()
    counts = _counts()
    got = counts.copy()
    satiation_curve(got, *args)
    want = _reference(counts, *args)
    # a few ulp of the result, plus the rounding of the exponent carried through exp/pow
    bound = want * EPS32 * (4.0 + _exponent(counts, *args)) + np.finfo(np.float32).tiny
    worst = np.argmax(np.abs(got - want) - bound)
    assert abs(got[worst] - want[worst]) <= bound[worst], (
        f"count {counts[worst]}: kernel {got[worst]!r}, exact {want[worst]!r}"
    )


def test_discount_matches_numpy() -> None:
    rng = np.random.default_rng(1)
    returns, rewards = rng.normal(size=4096), rng.uniform(0, 1, 4096).astype(np.float32)
    valid = rng.random(4096) < 0.7
    expected = np.where(valid, returns * 0.99 + rewards, returns)
    n, total, squares = discount(returns, rewards, valid, 0.99)
    np.testing.assert_allclose(returns, expected, **F32)
    assert n == valid.sum()
    assert total == pytest.approx(expected[valid].sum(), rel=1e-6)
    assert squares == pytest.approx((expected[valid] ** 2).sum(), rel=1e-6)


def test_mix_and_normalize_and_mix_match_numpy() -> None:
    rng = np.random.default_rng(2)
    r_ext = rng.normal(size=4096)
    r_int = rng.exponential(size=4096).astype(np.float32)
    out_int, total = np.empty(4096), np.empty(4096)
    checksum = mix(r_ext, r_int, 0.7, 2.0, 2.0, 0.5, out_int, total)
    want_int = np.clip(r_int.astype(np.float64) * 0.7, -2.0, 2.0)
    np.testing.assert_allclose(out_int, want_int, **F32)
    np.testing.assert_allclose(total, 2.0 * r_ext + 0.5 * want_int, **F32)
    assert checksum == pytest.approx(total.sum(), rel=1e-6, abs=1e-6)

    returns = np.zeros(4096)
    checksum, (mean, var, count) = normalize_and_mix(
        r_ext, r_int, None, returns, 0.9, (0.0, 1.0, 1e-4), 1e-8, 5.0, np.inf, 1.0, 1.0,
        out_int, total,
    )  # fmt: skip
    assert count == pytest.approx(4096 + 1e-4)
    assert mean == pytest.approx(r_int.astype(np.float64).mean(), rel=1e-6)
    scale = 1.0 / (np.sqrt(var) + 1e-8)
    np.testing.assert_allclose(out_int, np.clip(r_int * scale, -5.0, 5.0), **F32)
    np.testing.assert_allclose(total, r_ext + out_int, **F32)
