"""The shared checks: actions, and unknown keywords of every env."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_envs.errors import InvalidActionError, InvalidConfigError, check_action
from aisam_envs.parity import ParityEnv
from aisam_envs.table.tables import make_table


@pytest.mark.parametrize("action", [2, np.int64(2), np.uint8(2), np.array(2)])
def test_check_action_accepts_integers_and_returns_a_python_int(action: object) -> None:
    out = check_action(action, 3)
    assert out == 2 and type(out) is int


@pytest.mark.parametrize("action", [True, np.bool_(False), 1.0, "1", np.array([1]), None])
def test_check_action_rejects_non_integers(action: object) -> None:
    with pytest.raises(InvalidActionError, match=r"must be an integer in \[0, 3\) \(A, B, C\)"):
        check_action(action, 3, ("A", "B", "C"))


@pytest.mark.parametrize("action", [-1, 3, np.int64(7)])
def test_check_action_rejects_out_of_range(action: object) -> None:
    with pytest.raises(InvalidActionError, match=r"out of range \[0, 3\)$"):
        check_action(action, 3)


# ---------------------------------------------------- unknown keywords name the right one
SINGLE_TYPOS = [
    ("aisam/TransitionTable-v0", {"n_state": 10}, "TransitionTableEnv", "n_states"),
    ("aisam/TransitionTable-v0", {"kind": "stochastic", "n_succesors": 3}, "Table", "n_successors"),
    ("aisam/Parity-v0", {"n_bit": 4}, "ParityEnv", "n_bits"),
    ("aisam/Montezuma-Reduced-v0", {"obs_tpye": "ram"}, "MontezumaReducedEnv", "obs_type"),
    ("aisam/Montezuma-ReducedNoFrameskip-v0", {"frame_skip": 2}, "Montezuma", "frameskip"),
    ("aisam/TextWorld-v0", {"world_sise": 3}, "TextWorldEnv", "world_size"),
    ("aisam/PokemonRed-v0", {"obs_tyep": "rgb"}, "PokemonRedEnv", "obs_type"),
]


@pytest.mark.parametrize(("env_id", "kwargs", "owner", "meant"), SINGLE_TYPOS)
def test_unknown_keyword_names_it_and_the_closest_valid_one(
    env_id: str, kwargs: dict[str, Any], owner: str, meant: str
) -> None:
    """Checked before any optional dependency loads: no ROM, game or emulator needed."""
    typo = next(k for k in kwargs if k != "kind")
    with pytest.raises(InvalidConfigError, match=owner) as caught:
        gym.make(env_id, **kwargs)
    assert f"unknown argument {typo!r} (did you mean {meant!r}?)" in str(caught.value)


def test_unknown_keyword_of_a_direct_construction() -> None:
    with pytest.raises(InvalidConfigError, match=r"'n_bit' \(did you mean 'n_bits'\?\)"):
        ParityEnv(n_bit=4)
    ParityEnv(8, episode_length=2)  # positional arguments pass as before


@pytest.mark.parametrize(
    ("env_id", "kwargs", "expected"),
    [
        ("aisam/TransitionTable-v0", {"n_state": 10}, "'n_state' (did you mean 'n_states'?)"),
        ("aisam/TransitionTable-v0", {"num_env": 1}, "'num_env' (did you mean 'num_envs'?)"),
        (
            "aisam/Montezuma-Reduced-v0",
            {"stak_num": 3, "frame_skip": 2},
            "arguments 'frame_skip' (did you mean 'frameskip'?), 'stak_num' (did you mean "
            "'stack_num'?)",
        ),
    ],
)
def test_unknown_vector_keyword_names_the_closest_valid_one(
    env_id: str, kwargs: dict[str, Any], expected: str
) -> None:
    if "Montezuma" in env_id:
        pytest.importorskip("ale_py")
    with pytest.raises(InvalidConfigError) as caught:
        gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point", **kwargs)
    assert expected in str(caught.value)


def test_table_names_the_kind_a_parameter_belongs_to() -> None:
    with pytest.raises(InvalidConfigError) as caught:
        gym.make("aisam/TransitionTable-v0", kind="lock", n_clusters=3)
    message = str(caught.value)
    assert "'n_clusters' (a parameter of kind='clusters')" in message
    assert "kind='lock' takes no parameters of its own" in message


def test_ready_made_table_ignores_kind_parameters_but_not_typos() -> None:
    table = make_table("lock", 8)
    env = gym.make("aisam/TransitionTable-v0", table=table, n_clusters=3)  # ignored, as before
    assert env.unwrapped.table is table
    with pytest.raises(InvalidConfigError, match=r"'n_clustres' \(did you mean 'n_clusters'\?\)"):
        gym.make("aisam/TransitionTable-v0", table=table, n_clustres=3)
