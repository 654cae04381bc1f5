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
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
from gymnasium import spaces

from aisam_wrappers.errors import InvalidConfigError
from aisam_wrappers.normalize import ReturnNormalizer

logger = logging.getLogger(__name__)


class RowsView(Mapping[str, Any]):
    """Per-env info as a mapping of ``(n,)`` arrays, built lazily key by key.

    Args:
        getter: ``key -> (num_envs, ...)`` array (raises ``KeyError`` if absent).
        keys: the available keys.
        rows: the env indices to keep (``None``: all).
    """

    def __init__(
        self, getter: Callable[[str], Any], keys: list[str], rows: np.ndarray | None = None
    ) -> None:
        self._getter = getter
        self._keys = keys
        self._rows = rows

    @classmethod
    def of(cls, infos: Mapping[str, Any] | list[dict[str, Any]]) -> RowsView:
        """View of a gymnasium vector info dict or an SB3 list of per-env info dicts."""
        if isinstance(infos, RowsView):
            return infos
        if isinstance(infos, Mapping):
            return cls(lambda k: np.asarray(infos[k]), list(infos))
        keys = list(infos[0]) if infos else []
        return cls(lambda k: np.asarray([info[k] for info in infos]), keys)

    def take(self, rows: np.ndarray) -> RowsView:
        """The same view restricted to ``rows``."""
        inner = rows if self._rows is None else self._rows[rows]
        return RowsView(self._getter, self._keys, inner)

    def __getitem__(self, key: str) -> Any:
        value = self._getter(key)
        return value if self._rows is None else value[self._rows]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


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
        for name, value in (("extrinsic_coef", extrinsic_coef), ("intrinsic_coef", intrinsic_coef)):
            if not np.isfinite(value):
                raise InvalidConfigError(f"{name} must be a finite number, got {value}")
        if not 0.0 <= gamma < 1.0:
            raise InvalidConfigError(f"gamma must be in [0, 1), got {gamma}")
        self.reward = reward
        self.extrinsic_coef = float(extrinsic_coef)
        self.intrinsic_coef = float(intrinsic_coef)
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
        """Total, extrinsic and intrinsic rewards, each ``(num_envs,)`` float64.

        Args:
            obs, actions, next_obs: the batch of transitions, one row per env.
            rewards: the env's rewards ``(num_envs,)``.
            dones: episode ends ``(num_envs,)`` (terminated or truncated).
            infos: vector info dict or SB3 list of info dicts.
            valid: rows that are real transitions (``None``: all); others (autoreset
                steps) get no intrinsic reward and teach nothing.
        """
        r_ext = np.asarray(rewards, dtype=np.float64)
        view = RowsView.of(infos)
        if valid is None:
            r_int = self.reward.compute(obs, actions, next_obs, view, self._all)
        else:
            r_int = np.zeros(len(r_ext), dtype=np.float64)
            rows = np.flatnonzero(valid)
            if rows.size:
                r_int[rows] = self.reward.compute(
                    obs[rows], actions[rows], next_obs[rows], view.take(rows), rows
                )
        bound = self.reward.max_abs
        if bound is None:  # unknown range: keep NaN/inf out of the running statistics
            r_int = self._finite(np.asarray(r_int, dtype=np.float64), "intrinsic")
        if self.normalizer is not None:
            r_int = self.normalizer(r_int, valid, bound)
        else:
            r_int = np.asarray(r_int, dtype=np.float64)
        total = self._mix(r_ext, r_int)
        if not math.isfinite(total.sum()):  # one reduction; a finite sum: all terms finite
            r_ext = self._finite(r_ext, "extrinsic")
            r_int = self._finite(r_int, "intrinsic")
            total = self._finite(self._mix(r_ext, r_int), "total")
        ended = np.asarray(dones, dtype=bool) if valid is None else dones & valid
        if ended.any():
            self.reward.end_episodes(np.flatnonzero(ended))
        return total, r_ext, r_int

    def _mix(self, r_ext: np.ndarray, r_int: np.ndarray) -> np.ndarray:
        ext = r_ext if self.extrinsic_coef == 1.0 else self.extrinsic_coef * r_ext
        return ext + (r_int if self.intrinsic_coef == 1.0 else self.intrinsic_coef * r_int)

    def _finite(self, values: np.ndarray, name: str) -> np.ndarray:
        bad = ~np.isfinite(values)
        if not bad.any():
            return values
        if not self._warned:
            logger.warning("non-finite %s reward replaced by 0 (%d rows)", name, int(bad.sum()))
            self._warned = True
        return np.where(bad, 0.0, values)
