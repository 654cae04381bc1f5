"""Rendering shared by the synthetic envs: checked render modes and a cell-strip image."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aisam_envs.errors import InvalidConfigError

#: pixels per side of one cell of :func:`cell_strip`
CELL = 8
_LEVELS = np.array([[0, 0, 0], [128, 128, 128], [255, 255, 255]], dtype=np.uint8)


def check_render_mode(render_mode: str | None, modes: Sequence[str]) -> str | None:
    """``render_mode`` if it is ``None`` or one of ``modes``, else :class:`InvalidConfigError`
    (an unknown mode would otherwise render nothing, silently)."""
    if render_mode is not None and (not isinstance(render_mode, str) or render_mode not in modes):
        raise InvalidConfigError(
            f"render_mode must be None or one of {list(modes)}, got {render_mode!r}"
        )
    return render_mode


def cell_strip(values: np.ndarray) -> np.ndarray:
    """A ``(CELL, CELL * len(values), 3)`` uint8 RGB image: one square per value, black for
    -1, grey for 0, white for +1 (what SB3's ``VecVideoRecorder`` and gymnasium's
    ``RecordVideo`` record)."""
    levels = np.sign(np.asarray(values)).astype(np.intp) + 1
    return np.repeat(np.repeat(_LEVELS[levels][None], CELL, axis=0), CELL, axis=1)
