"""Salient events: steps where what the model expects to learn ahead changes sharply.

At every acting step the search reports, per env, the per-step scores of its best branch;
their mean is the *outlook*, what the model expects to learn over the next ``H`` steps.
A step is salient when the outlook's change from the env's previous step (same episode) is
an outlier: more than ``threshold`` standard deviations from the running mean change
(exponential moving moments over all envs, after ``warmup`` changes). A door that opens or
a key that is taken makes the imagined futures newly uncertain (or certain) at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SalientEvent:
    """One salient step.

    Attributes:
        timestep: the agent's env-step count when it was seen (the observation's index in
            the stream of all envs' steps).
        env: which env.
        observation: the observation at that step.
        change: the outlook's change, in running standard deviations (signed).
    """

    timestep: int
    env: int
    observation: np.ndarray
    change: float


class SalienceDetector:
    """Running moments of the outlook's change and the outlier test.

    Args:
        n_envs: envs.
        threshold: standard deviations that make a change salient (> 0).
        warmup: changes seen before any step can be salient.
        decay: EMA decay of the moments.
    """

    def __init__(
        self, n_envs: int, threshold: float, warmup: int = 100, decay: float = 0.99
    ) -> None:
        self.threshold, self.warmup, self.decay = threshold, warmup, decay
        self.previous = np.full(n_envs, np.nan)
        self.mean, self.var, self.count = 0.0, 0.0, 0
        self.z = np.zeros(n_envs)  # the last step's changes in standard deviations

    def update(self, outlook: np.ndarray, episode_start: np.ndarray) -> np.ndarray:
        """``(N,)`` bool salient flags for this step's ``outlook`` ``(N,)``; a step that
        starts an episode (``episode_start`` ``(N,)`` bool) has no change to test."""
        change = outlook - self.previous
        valid = ~episode_start & np.isfinite(change)
        self.previous = outlook.astype(np.float64)
        z = (change - self.mean) / np.sqrt(self.var + 1e-12)
        salient = valid & (np.abs(z) > self.threshold) & (self.count >= self.warmup)
        for d in change[valid]:
            self.count += 1
            rate = max(1.0 - self.decay, 1.0 / self.count)
            delta = d - self.mean
            self.mean += rate * delta
            self.var = (1.0 - rate) * (self.var + rate * delta * delta)
        self.z = np.where(valid, z, 0.0)
        return salient

    def state(self) -> dict[str, float | int]:
        """The moments, for a checkpoint."""
        return {"mean": float(self.mean), "var": float(self.var), "count": int(self.count)}

    def set_state(self, state: dict[str, float | int]) -> None:
        """Restores :meth:`state`."""
        self.mean, self.var, self.count = (
            float(state["mean"]),
            float(state["var"]),
            int(state["count"]),
        )
