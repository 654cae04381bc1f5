"""The Stable-Baselines3 adapter: a ``VecEnvWrapper`` that adds an intrinsic reward.

Imported only when a bonus wraps an SB3 ``VecEnv`` (SB3 comes with the "agents"
extra), so ``aisam_wrappers`` itself never needs SB3.
"""

from __future__ import annotations

import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper
from stable_baselines3.common.vec_env.base_vec_env import VecEnvObs, VecEnvStepReturn

from aisam_wrappers.adapters import BonusAdapter
from aisam_wrappers.base import BonusMixer
from aisam_wrappers.batch import RowsView, Transitions


class IntrinsicRewardVecEnvWrapper(BonusAdapter, VecEnvWrapper):
    """Adds an intrinsic reward to an SB3 ``VecEnv``, so any SB3 algorithm gets the bonus.

    SB3 resets envs within ``step``; the true last observation of an ended episode is
    read from ``infos[i]["terminal_observation"]``. Each ``infos[i]`` gains
    ``"extrinsic_reward"`` and ``"intrinsic_reward"`` (floats); :attr:`last_intrinsic`
    holds the latter as one ``(num_envs,)`` array. A deferrable bonus (a learned
    model's: :attr:`~aisam_wrappers.base.IntrinsicReward.deferrable`) is scored in
    ``step_wait`` and trained on the step in the next ``step_async``, once the env's step
    is under way (same values, see :meth:`~aisam_wrappers.base.BonusMixer.step`).
    """

    def __init__(self, venv: VecEnv, mixer: BonusMixer) -> None:
        super().__init__(venv)
        self.mixer = mixer
        self._obs: np.ndarray | None = None
        self._actions: np.ndarray | None = None

    def reset(self) -> VecEnvObs:
        obs = self.venv.reset()
        self._obs = np.array(obs)
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        """Starts the env's step, then runs the last step's deferred learning (a learned
        model's training step), which so overlaps an env that steps asynchronously."""
        self._actions = np.array(actions)
        self.venv.step_async(actions)
        self.mixer.learn_deferred()

    def step_wait(self) -> VecEnvStepReturn:
        obs, env_rewards, dones, infos = self.venv.step_wait()
        next_obs = np.array(obs)  # this adapter's own copy: the batch outlives the step
        last_obs = next_obs
        if dones.any():
            last_obs = next_obs.copy()
            for i in np.flatnonzero(dones):  # only the few envs that just ended
                last_obs[i] = infos[i]["terminal_observation"]
        batch = Transitions(
            obs=self._obs,
            actions=self._actions,
            next_obs=last_obs,
            rewards=np.array(env_rewards),
            dones=np.array(dones),
            infos=RowsView(infos),
            env_ids=self.mixer.env_ids,
        )
        rewards, r_ext, r_int = self.mixer.step(batch, defer_update=True)
        for info, ext, intr in zip(infos, r_ext.tolist(), r_int.tolist(), strict=True):
            info["extrinsic_reward"] = ext
            info["intrinsic_reward"] = intr
        self._obs = next_obs
        return obs, rewards.astype(np.float32), dones, infos
