"""One batched intrinsic-reward computation, and how it mixes with the env's reward.

:class:`IntrinsicReward` is the computation every bonus implements: ``score`` a batch
of transitions, ``update`` its memory or model on them, forget episodes that ended.
:class:`BonusMixer` turns it into rewards: it masks transitions that are not real
(autoreset steps), keeps NaN/inf out, normalises by the running std of the intrinsic
return, and returns ``extrinsic_coef * r_ext + intrinsic_coef * r_int``. The three
adapters (gymnasium ``Wrapper``, ``VectorWrapper``, SB3 ``VecEnvWrapper``) only feed
it batches.
"""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from gymnasium import spaces

from aisam_wrappers._kernels import mix
from aisam_wrappers.errors import InvalidConfigError, RewardShapeError, check_bool, check_real
from aisam_wrappers.normalize import ReturnNormalizer

logger = logging.getLogger(__name__)


class RowsView(Mapping[str, Any]):
    """Per-env info as a mapping of ``(n,)`` arrays, built lazily key by key.

    Args:
        infos: a gymnasium vector info dict or an SB3 list of per-env info dicts.
        rows: the env indices to keep (``None``: all).
    """

    def __init__(
        self, infos: Mapping[str, Any] | list[dict[str, Any]], rows: np.ndarray | None = None
    ) -> None:
        self._infos = infos
        self._rows = rows

    @classmethod
    def of(cls, infos: Mapping[str, Any] | list[dict[str, Any]]) -> RowsView:
        """View of a gymnasium vector info dict or an SB3 list of per-env info dicts."""
        return infos if isinstance(infos, RowsView) else cls(infos)

    def take(self, rows: np.ndarray) -> RowsView:
        """The same view restricted to ``rows``."""
        return RowsView(self._infos, rows if self._rows is None else self._rows[rows])

    def __getitem__(self, key: str) -> Any:
        infos = self._infos
        if isinstance(infos, Mapping):
            value = np.asarray(infos[key])
        else:
            value = np.asarray([info[key] for info in infos])
        return value if self._rows is None else value[self._rows]

    def __iter__(self) -> Iterator[str]:
        infos = self._infos
        return iter(infos if isinstance(infos, Mapping) else (infos[0] if infos else ()))

    def __len__(self) -> int:
        infos = self._infos
        return len(infos) if isinstance(infos, Mapping) else (len(infos[0]) if infos else 0)


class IntrinsicReward(ABC):
    """A batched intrinsic reward over transitions ``(obs, action, next_obs)``.

    Args:
        observation_space: the single-env observation space.
        action_space: the single-env action space.
        num_envs: number of parallel envs (for per-env memory).
    """

    #: a known bound on ``|reward|`` (finite by construction), or ``None`` if unknown;
    #: lets the mixer skip the NaN/inf check and the normaliser its clipping
    max_abs: float | None = None

    def __init__(
        self, observation_space: spaces.Space, action_space: spaces.Space, num_envs: int = 1
    ) -> None:
        self.observation_space = observation_space
        self.action_space = action_space
        self.num_envs = int(num_envs)

    @abstractmethod
    def score(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        next_obs: np.ndarray,
        infos: Mapping[str, Any],
        env_ids: np.ndarray,
    ) -> np.ndarray:
        """Intrinsic rewards of ``n`` transitions, ``(n,)``; ``env_ids`` ``(n,)`` their envs."""

    def update(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        next_obs: np.ndarray,
        infos: Mapping[str, Any],
        env_ids: np.ndarray,
    ) -> dict[str, float]:
        """Learns from the transitions (memory or model update); returns metrics."""
        return {}

    def end_episodes(self, env_ids: np.ndarray) -> None:  # noqa: B027  (optional hook)
        """Called with the envs whose episodes just ended (episodic memories forget)."""

    def compute(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        next_obs: np.ndarray,
        infos: Mapping[str, Any],
        env_ids: np.ndarray,
    ) -> np.ndarray:
        """Scores the transitions, then learns from them; ``(n,)`` rewards."""
        rewards = self.score(obs, actions, next_obs, infos, env_ids)
        self.update(obs, actions, next_obs, infos, env_ids)
        return rewards


class BonusMixer:
    """Mixes an :class:`IntrinsicReward` into the extrinsic reward, batch by batch.

    Args:
        reward: the intrinsic-reward computation.
        extrinsic_coef: weight of the env's reward.
        intrinsic_coef: weight of the intrinsic reward.
        normalize: divide the intrinsic reward by the running std of its discounted
            return (RND's normalisation); ``False`` uses the raw bonus.
        gamma: discount of that return.
    """

    def __init__(
        self,
        reward: IntrinsicReward,
        extrinsic_coef: float = 1.0,
        intrinsic_coef: float = 1.0,
        normalize: bool = True,
        gamma: float = 0.99,
    ) -> None:
        if not 0.0 <= check_real("gamma", gamma) < 1.0:
            raise InvalidConfigError(f"gamma must be in [0, 1), got {gamma}")
        self.reward = reward
        self.extrinsic_coef = check_real("extrinsic_coef", extrinsic_coef)
        self.intrinsic_coef = check_real("intrinsic_coef", intrinsic_coef)
        normalize = check_bool("normalize", normalize)
        self.normalizer = ReturnNormalizer(reward.num_envs, gamma) if normalize else None
        self._all = np.arange(reward.num_envs)
        self._warned = False

    def step(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        next_obs: np.ndarray,
        rewards: np.ndarray,
        dones: np.ndarray,
        infos: Mapping[str, Any] | list[dict[str, Any]],
        valid: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Total, extrinsic and intrinsic rewards, each ``(num_envs,)``.

        The total and intrinsic rewards are float64; the extrinsic ones keep the env's
        float dtype (other dtypes become float64).

        Args:
            obs, actions, next_obs: the batch of transitions, one row per env.
            rewards: the env's rewards ``(num_envs,)``.
            dones: episode ends ``(num_envs,)`` (terminated or truncated).
            infos: vector info dict or SB3 list of info dicts.
            valid: rows that are real transitions (``None``: all); others (autoreset
                steps) get no intrinsic reward and teach nothing.
        """
        r_ext = np.asarray(rewards)
        if r_ext.shape != self._all.shape:
            raise RewardShapeError(
                f"the env's rewards must be one per env {self._all.shape}, got {r_ext.shape}"
            )
        if r_ext.dtype not in (np.float32, np.float64):  # those two are used as they are
            r_ext = r_ext.astype(np.float64)
        view = RowsView.of(infos)
        if valid is None:
            r_int = self.reward.compute(obs, actions, next_obs, view, self._all)
            r_int = self._checked(r_int, len(r_ext))
        else:
            r_int = np.zeros(len(r_ext), dtype=np.float64)
            rows = np.flatnonzero(valid)
            if rows.size:
                r_int[rows] = self._checked(
                    self.reward.compute(
                        obs[rows], actions[rows], next_obs[rows], view.take(rows), rows
                    ),
                    len(rows),
                )
        bound = self.reward.max_abs
        if bound is None:  # unknown range: keep NaN/inf out of the running statistics
            r_int = self._finite(np.asarray(r_int, dtype=np.float64), "intrinsic")
        raw, r_int, total = r_int, np.empty(len(r_ext)), np.empty(len(r_ext))
        coefs = (self.extrinsic_coef, self.intrinsic_coef)
        if self.normalizer is not None:
            norm = self.normalizer
            checksum = norm.normalize_and_mix(r_ext, raw, valid, bound, coefs, r_int, total)
        else:
            checksum = mix(r_ext, raw, 1.0, math.inf, *coefs, r_int, total)
        if not math.isfinite(checksum):
            # a finite sum means every term is finite; otherwise zero the bad ones
            r_ext = self._finite(r_ext, "extrinsic")
            r_int = self._finite(r_int, "intrinsic")
            mix(r_ext, r_int, 1.0, math.inf, *coefs, r_int, total)
            total = self._finite(total, "total")
        ended = np.asarray(dones, dtype=bool) if valid is None else dones & valid
        if np.count_nonzero(ended):  # a C call; ndarray.any() goes through Python
            self.reward.end_episodes(np.flatnonzero(ended))
        return total, r_ext, r_int

    def _checked(self, r_int: np.ndarray, n: int) -> np.ndarray:
        """``r_int`` if it is one reward per transition (``n`` of them)."""
        r_int = np.asarray(r_int)
        if r_int.shape != (n,):
            raise RewardShapeError(
                f"{type(self.reward).__name__}.compute returned shape {r_int.shape} for {n} "
                "transitions: an intrinsic reward (and a PredictiveModel's scores) must be "
                "one float per transition"
            )
        return r_int

    def _finite(self, values: np.ndarray, name: str) -> np.ndarray:
        bad = ~np.isfinite(values)
        if not bad.any():
            return values
        if not self._warned:
            logger.warning("non-finite %s reward replaced by 0 (%d rows)", name, int(bad.sum()))
            self._warned = True
        return np.where(bad, 0.0, values)
