"""examples/ponder_dreamer_study.py: the agents its names stand for, and one short run."""

from __future__ import annotations

import pytest

pytest.importorskip("stable_baselines3")
from example_loader import load_example  # noqa: E402


@pytest.fixture(scope="module")
def study():
    return load_example("ponder_dreamer_study")


@pytest.mark.parametrize(
    ("name", "actor", "ratio"),
    [
        ("ponder_dreamer", "PonderActor", 256.0),
        ("ponder_dreamer_mlp", "MlpActor", 256.0),
        ("ponder_dreamer_r16", "PonderActor", 16.0),
        ("ponder_dreamer_mlp_r16", "MlpActor", 16.0),
        ("ponder_dreamer_r1024", "PonderActor", 1024.0),
        ("ponder_dreamer_mlp_r1024", "MlpActor", 1024.0),
    ],
)
def test_agent_names_pick_the_actor_and_the_train_ratio(study, name, actor, ratio) -> None:
    agent = study.make_agent("lock", name, 0)
    assert type(agent.policy.actor).__name__ == actor and agent.train_ratio == ratio
    assert agent.intrinsic_coef == 1.0
    assert study.make_agent("parity", name, 0).intrinsic_coef == 0.0
    assert name in study.BUDGETS


def test_the_other_ratios_run_only_when_named(study) -> None:
    assert study.DEFAULT_AGENTS == ["ponder_dreamer", "ponder_dreamer_mlp", "ppo", "ppo_satiation"]


def test_a_run_records_its_curve_and_the_reward_state_it_saw(study) -> None:
    row, curve = study.run_efficiency("lock", "ponder_dreamer_r16", 0, eval_every=100, budget=200)
    assert set(row) == set(study.EFFICIENCY_FIELDS)
    assert [c["env_steps"] for c in curve] == [100, 200][: len(curve)] and curve
    assert row["states_discovered"] >= 2 and row["budget"] == 200
    assert (row["first_goal_visit"] > 0) == (row["goal_visits"] > 0)
    assert row["ponder_easy"] > 0 and row["ponder_hard"] > 0
