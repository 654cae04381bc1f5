"""LearnMax checkpoints: one ``torch.save`` of plain containers and tensors.

A checkpoint holds the agent's settings and seed (JSON), the world model's config (JSON),
the spaces, the weights and optimizer states of the world model, the ensemble heads and the
leaf value, the context visit counts (``"infogain"``), the frontier value's graph of frames
(``leaf_value="frontier"``), the counters, the salience
statistics and events, and the random streams. It does not hold the replay's contents: a
loaded agent refills the replay (one window) before it trains again. It loads with
``torch.load(weights_only=True)``, so opening one never runs code.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from aisam_agents.errors import CheckpointError
from aisam_agents.learnmax.salience import SalientEvent
from aisam_agents.learnmax.vec import SpacesEnv, as_vec_env
from aisam_agents.world_model import WorldModel, WorldModelConfig
from aisam_agents.world_model.checkpoint import read_payload, read_spaces, spaces_entries
from aisam_envs.atomic import atomic_write
from aisam_envs.errors import InvalidConfigError

if TYPE_CHECKING:
    from aisam_agents.learnmax.agent import LearnMax

FORMAT = "aisam.learnmax"
VERSION = 3  # 2: the context visit counts; 3: the frontier graph, leaf_value a string


def _events(agent: LearnMax) -> dict[str, torch.Tensor]:
    """The salient events as columns of tensors."""
    events, space = agent.salient_events, agent.observation_space
    obs = np.stack([e.observation for e in events]) if events else np.zeros((0, *space.shape))
    return {
        "timestep": torch.tensor([e.timestep for e in events], dtype=torch.int64),
        "env": torch.tensor([e.env for e in events], dtype=torch.int64),
        "change": torch.tensor([e.change for e in events], dtype=torch.float64),
        "observation": torch.as_tensor(obs.astype(space.dtype)),
    }


def save_agent(agent: LearnMax, path: Path) -> None:
    """Writes ``agent`` to ``path`` (see the module docstring for what is kept)."""
    model = agent.model
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "params": json.dumps({**agent.params, "seed": agent.seed}),
        "world_model_config": model.config.to_json(),
        **spaces_entries(agent.observation_space, agent.action_space),
        "world_model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "model_optimizer": model.optimizer.state_dict(),
        "model_steps": model.steps_done,
        "heads": None if agent.heads is None else agent.heads.state_dict(),
        "value": None
        if agent.value is None
        else [agent.value.state_dict(), agent.value_optimizer.state_dict()],
        "counts": None if agent.counts is None else agent.counts.state(),
        "frontier": None if agent.frontier is None else agent.frontier.state(),
        "learner": agent.learner.state(),
        "counters": [agent.num_timesteps, agent.imagined_transitions],
        "salience": agent.salience.state(),
        "events": _events(agent),
        "generator": agent.generator.get_state(),
        "rng": json.dumps(agent.rng.bit_generator.state),
    }
    with atomic_write(path) as file:  # a full disk keeps the previous checkpoint
        torch.save(payload, file)


def load_agent(cls: type[LearnMax], path: Path, env: Any, device: str) -> LearnMax:
    """The agent saved at ``path`` (see :meth:`LearnMax.load`)."""
    payload = read_payload(path, FORMAT, VERSION, "LearnMax checkpoint")
    try:
        params = json.loads(payload["params"])
        config = WorldModelConfig.from_json(payload["world_model_config"])
        obs_space, act_space = read_spaces(payload)
        seed = params.pop("seed")
        num_timesteps, imagined = (int(c) for c in payload["counters"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path} is a damaged LearnMax checkpoint ({exc})") from exc
    model = WorldModel(obs_space, act_space, dataclasses.replace(config, device=device))
    venv = as_vec_env(SpacesEnv(obs_space, act_space) if env is None else env)
    if (venv.observation_space, venv.action_space) != (obs_space, act_space):
        raise InvalidConfigError(
            f"{path} holds an agent for {obs_space} / {act_space}, the env has "
            f"{venv.observation_space} / {venv.action_space}"
        )
    try:
        model.load_state_dict(payload["world_model"])
        model.optimizer.load_state_dict(payload["model_optimizer"])
        model.steps_done = int(payload["model_steps"])
        agent = cls("auto", venv, model, seed=seed, device=device, **params)
        if agent.heads is not None:
            agent.heads.load_state_dict(payload["heads"])
        if agent.value is not None:
            agent.value.load_state_dict(payload["value"][0])
            agent.value_optimizer.load_state_dict(payload["value"][1])
        if agent.counts is not None:
            agent.counts.set_state(payload["counts"])
        if agent.frontier is not None:
            agent.frontier.set_state(payload["frontier"])
        agent.learner.set_state(payload["learner"])
        agent.num_timesteps, agent.imagined_transitions = num_timesteps, imagined
        agent.salience.set_state(payload["salience"])
        ev = payload["events"]
        columns = (ev["timestep"], ev["env"], ev["observation"], ev["change"])
        agent.salient_events = [
            SalientEvent(int(t), int(e), o.numpy(), float(c))
            for t, e, o, c in zip(*columns, strict=True)
        ]
        agent.generator.set_state(payload["generator"])
        agent.rng.bit_generator.state = json.loads(payload["rng"])
    except (AttributeError, KeyError, RuntimeError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path} does not hold a consistent LearnMax ({exc})") from exc
    return agent
