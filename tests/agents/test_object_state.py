"""object_state: a live object graph saved as weights-only data and restored into it."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from gymnasium import spaces

from aisam_agents.errors import CheckpointError
from aisam_agents.object_state import encode, restore
from aisam_wrappers.batch import Transitions
from aisam_wrappers.models import ModelConfig, RNDModel
from aisam_wrappers.prediction_error import PredictionError

OBS, ACT = spaces.Box(-1.0, 1.0, (3,)), spaces.Discrete(2)


def _bonus(hidden: int = 8) -> PredictionError:
    """An RND bonus: modules, an optimiser, a generator, normalisers, a pending buffer."""
    model = RNDModel(OBS, ACT, ModelConfig(hidden=hidden, device="cpu", seed=0))
    return PredictionError(OBS, ACT, 2, model, train_batch=6)


def _batch(rng: np.random.Generator) -> Transitions:
    obs = rng.normal(size=(2, 3)).astype(np.float32)
    return Transitions(obs, rng.integers(0, 2, 2), obs + 1, env_ids=np.arange(2))


def _round_trip(tree):
    buffer = io.BytesIO()
    torch.save(tree, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def test_round_trip_restores_in_place_and_rebuilds_what_is_missing() -> None:
    rng = np.random.default_rng(0)
    saved = _bonus()
    for _ in range(4):  # 8 transitions: one training step on 6, 2 left pending
        saved.update(_batch(rng))
    assert len(saved._buffer) == 1
    live = _bonus()
    stats = live.model._core._obs_stats
    mean = stats.mean
    assert restore(live, _round_trip(encode(saved))) is live
    assert live.model._core._obs_stats is stats and stats.mean is mean  # updated in place
    np.testing.assert_array_equal(mean, saved.model._core._obs_stats.mean)
    for p, q in zip(live.model._core.predictor.parameters(),
                    saved.model._core.predictor.parameters(), strict=True):  # fmt: skip
        torch.testing.assert_close(p, q)
    (pending,) = live._buffer  # rebuilt: the fresh bonus had nothing pending
    assert isinstance(pending, Transitions)
    np.testing.assert_array_equal(pending.next_obs, saved._buffer[0].next_obs)
    probe = _batch(np.random.default_rng(1))
    np.testing.assert_allclose(live.score(probe), saved.score(probe), rtol=1e-6)
    # both go on alike: the same subsampling generator, optimiser moments, pending rows
    for bonus in (live, saved):
        for _ in range(4):
            bonus.update(_batch(np.random.default_rng(2)))
    np.testing.assert_allclose(live.score(probe), saved.score(probe), rtol=1e-6)


def test_other_settings_and_foreign_objects_are_refused() -> None:
    tree = _round_trip(encode(_bonus(hidden=8)))
    with pytest.raises(CheckpointError, match="build it with the saved settings"):
        restore(_bonus(hidden=16), tree)
    with pytest.raises(CheckpointError, match="only aisam's own classes"):
        encode([io.BytesIO()])
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(CheckpointError, match="reference cycle"):
        encode(cycle)
    with pytest.raises(CheckpointError, match="not an aisam class"):
        restore(None, {"object": "os:system", "attrs": {}})
    with pytest.raises(CheckpointError, match="object array"):
        encode(np.array([object()]))
    assert encode({"space": OBS, "kind": int}) == {"dict": {"space": {"skip": True},
                                                            "kind": {"skip": True}}}  # fmt: skip
