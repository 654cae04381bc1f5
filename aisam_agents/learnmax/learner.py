"""Online model learning from a vector env's step stream (LearnMax's, or any agent's).

Every step of the ``n_envs`` envs goes to a :class:`~aisam_agents.replay.SequenceReplay`;
the world model (and the ensemble heads, when given) take ``train_ratio`` updates per env
step (all envs' steps count) on ``batch_size`` windows of ``max_frames + 1`` steps.

Episode boundaries: SB3's ``VecEnv`` returns the next episode's first observation after a
done step (the final one is only in ``infos``), so the stream holds no observation that a
done step's action led to. Windows are cut at episode starts: every transition from the
first done step of a window on is masked out of the loss (observation, reward and
termination targets alike). The model therefore never learns transitions that end an
episode, nor their rewards.
"""

from __future__ import annotations

from typing import Any

import torch
from gymnasium import spaces

from aisam_agents.learnmax.criteria import EnsembleHeads
from aisam_agents.replay import SequenceReplay
from aisam_agents.world_model import WorldModel


class OnlineLearner:
    """Replay plus training schedule of a world model and its optional ensemble heads.

    Args:
        model: the world model.
        heads: ensemble heads on the model's features (``None``: none to train).
        observation_space, action_space: one env's spaces.
        n_envs: envs per step.
        buffer_size: replay capacity in steps over all envs.
        batch_size: windows per update.
        train_ratio: updates per env step (> 0).
        learning_starts: env steps before the first update.
        head_learning_rate: Adam step size of the heads.
        seed: seeds the replay sampler and the heads' bootstrap draws.
    """

    def __init__(
        self,
        model: WorldModel,
        heads: EnsembleHeads | None,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        n_envs: int,
        buffer_size: int,
        batch_size: int,
        train_ratio: float,
        learning_starts: int,
        head_learning_rate: float,
        seed: int,
    ) -> None:
        self.model, self.heads, self.n_envs = model, heads, n_envs
        self.batch_size, self.train_ratio = batch_size, train_ratio
        self.learning_starts = learning_starts
        device = model.device
        self.replay = SequenceReplay(
            buffer_size, observation_space, action_space, n_envs, str(device), seed
        )
        self.window = model.config.max_frames + 1
        self.generator = torch.Generator(device).manual_seed(seed + 1)
        self.head_optimizer = (
            None if heads is None else torch.optim.Adam(heads.parameters(), lr=head_learning_rate)
        )
        self.steps_seen = 0
        self.n_updates = 0
        self.updates_due = 0.0

    def observe(
        self, obs: Any, actions: Any, rewards: Any, dones: Any, terminated: Any
    ) -> list[dict[str, float]]:
        """Stores one step of every env (``(n_envs, ...)`` arrays, see
        :meth:`SequenceReplay.add`) and runs the updates now due; returns their losses."""
        self.replay.add(obs, actions, rewards, dones, terminated)
        self.steps_seen += self.n_envs
        self.updates_due += self.n_envs * self.train_ratio
        ready = self.steps_seen >= self.learning_starts and self.replay.steps >= self.window
        if not ready:  # no backlog of updates from before the replay could fill a window
            self.updates_due = min(self.updates_due, 1.0)
            return []
        losses = []
        while self.updates_due >= 1:
            self.updates_due -= 1
            losses.append(self.train_step())
        return losses

    def train_step(self) -> dict[str, float]:
        """One update on ``batch_size`` replay windows, cut at episode starts."""
        batch = self.replay.sample(self.batch_size, self.window)
        # transition i (obs i -> obs i + 1) is valid until the window's first new episode
        valid = batch.is_first[:, 1:].cumsum(1) == 0
        actions = batch.actions[:, :-1].long()
        data = {
            "obs": batch.obs,
            "actions": actions,
            "rewards": batch.rewards[:, :-1],
            "mask": valid.float(),
        }
        losses = self.model.train_step(data)
        if self.heads is not None and self.head_optimizer is not None:
            losses["head_nll"] = self._train_heads(
                self.heads, self.head_optimizer, batch.obs, actions, valid
            )
        self.n_updates += 1
        return losses

    def _train_heads(
        self,
        heads: EnsembleHeads,
        optimizer: torch.optim.Optimizer,
        obs: torch.Tensor,
        actions: torch.Tensor,
        valid: torch.Tensor,
    ) -> float:
        """One step of the heads on the windows' features ``(n_valid, d)`` and next tokens,
        each head weighting each transition by its own Bernoulli(1/2) bootstrap draw."""
        net = self.model.transformer
        tokens = self.model.tokenize(obs)
        with torch.no_grad():
            features = net(net.frame_tokens(tokens[:, :-1], actions)).features
        features, targets = features[valid], tokens[:, 1:][valid]
        weights = torch.bernoulli(
            torch.full((heads.n_heads, len(targets)), 0.5, device=features.device),
            generator=self.generator,
        )
        loss = heads.loss(features, targets, weights)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    def state(self) -> dict[str, Any]:
        """Counters, the heads' optimizer and the bootstrap stream (not the replay)."""
        return {
            "steps_seen": self.steps_seen,
            "n_updates": self.n_updates,
            "updates_due": self.updates_due,
            "generator": self.generator.get_state(),
            "head_optimizer": None
            if self.head_optimizer is None
            else self.head_optimizer.state_dict(),
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Restores :meth:`state`."""
        self.steps_seen, self.n_updates = int(state["steps_seen"]), int(state["n_updates"])
        self.updates_due = float(state["updates_due"])
        self.generator.set_state(state["generator"])
        if self.head_optimizer is not None:
            self.head_optimizer.load_state_dict(state["head_optimizer"])
