"""Running statistics for normalising intrinsic rewards and model inputs.

As in Random Network Distillation, an intrinsic reward is divided by a running
estimate of the standard deviation of the *discounted intrinsic return* (per env,
along time, never reset at episode ends), so its scale stays comparable to the
extrinsic reward whatever the bonus and however it decays.
"""

from __future__ import annotations

import math

import numpy as np

from aisam_wrappers._kernels import merge_moments, normalize_and_mix


class RunningMeanStd:
    """Mean and variance of a stream of batches (Chan et al. parallel update).

    Args:
        shape: shape of one sample.
        epsilon: initial pseudo-count, so the first batch does not divide by zero.
    """

    def __init__(self, shape: tuple[int, ...] = (), epsilon: float = 1e-4) -> None:
        # scalars stay Python floats: a per-step update then costs ~1 us, not ~15
        self.mean: np.ndarray | float = np.zeros(shape) if shape else 0.0
        self.var: np.ndarray | float = np.ones(shape) if shape else 1.0
        self.count = float(epsilon)

    def update(self, batch: np.ndarray) -> None:
        """Folds in ``batch`` of shape ``(n, *shape)``."""
        if len(batch):
            self.update_moments(batch.mean(axis=0), batch.var(axis=0), len(batch))

    def update_moments(self, b_mean: np.ndarray | float, b_var: np.ndarray | float, n: int) -> None:
        """Folds in a batch given by its mean, variance and size ``n``."""
        self.mean, self.var, self.count = merge_moments(
            self.mean, self.var, self.count, b_mean, b_var, n
        )

    @property
    def std(self) -> np.ndarray | float:
        """Running standard deviation (same shape as one sample)."""
        return np.sqrt(self.var) if isinstance(self.var, np.ndarray) else math.sqrt(self.var)


class ReturnNormalizer:
    """The running std of the discounted intrinsic return, per env, as a reward scale.

    Args:
        num_envs: number of parallel envs (one running return each).
        gamma: discount of the return whose std is tracked.
        epsilon: added to the std before dividing.
        clip: normalised rewards are clipped to ``[-clip, clip]`` (the std estimate is
            poor over the first few steps; as SB3's ``VecNormalize``).
    """

    def __init__(
        self, num_envs: int, gamma: float = 0.99, epsilon: float = 1e-8, clip: float = 10.0
    ) -> None:
        self.gamma = float(gamma)
        self.epsilon = float(epsilon)
        self.clip = float(clip)
        self.returns = np.zeros(num_envs, dtype=np.float64)
        self.stats = RunningMeanStd()

    def normalize_and_mix(
        self,
        r_ext: np.ndarray,
        r_int: np.ndarray,
        valid: np.ndarray | None,
        max_abs: float | None,
        coefs: tuple[float, float],
        out_int: np.ndarray,
        out_total: np.ndarray,
    ) -> float:
        """Folds ``r_int`` into the returns, then writes the normalised and mixed rewards.

        Only the ``valid`` rows (default: all) update their discounted return, which is
        never reset at episode ends (RND's non-episodic intrinsic return). ``max_abs``,
        a known bound on ``|r_int|``, skips the clipping when it cannot bite. Returns
        the sum of ``out_total`` (see :func:`aisam_wrappers._kernels.mix`).
        """
        stats = self.stats
        checksum, (stats.mean, stats.var, stats.count) = normalize_and_mix(
            r_ext,
            r_int,
            valid,
            self.returns,
            self.gamma,
            (stats.mean, stats.var, stats.count),
            self.epsilon,
            self.clip,
            math.inf if max_abs is None else max_abs,
            *coefs,
            out_int,
            out_total,
        )
        return checksum
