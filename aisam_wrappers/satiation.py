"""Satiation: novelty that habituates with exposure and recovers with time away.

Every state (or state-action) key carries an exposure count ``n``. Entering it pays a
bonus ``curve(n)`` that starts at 1 and decays with ``n`` along the chosen satiation
curve; with ``recovery_rate > 0`` the count itself decays by ``exp(-rate * dt)`` over
the ``dt`` vector steps spent away, so a state left alone becomes interesting again.
Memory is lifelong (one count per key) or episodic (forgotten when an env's episode
ends). Per batch it is a few vectorised numpy operations and one fused count update.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from aisam_envs.errors import InvalidConfigError, check_bool, check_int, check_real
from aisam_wrappers._kernels import (
    EXPONENTIAL,
    HYPERBOLIC,
    SIGMOID,
    first_outside,
    satiation_curve,
    take_add,
)
from aisam_wrappers.adapters import wrap_bonus
from aisam_wrappers.base import MIX_OPTIONS, IntrinsicReward
from aisam_wrappers.batch import Transitions
from aisam_wrappers.errors import OutOfSpaceError, UnsupportedSpaceError
from aisam_wrappers.keys import (
    KEY_RANGE_LIMIT,
    MAX_HASH_BITS,
    KeyFn,
    discrete_offsets,
    make_state_key,
    mix_keys,
)
from aisam_wrappers.memory import KeyedArrays

CURVES = ("exponential", "hyperbolic", "sigmoid")

#: cap on the curves' rates (``1 / half_life``, ``power``, ``1 / width``): ``count * rate``
#: stays finite in float32 (float32 counts stop growing at 2**24)
MAX_RATE = 1e30


@dataclass(frozen=True)
class SatiationConfig:
    """Settings of :class:`Satiation`.

    Attributes:
        curve: ``"exponential"`` (``2 ** (-n / half_life)``), ``"hyperbolic"``
            (``(1 + n) ** -power``; ``power=0.5`` is the count-based ``1/sqrt(n)``) or
            ``"sigmoid"`` (stays near 1, then drops around ``midpoint`` exposures).
        half_life: exposures that halve the exponential bonus.
        power: exponent of the hyperbolic curve.
        midpoint: exposures at which the sigmoid bonus is half its start.
        width: exposures over which the sigmoid drops (its scale).
        recovery_rate: per-step decay rate of a key's count while it is not visited
            (0: no recovery).
        memory: ``"lifelong"`` or ``"episodic"`` (counts reset at each episode end).
        per_action: key state-action pairs instead of states.
        key: how observations become keys: ``"auto"``, ``"discrete"``,
            ``"multidiscrete"`` or ``"simhash"`` (see :mod:`aisam_wrappers.keys`).
        hash_bits: SimHash code length.
        seed: SimHash projection seed.
    """

    curve: str = "hyperbolic"
    half_life: float = 10.0
    power: float = 0.5
    midpoint: float = 10.0
    width: float = 2.0
    recovery_rate: float = 0.0
    memory: str = "lifelong"
    per_action: bool = False
    key: str = "auto"
    hash_bits: int = 32
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.curve, str) or self.curve not in CURVES:
            raise InvalidConfigError(f"curve must be one of {CURVES}, got {self.curve!r}")
        if not isinstance(self.memory, str) or self.memory not in ("lifelong", "episodic"):
            raise InvalidConfigError(
                f"memory must be 'lifelong' or 'episodic', got {self.memory!r}"
            )
        for name in ("half_life", "power", "width"):
            if not check_real(name, getattr(self, name)) > 0:
                raise InvalidConfigError(f"{name} must be > 0, got {getattr(self, name)}")
        check_real("midpoint", self.midpoint)
        if not check_real("recovery_rate", self.recovery_rate) >= 0:
            raise InvalidConfigError(f"recovery_rate must be >= 0, got {self.recovery_rate}")
        check_int("hash_bits", self.hash_bits, 1, MAX_HASH_BITS)
        check_int("seed", self.seed, 0)
        check_bool("per_action", self.per_action)

    def curve_args(self) -> tuple[int, float, float, float]:
        """The arguments of :func:`~aisam_wrappers._kernels.satiation_curve` after the counts.

        Rates are capped at :data:`MAX_RATE`, so that extreme (legal) settings overflow
        nothing in float32; a curve that steep is a step from 1 to 0 either way.
        """
        if self.curve == "exponential":
            return EXPONENTIAL, max(-1.0 / self.half_life, -MAX_RATE), 0.0, 1.0
        if self.curve == "hyperbolic":
            return HYPERBOLIC, min(self.power, MAX_RATE), 0.0, 1.0
        # (1 + e^u) / (1 + e^(u + n / width)), u = -midpoint / width, divided through by
        # e^max(u, 0) so that nothing overflows; the cap on the rate also keeps
        # midpoint * rate finite (it keeps the midpoint and only sharpens the step)
        above = max(self.midpoint, 0.0)
        rate = min(1.0 / self.width, MAX_RATE / max(above, 1.0))
        return SIGMOID, math.exp(min(self.midpoint, 0.0) * rate), above * rate, rate

    def bonus(self, counts: np.ndarray) -> np.ndarray:
        """The satiation curve at exposure counts ``counts`` (1 at 0, decreasing), float32."""
        out = np.array(counts, dtype=np.float32)
        satiation_curve(out.reshape(-1), *self.curve_args())
        return out


class Satiation(IntrinsicReward):
    """Count-based novelty with satiation curves, recovery and episodic/lifelong memory.

    Args:
        observation_space, action_space, num_envs: of the env (single-env spaces).
        config: the satiation settings.
        key_fn: optional ``key_fn(obs, infos) -> (n,) or (n, k) ints`` that replaces the
            observation key (e.g. Montezuma's ``(room, x, y)`` from ``infos``).
    """

    max_abs = 1.0  # every satiation curve lies in (0, 1]

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        num_envs: int = 1,
        config: SatiationConfig | None = None,
        key_fn: KeyFn | None = None,
    ) -> None:
        super().__init__(observation_space, action_space, num_envs)
        self.config = cfg = config or SatiationConfig()
        self._curve = cfg.curve_args()
        self.state_key = make_state_key(observation_space, cfg.key, key_fn, cfg.hash_bits, cfg.seed)
        n_keys = self.state_key.n_keys
        if cfg.per_action:
            if not isinstance(action_space, spaces.Discrete):
                raise UnsupportedSpaceError(
                    f"per_action=True needs a Discrete action space, got {action_space}; "
                    "use per_action=False"
                )
            self._n_actions = int(action_space.n)
            self._action_start = int(action_space.start)
            if n_keys is not None:  # dense pairs while they fit int64, else hashed pairs
                n_keys *= self._n_actions
                n_keys = n_keys if n_keys < KEY_RANGE_LIMIT else None
        self._dense_keys = n_keys is not None
        self._episodic = cfg.memory == "episodic"
        self._recovers = cfg.recovery_rate > 0
        columns: dict[str, tuple[type, float]] = {"count": (np.float32, 0.0)}
        if self._recovers:
            columns["last"] = (np.int64, 0)
        rows = self.num_envs if self._episodic else 1
        self.memory = KeyedArrays(n_keys, columns, rows=rows, clearable=self._episodic)
        self.t = 0

    def keys(self, batch: Transitions) -> np.ndarray:
        """Memory keys of entering the batch's ``next_obs`` by its ``actions``, ``(n,)`` int64.

        With ``per_action``, an action outside the action space is an
        :class:`OutOfSpaceError` (its pair key would be another pair's), and so is a state
        key outside its range when pairs are hashed (the memory has no range to check then).
        """
        keys = self.state_key(batch.next_obs, batch.infos)
        if not self.config.per_action:
            return keys
        a = discrete_offsets(
            batch.actions, self._action_start, self._n_actions, self.action_space, "action"
        )
        if self._dense_keys:  # a state key outside its range makes a pair key outside too
            pairs = keys * self._n_actions
            pairs += a  # in place: one temporary less on the hot path
            return pairs
        n_states = self.state_key.n_keys
        bad = -1 if n_states is None else first_outside(keys, n_states)
        if bad >= 0:
            raise self._outside(f"key {int(keys[bad])} is outside 0..{n_states - 1}")
        return mix_keys(keys, a)

    def _outside(self, what: str) -> OutOfSpaceError:
        """The error of a key outside its range (``what``): its observation is outside the
        observation space."""
        return OutOfSpaceError(
            f"state {what}: the observation is not in the observation space "
            f"{self.observation_space}"
        )

    def _rows(self, batch: Transitions) -> np.ndarray | None:
        """The memory rows of the batch: its envs with episodic memory, else ``None`` (one
        memory shared by all envs)."""
        if not self._episodic:
            return None
        if batch.env_ids is None:
            raise InvalidConfigError(
                "episodic memory keeps counts per env: the batch needs env_ids"
            )
        return batch.env_ids

    def _slots(self, keys: np.ndarray, rows: np.ndarray | None, insert: bool) -> np.ndarray:
        """Memory entries of ``keys`` (created if ``insert``), range-checked by the memory;
        except when inserting without recovery: then ``take_add`` checks, fused."""
        try:
            if insert:
                return self.memory.insert(keys, rows, check=self._recovers)
            return self.memory.find(keys, rows)
        except OutOfSpaceError as exc:
            raise self._outside(str(exc)) from None

    def _counts(self, slots: np.ndarray, t: int) -> np.ndarray:
        """Effective exposure counts at ``slots`` at step ``t`` (recovery applied; 0 if absent)."""
        counts = self.memory.get("count", slots)
        if self._recovers:
            away = t - self.memory.get("last", slots)
            counts = counts * np.exp(-self.config.recovery_rate * away).astype(np.float32)
        return counts

    def score(self, batch: Transitions) -> np.ndarray:
        """``curve(n)`` for each entered key, ``(n,)`` float32 in (0, 1]."""
        slots = self._slots(self.keys(batch), self._rows(batch), insert=False)
        # the batch's step is t + 1, as in update/compute (which count it before exposing)
        counts = self._counts(slots, self.t + 1)  # a fresh float32 array: curved in place
        satiation_curve(counts, *self._curve)
        return counts

    def update(self, batch: Transitions) -> dict[str, float]:
        """Adds one exposure to each entered key (after applying recovery)."""
        self.t += 1
        self._expose(batch)
        return {}

    def compute(self, batch: Transitions) -> np.ndarray:
        """:meth:`score` then :meth:`update`, computing the keys once."""
        self.t += 1
        before = self._expose(batch)
        satiation_curve(before, *self._curve)
        return before

    def _expose(self, batch: Transitions) -> np.ndarray:
        """Counts one exposure for each entered key; returns the counts before it."""
        slots = self._slots(self.keys(batch), self._rows(batch), insert=True)
        count = self.memory.columns["count"]
        if self._recovers:
            count[slots] = self._counts(slots, self.t)
            self.memory.columns["last"][slots] = self.t
        before = np.empty(len(slots), dtype=np.float32)
        bad = take_add(count, slots, before)
        if bad >= 0:
            raise self._outside(f"key {int(slots[bad])} is outside 0..{count.size - 1}")
        return before

    def end_episodes(self, env_ids: np.ndarray) -> None:
        """Episodic memory: the ended envs start their next episode with no counts."""
        if self._episodic:
            self.memory.clear(env_ids)


def SatiationBonus(  # noqa: N802  (a wrapper constructor, named like the wrapper it makes)
    env: Any,
    *,
    seed: int | None = None,
    key_fn: KeyFn | None = None,
    config: SatiationConfig | None = None,
    **settings: Any,
) -> Any:
    """Wraps ``env`` (gymnasium Env / VectorEnv or SB3 VecEnv) with a satiation bonus.

    A function that returns the adapter matching ``env``'s type, not a class: find the
    bonus in a wrapper stack with ``find_bonus(env, Satiation)``.

    Args:
        env: the env to wrap; the adapter matches its type.
        seed: the SimHash projection seed (``SatiationConfig.seed``), unless ``config``
            is given (it has its own).
        key_fn: optional user key ``key_fn(obs, infos)``.
        config: a :class:`SatiationConfig`; or give its fields as keyword ``settings``
            (e.g. ``curve="exponential", half_life=5``).
        settings: the :class:`~aisam_wrappers.base.MixOptions` (``extrinsic_coef``,
            ``intrinsic_coef``, ``normalize``, ``gamma``, ``split``; see
            :class:`~aisam_wrappers.base.BonusMixer`), then ``SatiationConfig`` fields.
    """
    mixing = {name: settings.pop(name) for name in MIX_OPTIONS & settings.keys()}
    if config is not None and settings:
        raise InvalidConfigError("pass either config= or SatiationConfig fields, not both")
    if config is None:
        config = SatiationConfig(**settings, **({} if seed is None else {"seed": seed}))
    return wrap_bonus(env, lambda o, a, n: Satiation(o, a, n, config, key_fn), **mixing)
