"""The scripted exit from Montezuma's first room, shared by the single and vector tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from aisam_envs.montezuma import FIRST_ROOM_EXIT, REDUCED_ACTIONS, RUNNING_JUMPS, script_actions

EXIT_ROOM_1 = script_actions(FIRST_ROOM_EXIT)  # action indices, running_jumps=True


def raw_action_index(raw: Any, running_jumps: bool) -> np.ndarray:
    """``(n,)`` index into ale-py's vector env ``raw``'s action set of our actions ``0..n-1``
    (n = 6, or 8 with ``running_jumps``): steps ``raw`` as ours steps."""
    mapped = REDUCED_ACTIONS + (RUNNING_JUMPS if running_jumps else ())
    return np.array([list(raw.ale.get_action_set()).index(a) for a in mapped])
