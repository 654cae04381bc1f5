"""The mixer: coefficients, info keys, NaN/inf guard, return normalisation."""

from __future__ import annotations

import numpy as np
import pytest
from bonus_helpers import intrinsic_trace
from gymnasium import spaces
from tolerance import F32

from aisam_wrappers import (
    BonusMixer,
    IntrinsicReward,
    InvalidConfigError,
    PredictionError,
    PredictionErrorBonus,
    RewardShapeError,
    SatiationBonus,
    Transitions,
)
from aisam_wrappers.normalize import ReturnNormalizer, RunningMeanStd


class FixedReward(IntrinsicReward):
    """Pays the values it is given, in order, one batch at a time."""

    def __init__(self, values: list[list[float]], max_abs: float | None = None) -> None:
        super().__init__(spaces.Discrete(4), spaces.Discrete(4), len(values[0]))
        self.values = [np.asarray(v, dtype=np.float64) for v in values]
        self.max_abs = max_abs
        self.ended: list[int] = []

    def score(self, batch: Transitions) -> np.ndarray:
        return self.values.pop(0)[batch.env_ids]

    def end_episodes(self, env_ids: np.ndarray) -> None:
        self.ended.extend(env_ids.tolist())


class NanModel:
    """A PredictiveModel whose surprise is NaN, then +inf, then finite."""

    def __init__(self) -> None:
        self.calls = 0

    def prediction_error(self, batch: Transitions) -> np.ndarray:
        self.calls += 1
        value = [np.nan, np.inf, -np.inf][self.calls - 1] if self.calls <= 3 else 1.0
        return np.full(len(batch), value, dtype=np.float32)

    def predictive_entropy(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        return np.full(len(obs), np.nan, dtype=np.float32)

    def update(self, batch: Transitions) -> dict[str, float]:
        return {}


def _step(mixer: BonusMixer, rewards: list[float], dones: list[bool] | None = None, valid=None):  # noqa: ANN001, ANN202
    n = len(rewards)
    z = np.zeros(n, dtype=np.int64)
    d = np.zeros(n, dtype=bool) if dones is None else np.array(dones)
    return mixer.step(Transitions(z, z, z, np.array(rewards), d, env_ids=np.arange(n)), valid)


def test_total_is_the_weighted_sum_and_parts_are_reported() -> None:
    mixer = BonusMixer(
        FixedReward([[1.0, 2.0]]), extrinsic_coef=2.0, intrinsic_coef=0.5, normalize=False
    )
    total, ext, intr = _step(mixer, [3.0, -1.0])
    np.testing.assert_allclose(ext, [3.0, -1.0], **F32)
    np.testing.assert_allclose(intr, [1.0, 2.0], **F32)
    np.testing.assert_allclose(total, [6.5, -1.0], **F32)


def test_invalid_rows_get_no_bonus_and_only_valid_ends_are_forwarded() -> None:
    reward = FixedReward([[5.0, 7.0, 9.0]])
    mixer = BonusMixer(reward, normalize=False)
    _, _, intr = _step(
        mixer, [0, 0, 0], dones=[True, True, False], valid=np.array([False, True, True])
    )
    np.testing.assert_allclose(intr, [0.0, 7.0, 9.0], **F32)
    assert reward.ended == [1]


@pytest.mark.parametrize("normalize", [False, True])
def test_nan_and_inf_never_reach_the_reward(scripted, normalize: bool) -> None:
    env = PredictionErrorBonus(
        scripted(rewards=[0.0, np.nan, np.inf, 1.0, 1.0]), model=NanModel(), normalize=normalize
    )
    env.reset(seed=0)
    totals, intr = [], []
    for a in [1, 2, 3, 1, 2]:
        _, r, _, _, info = env.step(a)
        totals.append(r)
        intr.append(info["intrinsic_reward"])
        assert np.isfinite(info["extrinsic_reward"])
    assert np.all(np.isfinite(totals)) and np.all(np.isfinite(intr))
    assert intr[:3] == [0.0, 0.0, 0.0] and intr[3] > 0  # guarded rows pay nothing
    assert totals[1] == 0.0 and totals[2] == 0.0  # NaN/inf extrinsic rewards zeroed too
    if normalize:
        stats = env.mixer.normalizer.stats
        assert np.isfinite(stats.mean) and np.isfinite(stats.var)  # statistics not poisoned


def test_raw_intrinsic_reward_is_kept_with_normalize_false(scripted) -> None:
    trace = intrinsic_trace(SatiationBonus(scripted(), normalize=False), [1, 1])
    np.testing.assert_allclose(trace, [1.0, 2**-0.5], **F32)


def test_normalised_reward_divides_by_the_std_of_the_discounted_return() -> None:
    rng = np.random.default_rng(0)
    values = rng.uniform(0, 1, (200, 3))
    mixer = BonusMixer(FixedReward(values.tolist()), normalize=True, gamma=0.9)
    returns = np.zeros(3)
    seen = []
    for row in values:
        _, _, intr = _step(mixer, [0.0, 0.0, 0.0])
        returns = 0.9 * returns + row
        seen.append(returns.copy())
    expected_std = np.std(np.concatenate(seen))
    np.testing.assert_allclose(intr, values[-1] / expected_std, rtol=1e-3)


def test_normaliser_clips_early_outliers_unless_the_bound_makes_it_needless() -> None:
    def first_reward(max_abs: float | None) -> float:
        norm, out, total = ReturnNormalizer(1, gamma=0.99, clip=10.0), np.empty(1), np.empty(1)
        norm.normalize_and_mix(np.zeros(1), np.array([1.0]), None, max_abs, (1.0, 1.0), out, total)
        assert total[0] == out[0]
        return float(out[0])

    # the std of a single return is ~0: a huge scale, clipped, whatever the bound says
    assert first_reward(None) == 10.0 and first_reward(1.0) == 10.0
    # a bound so small the scaled reward could not reach the clip skips it (a lying one here)
    assert first_reward(1e-6) > 10.0
    stats = RunningMeanStd((2,))
    batch = np.random.default_rng(1).normal(3.0, 2.0, (5000, 2))
    stats.update(batch[:2000])
    stats.update(batch[2000:])
    np.testing.assert_allclose(stats.mean, batch.mean(0), rtol=1e-3)
    np.testing.assert_allclose(stats.std, batch.std(0), rtol=1e-3)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"extrinsic_coef": np.nan},
        {"extrinsic_coef": None},
        {"intrinsic_coef": np.inf},
        {"intrinsic_coef": "1"},
        {"intrinsic_coef": True},
        {"gamma": 1.0},
        {"gamma": "0.9"},
        {"gamma": np.nan},
        {"normalize": "False"},  # a non-empty string would count as true
        {"normalize": 0},
    ],
)
def test_bad_mixer_settings_are_rejected(kwargs: dict) -> None:
    with pytest.raises(InvalidConfigError, match=next(iter(kwargs))):
        BonusMixer(FixedReward([[0.0]]), **kwargs)


def test_numpy_scalars_are_accepted_as_mixer_settings() -> None:
    mixer = BonusMixer(
        FixedReward([[0.5]]), np.int64(2), np.float32(0.5), normalize=False, gamma=np.float32(0.9)
    )
    total, _, _ = _step(mixer, [1.0])
    assert total[0] == pytest.approx(2.25) and type(mixer.intrinsic_coef) is float


class ShortModel(NanModel):
    """A PredictiveModel that scores one transition too few."""

    def prediction_error(self, batch: Transitions) -> np.ndarray:
        return np.ones(len(batch) - 1, dtype=np.float32)


@pytest.mark.parametrize("normalize", [False, True])
def test_rewards_of_the_wrong_shape_are_refused_before_the_mixing_loops(normalize: bool) -> None:
    mixer = BonusMixer(FixedReward([[0.0, 0.0, 0.0]] * 3), normalize=normalize)
    with pytest.raises(RewardShapeError, match=r"one per env \(3,\), got \(2,\)"):
        _step(mixer, [1.0, 1.0])
    z = np.zeros(3, dtype=np.int64)
    with pytest.raises(RewardShapeError, match=r"got \(3, 1\)"):
        mixer.step(Transitions(z, z, z, np.ones((3, 1)), np.zeros(3, dtype=bool)))
    short = BonusMixer(
        PredictionError(spaces.Discrete(4), spaces.Discrete(4), 3, model=ShortModel()),
        normalize=normalize,
    )
    with pytest.raises(RewardShapeError, match="PredictionError.compute returned shape"):
        _step(short, [1.0, 1.0, 1.0])
    with pytest.raises(RewardShapeError, match="for 2 transitions"):
        _step(short, [1.0, 1.0, 1.0], valid=np.array([True, False, True]))
