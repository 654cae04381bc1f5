"""The scripted exit from Montezuma's first room, shared by the single and vector tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from aisam_envs.montezuma import REDUCED_ACTIONS, RUNNING_JUMPS

# Room 1 -> room 2 with running_jumps=True, found offline by the Go-Explore search of
# docs/montezuma.md and pruned: N F U R L D are the six reduced actions, ">" and "<" the
# running jumps RIGHTFIRE (6) / LEFTFIRE (7). Frameskip 4, no sticky actions: the ALE is
# deterministic. Picks up the key (+100), opens the right door with it (+300), walks into
# room 2.
EXIT_ROOM_1 = (
    ">1 N4 U7 >2 N3 D10 L14 N9 R1 <1 N13 L2 <8 N8 U9 N4 <1 N3 R6 N2 D3 N15 D7 N11 R2 "
    "N24 >5 N1 R11 >1 N5 >1 N2 U11 <1 N6 <1 N3 U15 L2 >1 N5 >7 R11"
)
CODES = {code: i for i, code in enumerate("NFURLD><")}  # the 8 of running_jumps=True


def raw_action_index(raw: Any, running_jumps: bool) -> np.ndarray:
    """``(n,)`` index into ale-py's vector env ``raw``'s action set of our actions ``0..n-1``
    (n = 6, or 8 with ``running_jumps``): steps ``raw`` as ours steps."""
    mapped = REDUCED_ACTIONS + (RUNNING_JUMPS if running_jumps else ())
    return np.array([list(raw.ale.get_action_set()).index(a) for a in mapped])
