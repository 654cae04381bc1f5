"""Acting from a CUDA graph: the captured function is the eager acting path, and replays
follow the weights as training updates them."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces
from tolerance import F32_ACC

from aisam_agents.ponder_dreamer import PonderDreamer
from aisam_agents.ponder_dreamer.graphs import CudaGraphed
from aisam_agents.ponder_dreamer.history import history_features
from aisam_agents.world_model import WorldModelConfig
from aisam_envs.errors import InvalidConfigError


class _Noise(gym.Env):
    """Channels-first 3x16x16 uint8 frames of a seeded random walk, 3 actions."""

    observation_space = spaces.Box(0, 255, (3, 16, 16), np.uint8)
    action_space = spaces.Discrete(3)

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple:
        super().reset(seed=seed)
        self.t = 0
        return self.np_random.integers(0, 256, (3, 16, 16), dtype=np.uint8), {}

    def step(self, action: int) -> tuple:
        self.t += 1
        frame = self.np_random.integers(0, 256, (3, 16, 16), dtype=np.uint8)
        return frame, float(action == 1), self.t >= 12, False, {}


def _agent(device: str, **kwargs) -> PonderDreamer:
    config = WorldModelConfig.preset("tiny", device=device, n_layer=1, max_frames=4)
    settings = dict(learning_starts=8, batch_size=4, horizon=3, train_ratio=4.0, seed=0)
    return PonderDreamer("auto", _Noise(), world_model=config, device=device, **settings, **kwargs)


def _eager(agent: PonderDreamer, obs: np.ndarray, history) -> tuple[torch.Tensor, torch.Tensor]:
    features = history_features(agent.world_model, history)
    steps = agent.policy.actor(agent.state_inputs(agent.world_model.tokenize(obs), features))
    return steps.logits, steps.trace.p


def _full_history(agent: PonderDreamer):
    agent.learn(40)  # episodes of 12 steps: the last one has a full history of 3 frames
    history = agent._history.restart(agent._last_episode_starts)
    assert (history.length == agent.context - 1).all()
    return np.asarray(agent._last_obs), history


def test_the_captured_function_is_the_eager_acting_path() -> None:
    agent = _agent("cpu", cuda_graphs=True)
    obs, history = _full_history(agent)
    with torch.no_grad():
        logits, p = _eager(agent, obs, history)
        steps = agent._steps_after_full_histories(
            *(torch.as_tensor(x) for x in (obs, history.obs, history.actions))
        )
    np.testing.assert_allclose(steps.logits.numpy(), logits.numpy(), **F32_ACC)
    np.testing.assert_allclose(steps.trace.p.numpy(), p.numpy(), **F32_ACC)
    assert agent._graphed_steps(obs, history) is None  # no graph on the CPU


def test_cuda_graphs_must_be_a_bool() -> None:
    with pytest.raises(InvalidConfigError, match="cuda_graphs"):
        _agent("cpu", cuda_graphs="yes")


@pytest.mark.gpu
def test_graph_replays_match_eager_acting_before_and_after_training() -> None:
    agent = _agent("cuda", cuda_graphs=True)
    obs, history = _full_history(agent)
    with torch.no_grad():
        for _ in range(2):  # the second round after a training step changed the weights
            steps = agent._graphed_steps(obs, history)
            assert steps is not None and len(agent._graphs) == 1
            logits, p = _eager(agent, obs, history)
            torch.testing.assert_close(steps.logits, logits, rtol=1e-3, atol=1e-3)
            torch.testing.assert_close(steps.trace.p, p, rtol=1e-3, atol=1e-3)
            before = steps.logits.clone()
            with torch.enable_grad():
                agent.train()
        assert not torch.equal(agent._graphed_steps(obs, history).logits, before)
    short = history.restart(np.array([True]))
    assert agent._graphed_steps(obs, short) is None  # a history shorter than the context
    agent.cuda_graphs = False
    assert agent._graphed_steps(obs, history) is None


@pytest.mark.gpu
def test_cuda_graphed_checks_its_inputs() -> None:
    x = torch.ones(2, 3, device="cuda")
    double = CudaGraphed(lambda t: t * 2, [x])
    torch.testing.assert_close(double(np.full((2, 3), 4.0, np.float32)), x * 8)
    with pytest.raises(ValueError, match="shape"):
        double(torch.ones(3, 3))
    with pytest.raises(TypeError, match="inputs"):
        double(x, x)
