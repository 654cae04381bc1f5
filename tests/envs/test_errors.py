"""The shared action check that the single envs use."""

from __future__ import annotations

import numpy as np
import pytest

from aisam_envs.errors import InvalidActionError, check_action


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
