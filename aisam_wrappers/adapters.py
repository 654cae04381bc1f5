"""The three adapters of a :class:`~aisam_wrappers.base.BonusMixer`, and the dispatch.

:func:`wrap_bonus` picks the adapter by the env's type: a gymnasium ``Env`` gets a
``gymnasium.Wrapper``, a gymnasium ``VectorEnv`` a ``VectorWrapper`` and an SB3
``VecEnv`` an SB3 ``VecEnvWrapper`` (imported only then), so any SB3 algorithm
trains on the bonus.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Unpack

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv, VectorWrapper

from aisam_envs.errors import InvalidConfigError, require_extra
from aisam_wrappers.base import BonusMixer, IntrinsicReward, MixOptions
from aisam_wrappers.batch import RowsView, Transitions

#: ``(observation_space, action_space, num_envs) -> IntrinsicReward``
RewardFactory = Callable[[spaces.Space, spaces.Space, int], IntrinsicReward]


class BonusAdapter:
    """What the three adapters share: a :class:`BonusMixer`, and its last intrinsic rewards.

    Attributes:
        mixer: the mixer (``mixer.reward`` is the :class:`IntrinsicReward`).
    """

    mixer: BonusMixer

    @property
    def last_intrinsic(self) -> np.ndarray:
        """The last step's intrinsic rewards, ``(num_envs,)`` float64, as ``info`` reports
        them (read by two-stream agents in split mode, with no loop over SB3's infos)."""
        return self.mixer.last_intrinsic


class IntrinsicRewardWrapper(BonusAdapter, gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Adds an intrinsic reward to a single gymnasium env (a batch of one).

    ``info["extrinsic_reward"]`` and ``info["intrinsic_reward"]`` (floats) report the
    two parts; the returned reward is their mix, or the extrinsic part alone in split
    mode (see :class:`BonusMixer`).
    """

    def __init__(self, env: gym.Env, mixer: BonusMixer) -> None:
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.Wrapper.__init__(self, env)
        self.mixer = mixer
        self._obs: np.ndarray | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
        obs, info = self.env.reset(seed=seed, options=options)
        self._obs = np.array(obs)[None]
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        if self._obs is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        next_obs, env_reward, terminated, truncated, info = self.env.step(action)
        batch = Transitions(
            obs=self._obs,
            actions=np.asarray(action)[None],
            next_obs=np.array(next_obs)[None],
            rewards=np.array([env_reward]),
            dones=np.array([terminated or truncated]),
            infos=RowsView([info]),
            env_ids=self.mixer.env_ids,
        )
        reward, r_ext, r_int = self.mixer.step(batch)
        self._obs = batch.next_obs
        info = {**info, "extrinsic_reward": float(r_ext[0]), "intrinsic_reward": float(r_int[0])}
        return next_obs, float(reward[0]), terminated, truncated, info


class IntrinsicRewardVectorWrapper(BonusAdapter, VectorWrapper):
    """Adds an intrinsic reward to a gymnasium vector env, all envs in one batch.

    Handles every autoreset mode: with NEXT_STEP (the default) the reset step of an
    env is not a transition and gets no bonus; with SAME_STEP the true last
    observation is taken from ``info["final_obs"]``. ``info["extrinsic_reward"]`` and
    ``info["intrinsic_reward"]`` are ``(num_envs,)`` arrays.
    """

    def __init__(self, env: VectorEnv, mixer: BonusMixer) -> None:
        super().__init__(env)
        self.mixer = mixer
        mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
        self._mode = AutoresetMode(mode) if isinstance(mode, str) else mode
        self._obs: np.ndarray | None = None
        self._resetting = np.zeros(env.num_envs, dtype=bool)

    def reset(self, *, seed: Any = None, options: dict[str, Any] | None = None) -> Any:
        obs, info = self.env.reset(seed=seed, options=options)
        if self._obs is None or options is None or "reset_mask" not in options:
            self._obs = np.array(obs)
            self._resetting[:] = False
        else:  # partial reset (DISABLED mode): only the masked envs start over
            mask = options["reset_mask"]
            self._obs[mask] = np.asarray(obs)[mask]
            self._resetting[mask] = False
        return obs, info

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if self._obs is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        next_obs, env_rewards, terminated, truncated, info = self.env.step(actions)
        dones = np.logical_or(terminated, truncated)
        last_obs, valid = np.asarray(next_obs), None
        if self._mode == AutoresetMode.NEXT_STEP:
            valid = ~self._resetting if np.count_nonzero(self._resetting) else None
            self._resetting = dones
        elif self._mode == AutoresetMode.SAME_STEP and dones.any():
            last_obs = last_obs.copy()
            for i in np.flatnonzero(dones):  # only the few envs that just ended
                last_obs[i] = info["final_obs"][i]
        batch = Transitions(
            obs=self._obs,
            actions=np.asarray(actions),
            next_obs=last_obs,
            rewards=env_rewards,
            dones=dones,
            infos=RowsView(info),
            env_ids=self.mixer.env_ids,
        )
        rewards, r_ext, r_int = self.mixer.step(batch, valid)
        self._obs = np.array(next_obs)
        info = {**info, "extrinsic_reward": r_ext, "intrinsic_reward": r_int}
        return next_obs, rewards, terminated, truncated, info


def env_kind(env: Any) -> tuple[str, spaces.Space, spaces.Space, int]:
    """``(kind, observation_space, action_space, num_envs)`` of a single, vector or SB3 env."""
    if isinstance(env, VectorEnv):
        return "vector", env.single_observation_space, env.single_action_space, env.num_envs
    if isinstance(env, gym.Env):
        return "single", env.observation_space, env.action_space, 1
    sb3 = sys.modules.get("stable_baselines3.common.vec_env")
    if sb3 is not None and isinstance(env, sb3.VecEnv):
        return "sb3", env.observation_space, env.action_space, env.num_envs
    raise InvalidConfigError(
        f"cannot add a bonus to {type(env).__name__}: pass a gymnasium Env, a gymnasium "
        "VectorEnv or a stable-baselines3 VecEnv"
    )


def wrap_bonus(env: Any, factory: RewardFactory, **mixing: Unpack[MixOptions]) -> Any:
    """Wraps ``env`` (single, vector or SB3) with the intrinsic reward ``factory`` builds.

    Args:
        env: a gymnasium ``Env``, gymnasium ``VectorEnv`` or SB3 ``VecEnv``.
        factory: builds the :class:`IntrinsicReward` from the env's single-env spaces
            and number of envs.
        mixing: ``extrinsic_coef``, ``intrinsic_coef``, ``normalize``, ``gamma``,
            ``split``; see :class:`BonusMixer`.

    Returns:
        An :class:`IntrinsicRewardWrapper`, :class:`IntrinsicRewardVectorWrapper` or
        ``aisam_wrappers.sb3.IntrinsicRewardVecEnvWrapper``, matching ``env``.
    """
    kind, obs_space, act_space, num_envs = env_kind(env)
    mixer = BonusMixer(factory(obs_space, act_space, num_envs), **mixing)
    if kind == "single":
        return IntrinsicRewardWrapper(env, mixer)
    if kind == "vector":
        return IntrinsicRewardVectorWrapper(env, mixer)
    require_extra("stable_baselines3", "agents")
    from aisam_wrappers.sb3 import IntrinsicRewardVecEnvWrapper

    return IntrinsicRewardVecEnvWrapper(env, mixer)


def find_bonus(env: Any, kind: type[IntrinsicReward] = IntrinsicReward) -> BonusMixer | None:
    """The mixer of the outermost bonus in ``env``'s wrapper stack whose reward is a ``kind``.

    The bonus constructors (``SatiationBonus`` ...) return one of three adapter classes
    whichever bonus they add, so ``isinstance(env, SatiationBonus)`` cannot work; ask
    ``find_bonus(env, Satiation)`` instead. It walks gymnasium ``Wrapper.env``,
    ``VectorWrapper.env`` and SB3 ``VecEnvWrapper.venv`` links (e.g. through a
    ``RecordEpisodeStatistics`` or ``VecNormalize`` around the bonus).

    Args:
        env: a gymnasium ``Env`` / ``VectorEnv`` or SB3 ``VecEnv``, wrapped or not.
        kind: the :class:`IntrinsicReward` subclass to look for (default: any bonus).

    Returns:
        The :class:`BonusMixer` (its ``reward`` is the ``kind`` instance), or ``None``.
    """
    sb3 = sys.modules.get("stable_baselines3.common.vec_env")
    while True:
        if isinstance(env, BonusAdapter) and isinstance(env.mixer.reward, kind):
            return env.mixer
        if isinstance(env, gym.Wrapper | VectorWrapper):
            env = env.env
        elif sb3 is not None and isinstance(env, sb3.VecEnvWrapper):
            env = env.venv
        else:
            return None
