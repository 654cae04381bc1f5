"""One batched intrinsic-reward computation, and how it mixes with the env's reward.

:class:`IntrinsicReward` is the computation every bonus implements: ``score`` a batch
of transitions, ``update`` its memory or model on them, forget episodes that ended.
:class:`BonusMixer` turns it into rewards: it masks transitions that are not real
(autoreset steps), keeps NaN/inf out, normalises by the running std of the intrinsic
return, and returns ``extrinsic_coef * r_ext + intrinsic_coef * r_int`` (or, split,
the two streams apart). The three adapters (gymnasium ``Wrapper``, ``VectorWrapper``,
SB3 ``VecEnvWrapper``) only feed it batches.
"""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypedDict

import numpy as np
from gymnasium import spaces

from aisam_envs.errors import InvalidConfigError, check_bool, check_real
from aisam_wrappers._kernels import mix
from aisam_wrappers.batch import Transitions
from aisam_wrappers.errors import RewardShapeError
from aisam_wrappers.normalize import ReturnNormalizer

logger = logging.getLogger(__name__)


class IntrinsicReward(ABC):
    """A batched intrinsic reward over :class:`~aisam_wrappers.batch.Transitions`.

    Args:
        observation_space: the single-env observation space.
        action_space: the single-env action space.
        num_envs: number of parallel envs (for per-env memory).
    """

    #: a known bound on ``|reward|`` (finite by construction), or ``None`` if unknown;
    #: lets the mixer skip the NaN/inf check and the normaliser its clipping
    max_abs: float | None = None
    #: ``update`` reads no ``infos`` and is worth running apart from ``score`` (a model's
    #: training step on a device): the SB3 adapter then runs it while the env steps
    #: (see :meth:`BonusMixer.step`'s ``defer_update``)
    deferrable: bool = False

    def __init__(
        self, observation_space: spaces.Space, action_space: spaces.Space, num_envs: int = 1
    ) -> None:
        self.observation_space = observation_space
        self.action_space = action_space
        self.num_envs = int(num_envs)

    @abstractmethod
    def score(self, batch: Transitions) -> np.ndarray:
        """Intrinsic rewards of the batch's ``n`` transitions, ``(n,)``."""

    def update(self, batch: Transitions) -> dict[str, float]:
        """Learns from the transitions (memory or model update); returns metrics."""
        return {}

    def observe(self, batch: Transitions) -> None:  # noqa: B027  (optional hook)
        """Folds the batch into the bonus's input statistics only (e.g. RND's observation
        whitening), learning and remembering nothing: a random-policy warm-up."""

    def end_episodes(self, env_ids: np.ndarray) -> None:  # noqa: B027  (optional hook)
        """Called with the envs whose episodes just ended (episodic memories forget)."""

    def compute(self, batch: Transitions) -> np.ndarray:
        """Scores the transitions, then learns from them; ``(n,)`` rewards."""
        rewards = self.score(batch)
        self.update(batch)
        return rewards


class MixOptions(TypedDict, total=False):
    """The keywords every bonus constructor passes through to :class:`BonusMixer`.

    Declared once here (defaults in :class:`BonusMixer`), so the constructors take them
    as ``**mixing: Unpack[MixOptions]`` instead of restating the list.
    """

    extrinsic_coef: float
    intrinsic_coef: float
    normalize: bool
    gamma: float
    split: bool


#: the names of :class:`MixOptions`
MIX_OPTIONS: frozenset[str] = frozenset(MixOptions.__annotations__)


class BonusMixer:
    """Mixes an :class:`IntrinsicReward` into the extrinsic reward, batch by batch.

    Mixed (the default), the agent's reward is ``extrinsic_coef * r_ext +
    intrinsic_coef * r_int``, with ``r_int`` the normalised bonus. Split, it is
    ``extrinsic_coef * r_ext`` alone and the intrinsic stream ``intrinsic_coef * r_int``
    goes to the agent separately (an agent with two value heads); the two add up to the
    mixed reward.

    Args:
        reward: the intrinsic-reward computation.
        extrinsic_coef: weight of the env's reward.
        intrinsic_coef: weight of the intrinsic reward.
        normalize: divide the intrinsic reward by the running std of its discounted
            return (RND's normalisation); ``False`` uses the raw bonus.
        gamma: discount of that return.
        split: hand the intrinsic reward over separately instead of adding it in.

    Attributes:
        env_ids: ``arange(num_envs)``, the ``env_ids`` of a whole vector step's batch.
        last_intrinsic: the intrinsic rewards of the last step, ``(num_envs,)`` float64
            (what ``info["intrinsic_reward"]`` reports); zeros before the first step.
    """

    def __init__(
        self,
        reward: IntrinsicReward,
        extrinsic_coef: float = 1.0,
        intrinsic_coef: float = 1.0,
        normalize: bool = True,
        gamma: float = 0.99,
        split: bool = False,
    ) -> None:
        if not 0.0 <= check_real("gamma", gamma) < 1.0:
            raise InvalidConfigError(f"gamma must be in [0, 1), got {gamma}")
        self.reward = reward
        self.extrinsic_coef = check_real("extrinsic_coef", extrinsic_coef)
        self.intrinsic_coef = check_real("intrinsic_coef", intrinsic_coef)
        normalize = check_bool("normalize", normalize)
        self.split = check_bool("split", split)
        self.normalizer = ReturnNormalizer(reward.num_envs, gamma) if normalize else None
        self.env_ids = np.arange(reward.num_envs)
        self.last_intrinsic = np.zeros(reward.num_envs)
        self._warned = False
        self._observing_only = False
        # a step's learning put off by ``defer_update``: its transitions (no infos) and the
        # envs whose episodes it ended; part of the state, so a saved bonus resumes it
        self._deferred: Transitions | None = None
        self._deferred_ends: np.ndarray | None = None

    @contextmanager
    def observing_only(self) -> Iterator[None]:
        """Within it, each step only feeds the bonus's input statistics
        (:meth:`IntrinsicReward.observe`): nothing is scored, learned or remembered, the
        return normaliser is left alone, and the intrinsic rewards are 0. RND's warm-up
        (Burda et al. 2018) gathers the observation statistics so, with random actions."""
        self.learn_deferred()
        self._observing_only = True
        try:
            yield
        finally:
            self._observing_only = False

    def step(
        self, batch: Transitions, valid: np.ndarray | None = None, defer_update: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The agent's, the extrinsic and the intrinsic rewards of one vector step.

        Each is ``(num_envs,)``: the agent's reward and the intrinsic one are float64
        (see the class docstring for what they hold in each mode); the extrinsic one
        keeps the env's float dtype (other dtypes become float64).

        Args:
            batch: one transition per env, with ``rewards`` and ``dones``.
            valid: rows that are real transitions (``None``: all); others (autoreset
                steps) get no intrinsic reward and teach nothing.
            defer_update: with a :attr:`~IntrinsicReward.deferrable` bonus, score now and
                learn from the batch (then forget ended episodes) at
                :meth:`learn_deferred`, which runs first thing in the next call at the
                latest: the rewards are the same, and the caller can learn while the env
                steps. The batch's arrays must stay unchanged until then.
        """
        self.learn_deferred()
        r_ext = self._extrinsic(batch.rewards)
        if self._observing_only:
            self.reward.observe(batch if valid is None else batch.take(np.flatnonzero(valid)))
            zeros = np.zeros(len(r_ext))
            self.last_intrinsic = zeros
            return self.extrinsic_coef * r_ext.astype(np.float64), r_ext, zeros
        defer = defer_update and self.reward.deferrable
        raw = self._raw_intrinsic(batch, valid, defer)
        r_ext, normalised, reward = self._normalise_and_mix(r_ext, raw, valid)
        intrinsic = normalised * self.intrinsic_coef if self.split else normalised
        self._end_episodes(batch.dones, valid, defer)
        self.last_intrinsic = intrinsic
        return reward, r_ext, intrinsic

    def learn_deferred(self) -> None:
        """Runs the learning that a ``defer_update`` step put off (if any): the bonus's
        ``update`` on that step's transitions, then its ``end_episodes``."""
        batch, ends = self._deferred, self._deferred_ends
        self._deferred = self._deferred_ends = None
        if batch is not None:
            self.reward.update(batch)
        if ends is not None:
            self.reward.end_episodes(ends)

    def _extrinsic(self, rewards: np.ndarray | None) -> np.ndarray:
        """The env's rewards, checked to be one per env, as float32 or float64."""
        r_ext = np.asarray(rewards)
        if r_ext.shape != self.env_ids.shape:
            raise RewardShapeError(
                f"the env's rewards must be one per env {self.env_ids.shape}, got {r_ext.shape}"
            )
        if r_ext.dtype not in (np.float32, np.float64):  # those two are used as they are
            r_ext = r_ext.astype(np.float64)
        return r_ext

    def _raw_intrinsic(
        self, batch: Transitions, valid: np.ndarray | None, defer: bool
    ) -> np.ndarray:
        """The bonus of every env's transition before normalisation (0 where not valid);
        with ``defer`` the bonus scores them and their learning waits (:attr:`_deferred`)."""
        if valid is None:
            raw = self._checked(self._score(batch, defer), len(batch))
        else:
            raw = np.zeros(len(batch), dtype=np.float64)
            rows = np.flatnonzero(valid)
            if rows.size:
                raw[rows] = self._checked(self._score(batch.take(rows), defer), len(rows))
        if self.reward.max_abs is None:  # unknown range: keep NaN/inf out of the statistics
            raw = self._finite(np.asarray(raw, dtype=np.float64), "intrinsic")
        return raw

    def _score(self, batch: Transitions, defer: bool) -> np.ndarray:
        """``compute`` (score, then learn), or with ``defer`` ``score`` alone."""
        if not defer:
            return self.reward.compute(batch)
        self._deferred = Transitions(
            batch.obs, batch.actions, batch.next_obs, batch.rewards, batch.dones,
            env_ids=batch.env_ids,
        )  # fmt: skip
        return self.reward.score(batch)

    def _normalise_and_mix(
        self, r_ext: np.ndarray, raw: np.ndarray, valid: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(r_ext, normalised, reward)``: the normalised bonus and the agent's reward.

        In split mode the bonus weighs 0 in the reward. Non-finite values (from the env,
        or a bonus of unknown range) are zeroed in all three.
        """
        normalised, reward = np.empty(len(r_ext)), np.empty(len(r_ext))
        coefs = (self.extrinsic_coef, 0.0 if self.split else self.intrinsic_coef)
        if self.normalizer is not None:
            bound = self.reward.max_abs
            checksum = self.normalizer.normalize_and_mix(
                r_ext, raw, valid, bound, coefs, out_int=normalised, out_total=reward
            )
        else:
            checksum = mix(r_ext, raw, 1.0, math.inf, *coefs, out_int=normalised, out_total=reward)
        if math.isfinite(checksum):  # a finite sum means every term is finite
            return r_ext, normalised, reward
        r_ext = self._finite(r_ext, "extrinsic")
        normalised = self._finite(normalised, "intrinsic")
        mix(r_ext, normalised, 1.0, math.inf, *coefs, out_int=normalised, out_total=reward)
        return r_ext, normalised, self._finite(reward, "total")

    def _end_episodes(
        self, dones: np.ndarray | None, valid: np.ndarray | None, defer: bool
    ) -> None:
        """Tells the bonus which envs' episodes ended with a real transition (with
        ``defer``, after the deferred learning)."""
        ended = np.asarray(dones, dtype=bool) if valid is None else dones & valid
        if np.count_nonzero(ended):  # a C call; ndarray.any() goes through Python
            if defer:
                self._deferred_ends = np.flatnonzero(ended)
            else:
                self.reward.end_episodes(np.flatnonzero(ended))

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
