"""IntrinsicPPO: PPO with separate extrinsic and intrinsic value streams (the RND recipe).

The env carries an aisam bonus (RND, satiation, count surprise, entropy, a world model's
error...) in split mode: its reward stays extrinsic and the bonus hands over the
normalised intrinsic reward ``r_int`` (divided by the running std of its discounted
return) separately. The agent keeps two returns with their own discounts and value heads
(each on its own value MLP over the shared features, :mod:`aisam_agents.two_streams`):

``A = ext_coef · A_ext + int_coef · A_int``, with ``A_ext`` the episodic GAE of ``r_ext``
under ``gamma`` and ``A_int`` the GAE of ``r_int`` under ``gamma_int`` that episode ends
do not cut (exploration credit crosses resets, as in RND). PPO's clipped objective runs on
``A`` (through the shared loop, :class:`~aisam_agents.ppo_loop.HookedPPO`); the value loss
is the sum of both heads' squared errors.

Burda et al., "Exploration by Random Network Distillation" (2018): ``gamma`` 0.999,
``gamma_int`` 0.99, coefficients 2 and 1, observation statistics warmed up by random
steps before training.
"""

from __future__ import annotations

import io
import zipfile
from collections import deque
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from stable_baselines3.common.buffers import RolloutBuffer
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.type_aliases import GymEnv
from stable_baselines3.common.utils import explained_variance, obs_as_tensor
from stable_baselines3.common.vec_env import VecEnv

from aisam_agents.errors import CheckpointError
from aisam_agents.object_state import encode, restore
from aisam_agents.ppo_loop import HookedPPO, clip_values
from aisam_agents.two_streams import (
    IntrinsicActorCriticPolicy,
    IntrinsicCnnPolicy,
    IntrinsicDictRolloutBuffer,
    IntrinsicMultiInputPolicy,
    IntrinsicRolloutBuffer,
    IntrinsicRolloutSamples,
)
from aisam_envs.errors import InvalidConfigError, check_int, check_real
from aisam_wrappers import BonusMixer, find_bonus

__all__ = ["IntrinsicPPO"]

SelfIntrinsicPPO = TypeVar("SelfIntrinsicPPO", bound="IntrinsicPPO")

#: the zip member holding the bonus's state (not ``.pth``: SB3 would read it as a state dict)
_BONUS_MEMBER = "bonus_state.pt"
_MIXER = f"{BonusMixer.__module__}:{BonusMixer.__qualname__}"


def check_streams(gamma: Any, gamma_int: Any, ext_coef: Any, int_coef: Any) -> None:
    """:class:`InvalidConfigError` unless the two streams' settings make sense."""
    if not 0.0 <= check_real("gamma", gamma) <= 1.0:
        raise InvalidConfigError(f"gamma must be in [0, 1], got {gamma}")
    if not 0.0 <= check_real("gamma_int", gamma_int) < 1.0:
        raise InvalidConfigError(
            f"gamma_int must be in [0, 1) (the intrinsic return never ends), got {gamma_int}"
        )
    for name, value in (("ext_coef", ext_coef), ("int_coef", int_coef)):
        if check_real(name, value) < 0.0:
            raise InvalidConfigError(f"{name} must be >= 0, got {value}")
    if ext_coef == 0 and int_coef == 0:
        raise InvalidConfigError("ext_coef and int_coef are both 0: nothing to learn from")


def split_bonus(env: VecEnv) -> BonusMixer:
    """The split-mode bonus in ``env``'s wrapper stack, or :class:`InvalidConfigError`."""
    mixer = find_bonus(env)
    if mixer is None:
        raise InvalidConfigError(
            "IntrinsicPPO needs an env with an aisam bonus in split mode, e.g. "
            "PredictionErrorBonus(make_vec_env(...), split=True); this env has no bonus"
        )
    if not mixer.split:
        raise InvalidConfigError(
            f"the env's {type(mixer.reward).__name__} bonus mixes its reward into the env's: "
            "IntrinsicPPO needs it apart, build the bonus with split=True"
        )
    return mixer


class IntrinsicPPO(HookedPPO):
    """PPO with extrinsic and intrinsic value heads (see the module docstring).

    Args:
        policy: ``"MlpPolicy"``, ``"CnnPolicy"``, ``"MultiInputPolicy"`` or an
            :class:`~aisam_agents.two_streams.IntrinsicActorCriticPolicy` subclass.
        env: an SB3 ``VecEnv`` wrapped by an aisam bonus with ``split=True`` (the bonus's
            ``gamma``, 0.99 by default, is that of the return it normalises by; keep it
            equal to ``gamma_int``).
        gamma: extrinsic discount, in ``[0, 1]``.
        gamma_int: intrinsic discount, in ``[0, 1)``.
        ext_coef, int_coef: weights of the two advantages, finite, ``>= 0``, not both 0.
        warmup_rollouts: before the first update, step the env this many times
            ``n_steps`` with uniformly random actions, the bonus only gathering its input
            statistics (RND's observation whitening) from them: RND's recipe, 50 there.
            Nothing else is learned from them (not the predictor, not the return
            normaliser), and they do not count as training steps.
        **kwargs: every other argument of SB3's ``PPO``.

    Logs per rollout, besides PPO's: ``intrinsic/reward_mean``, ``explore/rooms_visited``
    and ``explore/rooms_visited_max`` (over the last episodes, where the env's infos report
    ``rooms_visited``); per update: ``intrinsic/value_loss`` and
    ``intrinsic/explained_variance`` (``train/value_loss`` and ``train/explained_variance``
    are the extrinsic head's). ``rollout/ep_rew_mean`` is extrinsic (split mode leaves the
    env's reward as it is).
    """

    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {
        "MlpPolicy": IntrinsicActorCriticPolicy,
        "CnnPolicy": IntrinsicCnnPolicy,
        "MultiInputPolicy": IntrinsicMultiInputPolicy,
    }
    #: takes its bonus in split mode (``aisam train`` builds the bonus so)
    two_reward_streams: ClassVar[bool] = True
    #: its own classes a model file may name, for :func:`aisam_agents.safe_load.safe_load`
    safe_load_classes: ClassVar[tuple[type, ...]] = (
        IntrinsicRolloutBuffer,
        IntrinsicDictRolloutBuffer,
    )
    rollout_buffer: IntrinsicRolloutBuffer | IntrinsicDictRolloutBuffer
    policy: IntrinsicActorCriticPolicy

    def __init__(
        self,
        policy: str | type[IntrinsicActorCriticPolicy],
        env: GymEnv | str | None,
        gamma: float = 0.999,
        gamma_int: float = 0.99,
        ext_coef: float = 2.0,
        int_coef: float = 1.0,
        warmup_rollouts: int = 0,
        **kwargs: Any,
    ) -> None:
        check_streams(gamma, gamma_int, ext_coef, int_coef)
        if not isinstance(policy, str) and not (
            isinstance(policy, type) and issubclass(policy, IntrinsicActorCriticPolicy)
        ):
            raise InvalidConfigError(
                "IntrinsicPPO needs a two-head policy (MlpPolicy, CnnPolicy, MultiInputPolicy "
                f"or an IntrinsicActorCriticPolicy subclass), got {policy!r}"
            )
        if kwargs.get("use_sde", False):
            raise InvalidConfigError("IntrinsicPPO does not support gSDE: use use_sde=False")
        if kwargs.get("rollout_buffer_class") is not None:
            raise InvalidConfigError("IntrinsicPPO brings its own two-stream rollout buffer")
        self.gamma_int = float(gamma_int)
        self.ext_coef = float(ext_coef)
        self.int_coef = float(int_coef)
        self.warmup_rollouts = check_int("warmup_rollouts", warmup_rollouts, 0)
        self.warmed_up = False
        self._bonus: BonusMixer | None = None
        self._saved_bonus: dict[str, Any] | None = None  # read by load(), until an env comes
        self._rooms: deque[int] | None = None
        super().__init__(policy, env, gamma=gamma, **kwargs)  # type: ignore[arg-type]
        if self.env is not None:
            self._bonus = split_bonus(self.env)

    def _setup_model(self) -> None:
        dict_obs = isinstance(self.observation_space, spaces.Dict)
        self.rollout_buffer_class = (
            IntrinsicDictRolloutBuffer if dict_obs else IntrinsicRolloutBuffer
        )
        self.rollout_buffer_kwargs = {
            **self.rollout_buffer_kwargs,
            "gamma_int": self.gamma_int,
            "ext_coef": self.ext_coef,
            "int_coef": self.int_coef,
        }
        super()._setup_model()

    def _excluded_save_params(self) -> list[str]:
        return [*super()._excluded_save_params(), "_bonus", "_saved_bonus", "_rooms"]

    def set_env(self, env: GymEnv, force_reset: bool = True) -> None:
        """SB3's ``set_env``; the env must carry a split-mode bonus, which takes the state
        of the bonus saved with this model (if it was loaded and not yet given an env)."""
        super().set_env(env, force_reset=force_reset)
        self._bonus = split_bonus(self.env)  # type: ignore[arg-type]
        self._restore_bonus()

    def learn(
        self: SelfIntrinsicPPO,
        total_timesteps: int,
        callback: Any = None,
        log_interval: int = 1,
        tb_log_name: str = "IntrinsicPPO",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> SelfIntrinsicPPO:
        """SB3's ``learn``, after the random-action warm-up on the first call."""
        if not self.warmed_up:
            self._warm_up()
        return super().learn(
            total_timesteps,
            callback=callback,
            log_interval=log_interval,
            tb_log_name=tb_log_name,
            reset_num_timesteps=reset_num_timesteps,
            progress_bar=progress_bar,
        )

    def _warm_up(self) -> None:
        """``warmup_rollouts * n_steps`` random vector steps through the env, its bonus
        only gathering its input statistics (:meth:`BonusMixer.observing_only`)."""
        env = self.env
        if env is None:
            raise InvalidConfigError("IntrinsicPPO has no env: pass one to load() or set_env()")
        if self.warmup_rollouts:
            assert self._bonus is not None
            env.reset()
            with self._bonus.observing_only():
                for _ in range(self.warmup_rollouts * self.n_steps):
                    env.step(np.stack([self.action_space.sample() for _ in range(env.num_envs)]))
            self._last_obs = None  # learn() starts from a fresh reset
        self.warmed_up = True

    def _setup_learn(
        self,
        total_timesteps: int,
        callback: Any = None,
        reset_num_timesteps: bool = True,
        tb_log_name: str = "run",
        progress_bar: bool = False,
    ) -> Any:
        result = super()._setup_learn(
            total_timesteps, callback, reset_num_timesteps, tb_log_name, progress_bar
        )
        if self._rooms is None or reset_num_timesteps:  # as SB3 renews its episode buffer
            self._rooms = deque(maxlen=self._stats_window_size)
        return result

    def collect_rollouts(
        self,
        env: VecEnv,
        callback: BaseCallback,
        rollout_buffer: RolloutBuffer,
        n_rollout_steps: int,
    ) -> bool:
        """Fills the two-stream buffer with ``n_rollout_steps`` steps per env (SB3's
        collection, plus each step's intrinsic reward and value), then computes both GAEs."""
        assert isinstance(rollout_buffer, IntrinsicRolloutBuffer | IntrinsicDictRolloutBuffer)
        bonus = self._bonus
        assert bonus is not None and self._last_obs is not None
        self.policy.set_training_mode(False)
        rollout_buffer.reset()
        callback.on_rollout_start()
        for _ in range(n_rollout_steps):
            with torch.no_grad():
                obs_tensor = obs_as_tensor(self._last_obs, self.device)  # type: ignore[arg-type]
                actions, values, log_probs = self.policy.forward_streams(obs_tensor)
            actions = actions.cpu().numpy()
            new_obs, rewards, dones, infos = env.step(self._env_actions(actions))
            intrinsic = bonus.last_intrinsic
            self.num_timesteps += env.num_envs
            callback.update_locals(locals())
            if not callback.on_step():
                return False
            self._update_info_buffer(infos, dones)
            self._record_rooms(infos, dones)
            if isinstance(self.action_space, spaces.Discrete):
                actions = actions.reshape(-1, 1)
            rewards = self._bootstrap_truncated(rewards, dones, infos)
            rollout_buffer.add_intrinsic(intrinsic, values[:, 1])
            rollout_buffer.add(
                self._last_obs,  # type: ignore[arg-type]
                actions,
                rewards,
                self._last_episode_starts,  # type: ignore[arg-type]
                values[:, :1],
                log_probs,
            )
            self._last_obs = new_obs  # type: ignore[assignment]
            self._last_episode_starts = dones
        bonus.learn_deferred()  # the last step's (the env's next step_async would run it)
        with torch.no_grad():
            last_values = self.policy.predict_stream_values(obs_as_tensor(new_obs, self.device))  # type: ignore[arg-type]
        rollout_buffer.compute_streams(last_values, dones)
        self._record_rollout(rollout_buffer)
        callback.update_locals(locals())
        callback.on_rollout_end()
        return True

    def _env_actions(self, actions: np.ndarray) -> np.ndarray:
        """The policy's actions as the env takes them (``Box``: clipped or unsquashed)."""
        if not isinstance(self.action_space, spaces.Box):
            return actions
        if self.policy.squash_output:
            return self.policy.unscale_action(actions)
        return np.clip(actions, self.action_space.low, self.action_space.high)

    def _bootstrap_truncated(
        self, rewards: np.ndarray, dones: np.ndarray, infos: list[dict[str, Any]]
    ) -> np.ndarray:
        """Extrinsic rewards ``(n_envs,)`` plus ``gamma · V_ext(last obs)`` where a time
        limit cut the episode (as SB3 does); the intrinsic stream needs no such fix, as
        episode ends do not cut it."""
        for i in np.flatnonzero(dones):
            info = infos[i]
            if info.get("terminal_observation") is not None and info.get(
                "TimeLimit.truncated", False
            ):
                terminal_obs = self.policy.obs_to_tensor(info["terminal_observation"])[0]
                with torch.no_grad():
                    value = self.policy.predict_values(terminal_obs)[0]  # type: ignore[arg-type]
                rewards[i] += self.gamma * float(value)
        return rewards

    def _record_rooms(self, infos: list[dict[str, Any]], dones: np.ndarray) -> None:
        """Keeps the ``rooms_visited`` count of each episode that ended (where reported)."""
        assert self._rooms is not None
        for i in np.flatnonzero(dones):
            rooms = infos[i].get("rooms_visited")
            if rooms is not None:
                self._rooms.append(int(rooms))

    def _record_rollout(self, buffer: IntrinsicRolloutBuffer | IntrinsicDictRolloutBuffer) -> None:
        """Logs the rollout's intrinsic reward and the recent episodes' rooms."""
        self.logger.record("intrinsic/reward_mean", float(buffer.intrinsic_rewards.mean()))
        if self._rooms:
            self.logger.record("explore/rooms_visited", float(np.mean(self._rooms)))
            self.logger.record("explore/rooms_visited_max", max(self._rooms))

    def minibatch_loss(
        self,
        data: IntrinsicRolloutSamples,  # type: ignore[override]
        clip_range: float,
        clip_range_vf: float | None,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """PPO's clipped objective on the combined advantage, plus both heads' value losses."""
        values, log_prob, entropy = self.policy.evaluate_streams(
            data.observations,
            self.buffer_actions(data),  # type: ignore[arg-type]
        )
        pg_loss, entropy_loss, stats = self.policy_terms(data, log_prob, entropy, clip_range)  # type: ignore[arg-type]
        ext_pred = clip_values(values[:, 0], data.old_values, clip_range_vf)
        int_pred = clip_values(values[:, 1], data.old_intrinsic_values, clip_range_vf)
        ext_loss = F.mse_loss(data.returns, ext_pred)
        int_loss = F.mse_loss(data.intrinsic_returns, int_pred)
        stats["train/value_loss"] = ext_loss.detach()
        stats["intrinsic/value_loss"] = int_loss.detach()
        loss = pg_loss + self.ent_coef * entropy_loss + self.vf_coef * (ext_loss + int_loss)
        return loss, stats

    def train(self) -> None:
        """One update of the shared loop; logs the intrinsic head's explained variance."""
        super().train()
        buffer = self.rollout_buffer
        ev = explained_variance(
            buffer.intrinsic_values.flatten(), buffer.intrinsic_returns.flatten()
        )
        self.logger.record("intrinsic/explained_variance", float(ev))

    def _write_zip(self, file: io.BufferedIOBase, exclude: Any, include: Any) -> None:
        """SB3's members plus the bonus's whole state (networks, optimiser, memories,
        normalisers) in the same zip, so a loaded model explores on where it stopped."""
        buffer = io.BytesIO()
        super()._write_zip(buffer, exclude, include)
        with (
            zipfile.ZipFile(buffer, mode="a") as archive,
            archive.open(_BONUS_MEMBER, mode="w", force_zip64=True) as member,
        ):
            torch.save(self._saved_bonus if self._bonus is None else encode(self._bonus), member)
        file.write(buffer.getvalue())

    @classmethod
    def check_overrides(cls, overrides: dict[str, Any]) -> None:
        """``load``'s overrides of ``gamma``, ``gamma_int``, ``ext_coef``, ``int_coef`` and
        ``n_epochs`` are checked as in the constructor."""
        super().check_overrides(overrides)
        check_streams(
            overrides.get("gamma", 0.5),  # stand-ins that pass, for what is not overridden
            overrides.get("gamma_int", 0.5),
            overrides.get("ext_coef", 1.0),
            overrides.get("int_coef", 1.0),
        )

    def _on_load(self, path: Path | io.BufferedIOBase) -> None:
        """Reads the bonus state saved with the model; it goes into the env's bonus now, or
        into the env given later to ``set_env``."""
        self._saved_bonus = _read_bonus(path)
        self._restore_bonus()

    @classmethod
    def _saved_by_this_class(cls, data: dict[str, Any]) -> bool:
        """A two-head policy and ``gamma_int`` among the saved attributes."""
        return super()._saved_by_this_class(data) and "gamma_int" in data

    def _restore_bonus(self) -> None:
        """Writes the saved bonus state into the env's bonus, once there is an env."""
        saved, bonus = self._saved_bonus, self._bonus
        if saved is None or bonus is None:
            return
        reward = saved["attrs"]["reward"]
        kind, n_envs = reward["object"].rpartition(":")[2], reward["attrs"].get("num_envs")
        if kind != type(bonus.reward).__name__ or n_envs != bonus.reward.num_envs:
            raise CheckpointError(
                f"the model was saved with a {kind} bonus over {n_envs} envs, the env has a "
                f"{type(bonus.reward).__name__} bonus over {bonus.reward.num_envs}: give it an "
                "env like the one it trained on"
            )
        restore(bonus, saved)
        self._saved_bonus = None


def _read_bonus(path: Path | io.BufferedIOBase) -> dict[str, Any]:
    """The bonus state saved in the model file at ``path`` (read as weights only)."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(_BONUS_MEMBER) as member:
            state = torch.load(io.BytesIO(member.read()), map_location="cpu", weights_only=True)
    except KeyError as exc:
        raise CheckpointError(
            f"{path} has no bonus state ({_BONUS_MEMBER}): it is damaged or was not saved by "
            "IntrinsicPPO.save"
        ) from exc
    except Exception as exc:  # the archive opened for SB3, so a failure is this member's
        raise CheckpointError(f"{path}: its bonus state is damaged ({exc})") from exc
    if not isinstance(state, dict) or state.get("object") != _MIXER:
        raise CheckpointError(f"{path}: its {_BONUS_MEMBER} holds no bonus state")
    return state
