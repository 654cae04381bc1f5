"""Property-based bad input for the agents: any keywords of ``PonderPPO``, ``IntrinsicPPO``
(theirs and PPO's), ``LearnMax``, ``PonderDreamer`` (all of theirs, read from their
signatures) and ``WorldModelConfig`` either work (and then a short ``learn`` runs
with finite losses) or raise an aisam error that names the argument."""

from __future__ import annotations

import inspect
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch
from fuzz import FAST, call_or_aisam_error, keywords
from hypothesis import given, settings
from hypothesis import strategies as st
from stable_baselines3.common.vec_env import DummyVecEnv

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_agents.intrinsic_ppo import IntrinsicPPO
from aisam_agents.ponder_ppo import PonderPPO
from aisam_agents.world_model import WorldModelConfig
from aisam_wrappers import make_bonus

AGENT = settings(FAST, max_examples=40)  # each working example learns one short rollout

PPO_KEYWORDS = {
    "n_steps": [8, 16],
    "batch_size": [8, 16],
    "n_epochs": [1, 2],
    "learning_rate": [3e-4, 1e-2],
    "gamma": [0.99, 0.0],
    "gae_lambda": [0.95, 1.0],
    "clip_range": [0.2, 0.1],
    "ent_coef": [0.0, 0.01],
    "vf_coef": [0.5, 1.0],
    "max_grad_norm": [0.5, 10.0],
    "target_kl": [None, 0.05],
    "seed": [0, 1],
    "device": ["cpu"],
}
PONDER = {
    **PPO_KEYWORDS,
    "lambda_p": [0.25, 0.5],
    "ponder_beta": [0.01, 0.0],
    "policy_kwargs": [None, {"max_steps": 3}, {"hidden_dim": 8, "cell": "rnn"}],
}
INTRINSIC = {
    **PPO_KEYWORDS,
    "gamma_int": [0.99, 0.5],
    "ext_coef": [2.0, 1.0],
    "int_coef": [1.0, 0.5],
    "warmup_rollouts": [0, 1],
}
WORLD_MODEL = {
    "n_layer": [1, 2],
    "n_head": [1, 2, 4],
    "n_embd": [16, 32],
    "dropout": [0.0, 0.1],
    "max_frames": [1, 4],
    "codebook_size": [16, 64],
    "learning_rate": [1e-3],
    "weight_decay": [0.0, 0.01],
    "beta1": [0.9],
    "beta2": [0.95],
    "grad_clip": [1.0, 0.0],
    "warmup_steps": [0, 10],
    "reward_coef": [1.0, 0.0],
    "device": ["cpu", "auto"],
    "autocast": [True, False],
    "compile": [False],
    "seed": [0, 2],
}
# PPO's own names for some settings in its messages
ALIASES = {"policy_kwargs": "max_steps", "n_steps": "n_envs"}


SMALL = {"n_steps": 8, "batch_size": 8, "n_epochs": 1, "device": "cpu"}
"""Defaults the fuzzed keywords override: one short rollout, not PPO's 2048 steps."""


def _learn(model: Any) -> None:
    if max(model.n_steps, model.n_epochs, model.batch_size) > 16:
        return  # a legal but long run (n_epochs=10**12): construction was the check
    model.learn(total_timesteps=model.n_steps * model.n_envs)
    for param in model.policy.parameters():
        assert torch.isfinite(param).all(), "learning made a parameter non-finite"


def _table() -> gym.Env:
    return gym.make("aisam/TransitionTable-v0", n_states=8, n_actions=2, obs_type="onehot")


def _parity() -> gym.Env:
    return gym.make("aisam/Parity-v0", n_bits=4)


def _split_tables() -> Any:
    return make_bonus("satiation", DummyVecEnv([_table, _table]), split=True)


@pytest.mark.parametrize(
    ("agent", "table", "make_env"),
    [(PonderPPO, PONDER, _parity), (IntrinsicPPO, INTRINSIC, _split_tables)],
    ids=["ponder_ppo", "intrinsic_ppo"],
)
@AGENT
@given(data=st.data())
def test_agent_keywords(
    agent: type, table: dict[str, list[Any]], make_env: Any, data: st.DataObject
) -> None:
    kwargs = data.draw(keywords(table), label="kwargs")
    env = make_env()
    model = call_or_aisam_error(
        lambda: agent("MlpPolicy", env, **{**SMALL, **kwargs}), kwargs, ALIASES
    )
    if model is not None:
        _learn(model)


@FAST
@given(keywords(WORLD_MODEL))
def test_world_model_config_keywords(kwargs: dict[str, Any]) -> None:
    config = call_or_aisam_error(lambda: WorldModelConfig(**kwargs), kwargs)
    if config is not None:
        assert WorldModelConfig.from_json(config.to_json()) == config
        assert np.isfinite(config.learning_rate)


def _signature_keywords(cls: type, alternatives: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Every keyword of ``cls`` with a default (but the env plumbing): its default and the
    given alternatives, so that a keyword added to the agent is fuzzed too."""
    skip = {"world_model", "tensorboard_log", "verbose", "device", "_init_setup_model"}
    params = inspect.signature(cls.__init__).parameters.items()
    return {
        name: [param.default, *alternatives.get(name, [])]
        for name, param in params
        if param.default is not inspect.Parameter.empty and name not in skip
    }


@pytest.mark.parametrize(
    ("agent", "alternatives"),
    [
        ("LearnMax", {"criterion": ["entropy", "reverse", "disagreement", "infogain_full"],
                      "prior_count": [0.1], "leaf_value": [True, "frontier"],
                      "discount": [0.9],
                      "plan_to_salient": [True], "horizon": [1, 2], "width": [1, 3],
                      "batch_size": [4], "learning_starts": [0]}),
        ("PonderDreamer", {"actor": ["mlp"], "seq_len": [4], "horizon": [1, 3],
                           "lam": [0.0, 1.0], "n_bins": [15], "batch_size": [2],
                           "learning_starts": [0], "intrinsic_coef": [1.0]}),
    ],
    ids=["learnmax", "ponder_dreamer"],
)  # fmt: skip
@settings(FAST, max_examples=25)
@given(data=st.data())
def test_model_based_agent_keywords(
    agent: str, alternatives: dict[str, list[Any]], data: st.DataObject
) -> None:
    import aisam_agents

    cls = getattr(aisam_agents, agent)
    kwargs = data.draw(keywords(_signature_keywords(cls, alternatives)), label="kwargs")
    config = WorldModelConfig.preset("tiny", device="cpu")
    model = call_or_aisam_error(
        lambda: cls("auto", _table(), world_model=config, device="cpu", **kwargs), kwargs
    )
    if model is not None:
        model.learn(16)  # a few steps: settings that build must also run
