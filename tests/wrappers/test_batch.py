"""The Transitions batch: restricting rows, joining buffered batches, what bonuses read."""

from __future__ import annotations

import numpy as np
import pytest
from bonus_helpers import ScriptedEnv
from gymnasium import spaces
from tolerance import F32

from aisam_wrappers import (
    InvalidConfigError,
    PredictionErrorBonus,
    RowsView,
    Satiation,
    SatiationConfig,
    Transitions,
)


def _batch(infos: RowsView) -> Transitions:
    return Transitions(
        obs=np.arange(4),
        actions=np.arange(4) + 10,
        next_obs=np.arange(4) + 20,
        rewards=np.linspace(0.0, 1.5, 4),
        dones=np.array([False, True, False, True]),
        infos=infos,
        env_ids=np.arange(4) + 100,
    )


@pytest.mark.parametrize(
    "infos",
    [
        {"cell": np.array([7, 8, 9, 6])},  # a gymnasium vector info dict
        [{"cell": 7}, {"cell": 8}, {"cell": 9}, {"cell": 6}],  # SB3's list of dicts
    ],
    ids=["vector", "sb3"],
)
def test_take_restricts_every_field_to_the_rows(infos) -> None:  # noqa: ANN001
    batch = _batch(RowsView(infos))
    rows = np.array([1, 3])
    part = batch.take(rows)
    assert len(batch) == 4 and len(part) == 2
    np.testing.assert_array_equal(part.obs, [1, 3])
    np.testing.assert_array_equal(part.actions, [11, 13])
    np.testing.assert_array_equal(part.next_obs, [21, 23])
    np.testing.assert_array_equal(part.rewards, [0.5, 1.5])
    np.testing.assert_array_equal(part.dones, [True, True])
    np.testing.assert_array_equal(part.env_ids, [101, 103])
    np.testing.assert_array_equal(part.infos["cell"], [8, 6])
    np.testing.assert_array_equal(part.take(np.array([1])).infos["cell"], [6])  # rows compose


def test_fields_left_out_stay_none_and_the_batch_is_frozen() -> None:
    batch = Transitions(np.zeros(3), np.zeros(3), np.ones(3))
    part = batch.take(np.array([0, 2]))
    assert part.rewards is None and part.dones is None and part.env_ids is None
    assert len(part.infos) == 0
    with pytest.raises(AttributeError):
        batch.obs = np.ones(3)  # type: ignore[misc]
    assert repr(part) == "Transitions(2 rows: obs, actions, next_obs)"


def test_take_gathers_each_field_once_when_it_is_read() -> None:
    batch = _batch(RowsView({}))
    part = batch.take(np.array([3, 1, 2]))
    assert part.next_obs is part.next_obs  # gathered on the first read, then kept
    np.testing.assert_array_equal(part.take(np.array([0, 2])).next_obs, [23, 22])
    assert batch.take(np.arange(4)).obs is not batch.obs  # a gather makes a new array


def test_concat_joins_in_order_into_new_arrays_without_infos() -> None:
    a = _batch(RowsView({"cell": np.arange(4)}))
    b = a.take(np.array([2]))
    joined = Transitions.concat([a, b])
    np.testing.assert_array_equal(joined.obs, [0, 1, 2, 3, 2])
    np.testing.assert_array_equal(joined.rewards, [0.0, 0.5, 1.0, 1.5, 1.0])
    np.testing.assert_array_equal(joined.env_ids, [100, 101, 102, 103, 102])
    assert len(joined.infos) == 0  # info belongs to its step
    a.obs[0] = 99  # the joined batch does not share memory with its parts
    assert joined.obs[0] == 0
    no_rewards = Transitions(np.zeros(1), np.zeros(1), np.zeros(1))
    assert Transitions.concat([a, no_rewards]).rewards is None


class Recording:
    """A PredictiveModel that records the batches it trains on."""

    def __init__(self) -> None:
        self.trained: list[Transitions] = []

    def prediction_error(self, batch: Transitions) -> np.ndarray:
        return np.zeros(len(batch), dtype=np.float32)

    def predictive_entropy(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        return np.zeros(len(obs), dtype=np.float32)

    def update(self, batch: Transitions) -> dict[str, float]:
        self.trained.append(batch)
        return {}


def test_buffered_batches_reach_the_model_whole() -> None:
    model = Recording()
    env = PredictionErrorBonus(
        ScriptedEnv(rewards=[0.0, 1.0, 2.0, 3.0, 4.0]), model=model, train_batch=4
    )
    env.reset(seed=0)
    for a in [3, 1, 4, 1, 5]:
        env.step(a)
    assert len(model.trained) == 1  # after the 4th step; the 5th waits in the buffer
    (batch,) = model.trained
    np.testing.assert_array_equal(batch.obs, [0, 3, 1, 4])
    np.testing.assert_array_equal(batch.actions, [3, 1, 4, 1])
    np.testing.assert_array_equal(batch.next_obs, [3, 1, 4, 1])
    np.testing.assert_array_equal(batch.rewards, [0.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(batch.dones, [False] * 4)
    np.testing.assert_array_equal(batch.env_ids, [0] * 4)


def test_episodic_satiation_needs_env_ids() -> None:
    sat = Satiation(spaces.Discrete(4), spaces.Discrete(4), 2, SatiationConfig(memory="episodic"))
    batch = Transitions(np.zeros(2), np.zeros(2), np.array([1, 2]))
    for method in (sat.score, sat.compute):
        with pytest.raises(InvalidConfigError, match="needs env_ids"):
            method(batch)
    with_ids = Transitions(batch.obs, batch.actions, batch.next_obs, env_ids=np.arange(2))
    np.testing.assert_allclose(sat.compute(with_ids), 1, **F32)
