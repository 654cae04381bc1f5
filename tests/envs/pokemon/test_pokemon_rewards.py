"""Reward terms from game-state transitions (aisam_envs.pokemon.rewards)."""

from __future__ import annotations

import numpy as np
import pytest

from aisam_envs.errors import InvalidConfigError
from aisam_envs.pokemon.ram import GameState
from aisam_envs.pokemon.rewards import REWARD_TERMS, RewardConfig, RewardTracker

BASE = GameState(
    x=0,
    y=0,
    map_id=1,
    badges=0,
    party_size=2,
    levels=(5, 5),
    hp=(10, 10),
    max_hp=(10, 10),
    money=0,
    event_flags=0,
    pokedex_seen=0,
    pokedex_caught=0,
)


def walk(tracker: RewardTracker, *changes: dict) -> list[dict[str, float]]:
    return [tracker.step(BASE._replace(**change))[1] for change in changes]


def tracker(**weights: float) -> RewardTracker:
    t = RewardTracker(RewardConfig.create(weights))
    t.reset(BASE)
    return t


def test_progress_is_paid_once_at_its_maximum() -> None:
    terms = walk(
        tracker(),
        {"levels": (6, 5)},
        {"levels": (5,), "party_size": 1, "hp": (10,), "max_hp": (10,)},  # deposit a Pokemon
        {"levels": (6, 5)},  # withdraw it again: not paid twice
        {"levels": (6, 7), "badges": 2, "event_flags": 3},
        {"levels": (6, 7), "badges": 1, "event_flags": 2},  # losses cost nothing
    )
    assert [t["level"] for t in terms] == [1.0, 0.0, 0.0, 2.0, 0.0]
    assert [t["badge"] for t in terms] == [0.0, 0.0, 0.0, 20.0, 0.0]
    assert [t["event"] for t in terms] == [0.0, 0.0, 0.0, 3.0, 0.0]


def test_heal_death_and_revival() -> None:
    terms = walk(
        tracker(heal=2.0, death=-5.0),
        {"hp": (5, 10)},
        {"hp": (10, 10)},  # healed a quarter of the party's HP
        {"hp": (0, 0)},  # wiped out
        {"hp": (10, 10)},  # the Pokemon Center after the blackout: not a heal
        {"hp": (10, 10, 1), "max_hp": (10, 10, 20), "party_size": 3},  # new member, no heal
    )
    assert [t["heal"] for t in terms] == pytest.approx([0.0, 0.5, 0.0, 0.0, 0.0])
    assert [t["death"] for t in terms] == [0.0, 0.0, -5.0, 0.0, 0.0]


def test_rebase_keeps_the_episode_memory_but_not_the_hp_baseline() -> None:
    t = tracker()
    walk(t, {"x": 1}, {"hp": (0, 0)})
    t.rebase(BASE)  # a restored state with full HP: no heal paid for the jump
    terms = walk(t, {"x": 1}, {"x": 2})
    assert [s["explore"] for s in terms] == [0.0, 0.1]
    assert terms[0]["heal"] == 0.0 and t.tiles_seen == 3


def test_reward_config() -> None:
    assert list(RewardConfig().as_dict()) == list(REWARD_TERMS)
    config = RewardConfig(badge=3.0)
    assert RewardConfig.create(config) is config and RewardConfig.create(None) == RewardConfig()
    assert RewardConfig.create({"death": -2}).death == -2.0
    weights = RewardConfig.create({"explore": np.float32(0.5), "badge": np.int64(3)}).as_dict()
    assert (weights["explore"], weights["badge"]) == (0.5, 3.0)
    assert all(type(w) is float for w in weights.values())
    for bad in ({"money": 1.0}, {"heal": "lots"}, {"heal": "1.5"}, {"heal": True}, [("heal", 1.0)]):
        with pytest.raises(InvalidConfigError):
            RewardConfig.create(bad)


@pytest.mark.parametrize("weight", [float("nan"), float("inf"), -np.inf, np.float32("nan")])
def test_non_finite_weights_are_refused(weight: float) -> None:
    """A NaN or infinite weight made every reward NaN (or inf, or NaN as 0 * inf)."""
    with pytest.raises(InvalidConfigError, match="'explore' must be a finite number"):
        RewardConfig.create({"explore": weight})
    with pytest.raises(InvalidConfigError, match="finite"):
        RewardConfig(explore=weight)
