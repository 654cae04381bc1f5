"""The table generators' defining properties and the exact ground-truth helpers."""

from __future__ import annotations

import numpy as np
import pytest

from aisam_envs.errors import InvalidConfigError
from aisam_envs.table.tables import TransitionTable, make_table


def _table(ns: list, p: list, rewards: list, terminals: list, start: int = 0) -> TransitionTable:
    return TransitionTable(
        np.array(ns, dtype=np.int32),
        np.array(p, dtype=np.float32),
        np.array(rewards, dtype=np.float32),
        np.array(terminals, dtype=bool),
        start,
    )


@pytest.mark.parametrize("kind", ["random", "stochastic", "lock", "clusters"])
def test_same_seed_same_table_other_seed_other_table(kind: str) -> None:
    a, b, c = (make_table(kind, 40, 3, seed=s) for s in (1, 1, 2))
    assert np.array_equal(a.next_states, b.next_states) and np.array_equal(a.probs, b.probs)
    assert not (np.array_equal(a.next_states, c.next_states) and np.array_equal(a.probs, c.probs))
    assert a.next_states.dtype == np.int32 and not a.next_states.flags.writeable


def test_random_kind_is_deterministic_and_covers_states() -> None:
    t = make_table("random", 500, 4, seed=0)
    assert t.deterministic and t.next_states.shape == (500, 4, 1)
    assert np.all(t.probs == 1.0)
    assert np.unique(t.next_states).size > 400  # uniform draws hit most of 500 states


@pytest.mark.parametrize("n_states", [5, 1000])  # the dense and the sparse sampling paths
def test_stochastic_kind_has_distinct_successors_and_dirichlet_probs(n_states: int) -> None:
    t = make_table("stochastic", n_states, 3, seed=0, n_successors=4, concentration=0.5)
    srt = np.sort(t.next_states, axis=-1)
    assert (srt[..., 1:] != srt[..., :-1]).all()
    assert np.allclose(t.probs.sum(-1), 1.0, atol=1e-6) and (t.probs > 0).all()


def test_stochastic_concentration_controls_entropy() -> None:
    peaky = make_table("stochastic", 200, 4, seed=0, n_successors=5, concentration=0.1)
    flat = make_table("stochastic", 200, 4, seed=0, n_successors=5, concentration=100.0)
    assert peaky.transition_entropy().mean() < 0.8 < flat.transition_entropy().mean()
    assert flat.transition_entropy().max() <= np.log(5) + 1e-9


def test_lock_kind_one_action_advances_the_rest_go_home() -> None:
    t = make_table("lock", 30, 4, seed=3)
    ns = t.next_states[:-1, :, 0]
    assert ((ns == np.arange(1, 30)[:, None]).sum(axis=1) == 1).all()
    assert ((ns == 0) | (ns == np.arange(1, 30)[:, None])).all()
    assert t.terminals[-1] and t.rewards[-1] == 1.0 and t.terminals.sum() == 1
    assert np.array_equal(t.distances(), np.arange(30))


def test_clusters_kind_rooms_joined_by_few_doors() -> None:
    t = make_table("clusters", 60, 4, seed=0, n_clusters=5, n_bridges=2)
    cluster = np.repeat(np.arange(5), 12)
    crossing = cluster[t.next_states[..., 0]] != cluster[:, None]
    assert crossing.sum() == 5 * 2 * 2  # n_bridges out to each neighbouring room
    assert t.reachable().all()
    # every room is strongly connected by the action-0 cycle
    assert np.array_equal(t.next_states[:12, 0, 0], (np.arange(12) + 1) % 12)


def test_goal_states_pay_and_terminate_for_any_kind() -> None:
    t = make_table("random", 20, 2, seed=0, goal_states=[5, 7], goal_reward=2.5)
    assert t.rewards[5] == t.rewards[7] == 2.5 and t.terminals[[5, 7]].all()
    assert t.terminals.sum() == 2


def test_transition_entropy_exact_and_merges_repeated_successors() -> None:
    t = _table(
        ns=[[[0, 1, 1]], [[0, 0, 0]]],
        p=[[[0.5, 0.25, 0.25]], [[0.2, 0.3, 0.5]]],
        rewards=[0, 0],
        terminals=[False, False],
    )
    assert t.transition_entropy() == pytest.approx(np.array([[np.log(2)], [0.0]]), abs=1e-6)


def test_value_iteration_matches_closed_form_on_a_chain() -> None:
    t = make_table("lock", 6, 2, seed=0)
    v, q = t.value_iteration(gamma=0.9)
    # optimal from state s: reach the goal at state 5 in 5 - s steps, reward 1 on entry
    assert v[:5] == pytest.approx(0.9 ** (4 - np.arange(5)))
    assert q.shape == (6, 2) and v[5] == 0.0


def test_distances_reachable_and_coverage() -> None:
    t = _table(
        ns=[[[1], [2]], [[0], [1]], [[2], [2]], [[0], [3]]],
        p=[[[1], [1]]] * 4,
        rewards=[0, 0, 1, 0],
        terminals=[False, False, True, False],
    )
    assert np.array_equal(t.distances(), [0, 1, 1, -1])
    assert np.array_equal(t.reachable(), [True, True, True, False])
    assert t.coverage([0, 2, 3]) == pytest.approx(2 / 3)
    assert t.coverage(np.array([True, True, True, True])) == 1.0


def test_ten_million_state_table_uses_int32_storage() -> None:
    t = make_table("random", 10_000_000, 8, seed=0)
    assert t.next_states.dtype == np.int32 and t.next_states.nbytes == 320_000_000
    assert t.probs.base is not None and t.probs.strides == (0, 0, 0)  # shared, no memory


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_states": 1}, "n_states must be >= 2"),
        ({"n_states": 2.5}, "n_states must be an int"),
        ({"n_states": True}, "n_states must be an int"),
        ({"n_actions": 2.0}, "n_actions must be an int"),
        ({"seed": -1}, "seed must be >= 0"),
        ({"seed": 2.5}, "seed must be an int"),
        ({"seed": "a"}, "seed must be an int"),
        ({"seed": True}, "seed must be an int"),
        ({"n_actions": 0}, "n_actions must be >= 1"),
        ({"kind": "maze"}, "unknown kind 'maze'"),
        ({"kind": ["random"]}, r"unknown kind \['random'\]"),
        ({"kind": "lock", "n_actions": 1}, "needs n_actions >= 2"),
        ({"kind": "stochastic", "n_successors": 99}, "n_successors must be in"),
        ({"kind": "stochastic", "n_successors": 2.5}, "n_successors must be an int"),
        ({"kind": "stochastic", "n_successors": 2.0}, "n_successors must be an int"),
        ({"kind": "stochastic", "concentration": 0}, "concentration must be > 0"),
        ({"kind": "stochastic", "concentration": "a"}, "concentration must be a real"),
        ({"kind": "stochastic", "concentration": np.inf}, "concentration must be finite"),
        ({"kind": "clusters", "n_clusters": 10, "n_bridges": 50}, "does not fit"),
        ({"kind": "clusters", "n_clusters": 2.5}, "n_clusters must be an int"),
        ({"kind": "clusters", "n_bridges": 1.5}, "n_bridges must be an int"),
        ({"kind": "clusters", "n_bridges": True}, "n_bridges must be an int"),
        ({"kind": "clusters", "n_bridges": -1}, "n_bridges must be >= 0"),
        (
            {"kind": "random", "n_successors": 2},
            r"'n_successors' \(a parameter of kind='stochastic'\)",
        ),
        ({"goal_states": [99]}, "goal_states must be state ids"),
        ({"goal_states": [1.7]}, "goal_states must be state ids"),
        ({"goal_states": ["a"]}, "goal_states must be state ids"),
        ({"goal_states": [True]}, "goal_states must be state ids"),
        ({"goal_reward": np.nan}, "goal_reward must be (finite|a real number)"),
        ({"goal_reward": "1"}, "goal_reward must be (finite|a real number)"),
        ({"start_state": 70}, "start_state must be in"),
        ({"start_state": 1.5}, "start_state must be an int"),
        ({"start_state": True}, "start_state must be an int"),
        ({"goal_states": [0]}, "start_state 0 is terminal"),
    ],
)
def test_bad_table_arguments_raise_clear_errors(kwargs: dict, match: str) -> None:
    args = {"kind": "random", "n_states": 64, "n_actions": 4} | kwargs
    with pytest.raises(InvalidConfigError, match=match):
        make_table(**args)


def test_numpy_integer_arguments_build_the_same_table() -> None:
    args = {"n_successors": 2, "goal_states": [5], "start_state": 2}
    plain = make_table("stochastic", 20, 3, seed=3, **args)
    t = make_table(
        "stochastic", np.int64(20), np.int32(3), seed=np.int64(3), n_successors=np.int64(2),
        goal_states=np.array([5], dtype=np.uint8), start_state=np.int64(2),
    )  # fmt: skip
    assert np.array_equal(t.next_states, plain.next_states) and np.array_equal(t.probs, plain.probs)
    assert np.array_equal(t.terminals, plain.terminals) and type(t.start_state) is int
    assert not make_table("lock", 5, 2, goal_states=[]).terminals.any()  # no goal at all
