"""Saving and loading PonderDreamer: one ``torch.save`` of state dicts, counters and JSON
configs, read back with ``torch.load(weights_only=True)`` (opening a file never runs code)."""

from __future__ import annotations

import dataclasses
import inspect
import json
from pathlib import Path
from typing import Any, TypeVar

import torch
from stable_baselines3.common.type_aliases import GymEnv
from stable_baselines3.common.utils import get_device

from aisam_agents.errors import CheckpointError
from aisam_agents.replay import SequenceReplay
from aisam_agents.world_model import WorldModelConfig
from aisam_agents.world_model.checkpoint import read_payload, read_spaces, spaces_entries
from aisam_envs.errors import InvalidConfigError

__all__ = ["FORMAT", "VERSION", "PersistenceMixin"]

FORMAT = "aisam.ponder_dreamer"
VERSION = 1
_STATE = ("world_model", "policy", "world_model_optimizer", "actor_optimizer", "critic_optimizer")
_COUNTERS = ("num_timesteps", "n_updates", "episode_num", "world_model_steps")
#: constructor arguments that ``load`` sets itself, not overridable settings
_NOT_SETTINGS = {"self", "policy", "env", "world_model", "device", "_init_setup_model"}

SelfAgent = TypeVar("SelfAgent")


class PersistenceMixin:
    """``save``/``load`` of :class:`~aisam_agents.ponder_dreamer.PonderDreamer`, and of its
    replay buffer (kept out of the model file, as SB3 keeps its own)."""

    def _state(self) -> dict[str, Any]:
        return {
            "world_model": self.world_model.state_dict(),
            "policy": self.policy.state_dict(),
            "world_model_optimizer": self.world_model.optimizer.state_dict(),
            "actor_optimizer": self.actor_optimizer.state_dict(),
            "critic_optimizer": self.critic_optimizer.state_dict(),
        }

    def save(self, path: str | Path) -> None:
        """Writes the world model, actor, critics, normaliser, optimizers, counters and
        random streams to ``path`` (not the replay: :meth:`save_replay_buffer`)."""
        payload = {
            "format": FORMAT,
            "version": VERSION,
            "config": json.dumps({**self.hparams, "seed": self.seed}),
            "world_model_config": self.world_model.config.to_json(),
            **spaces_entries(self.observation_space, self.action_space),
            "state": self._state(),
            "counters": {
                "num_timesteps": int(self.num_timesteps),
                "n_updates": int(self._n_updates),
                "episode_num": int(self._episode_num),
                "world_model_steps": int(self.world_model.steps_done),
            },
            "train_credit": float(self._train_credit),
            "generators": {
                "agent": self.generator.get_state(),
                "world_model": self.world_model.generator.get_state(),
            },
        }
        torch.save(payload, Path(path))

    @classmethod
    def load(
        cls: type[SelfAgent],
        path: str | Path,
        env: GymEnv | None = None,
        device: torch.device | str = "auto",
        **kwargs: Any,
    ) -> SelfAgent:
        """An agent saved by :meth:`save`, on ``env`` (optional: ``predict`` needs none).

        ``kwargs`` override saved settings (``tensorboard_log``, ``verbose``,
        ``learning_starts``...).

        Raises:
            CheckpointError: a missing, damaged or foreign file.
            InvalidConfigError: ``env`` has other spaces than the saved agent, or a bad
                ``device`` or override.
        """
        path = Path(path)
        payload = read_payload(path, FORMAT, VERSION, "PonderDreamer file")
        try:
            config = json.loads(payload["config"])
            wm_config = WorldModelConfig.from_json(payload["world_model_config"])
            obs_space, act_space = read_spaces(payload)
            state, counters = payload["state"], payload["counters"]
            credit, generators = float(payload["train_credit"]), payload["generators"]
            if not isinstance(config, dict) or set(state) != set(_STATE):
                raise ValueError("config or state entries")
            if any(type(counters[k]) is not int for k in _COUNTERS):
                raise ValueError(f"counters {counters}")
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{path} is a damaged PonderDreamer file ({exc})") from exc
        settings = set(inspect.signature(cls.__init__).parameters) - _NOT_SETTINGS
        unknown = set(kwargs) - settings
        if unknown:
            raise InvalidConfigError(f"unknown PonderDreamer settings {sorted(unknown)}")
        wm_config = dataclasses.replace(wm_config, device=str(get_device(device)))
        agent = cls(
            "auto", env, world_model=wm_config, device=device, _init_setup_model=False,
            **{**config, **kwargs},
        )  # fmt: skip
        if env is None:
            agent.observation_space, agent.action_space, agent.n_envs = obs_space, act_space, 1
        elif (agent.observation_space, agent.action_space) != (obs_space, act_space):
            raise InvalidConfigError(
                f"{path} was saved for {obs_space} -> {act_space}; the env has "
                f"{agent.observation_space} -> {agent.action_space}"
            )
        agent._setup_model()
        try:
            agent.world_model.load_state_dict(state["world_model"])
            agent.policy.load_state_dict(state["policy"])
            agent.world_model.optimizer.load_state_dict(state["world_model_optimizer"])
            agent.actor_optimizer.load_state_dict(state["actor_optimizer"])
            agent.critic_optimizer.load_state_dict(state["critic_optimizer"])
            agent.generator.set_state(generators["agent"])
            agent.world_model.generator.set_state(generators["world_model"])
        except (KeyError, RuntimeError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{path} does not match its saved config ({exc})") from exc
        agent.num_timesteps = counters["num_timesteps"]
        agent._n_updates = counters["n_updates"]
        agent._episode_num = counters["episode_num"]
        agent.world_model.steps_done = counters["world_model_steps"]
        agent._train_credit = credit
        return agent

    def save_replay_buffer(self, path: str | Path) -> None:
        """Writes the replay buffer to ``path`` (:meth:`SequenceReplay.save`)."""
        self.replay.save(path)

    def load_replay_buffer(self, path: str | Path) -> None:
        """Replaces the replay buffer by one saved with :meth:`save_replay_buffer`.

        Raises:
            CheckpointError: a damaged file, or one for other spaces or another env count.
        """
        replay = SequenceReplay.load(path, str(self.device))
        if (replay.observation_space, replay.action_space, replay.n_envs) != (
            self.observation_space,
            self.action_space,
            self.n_envs,
        ):
            raise CheckpointError(f"{path} holds a replay of other spaces or env count")
        self.replay = replay
