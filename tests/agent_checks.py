"""Checks shared by the tests of the SB3-shaped agents (PonderPPO, IntrinsicPPO)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def learn_save_load(model: Any, venv: Any, path: Path) -> np.ndarray:
    """Learns 32 steps, saves ``model`` to ``path`` and loads it back (on CPU): the loaded
    model's deterministic actions on a fresh ``venv.reset()`` equal the model's.

    Returns:
        Those actions, ``(n_envs, ...)``.
    """
    model.learn(32)
    obs = venv.reset()
    actions, _ = model.predict(obs, deterministic=True)
    model.save(path)
    loaded, _ = type(model).load(path, device="cpu").predict(obs, deterministic=True)
    np.testing.assert_array_equal(actions, loaded)
    return actions
