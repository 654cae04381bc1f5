"""One training step of PonderDreamer: the world model on replayed windows, then actor
and critic on rollouts imagined from them (the recipe is in
:mod:`aisam_agents.ponder_dreamer.agent`'s docstring)."""

from __future__ import annotations

import torch
from torch import nn

from aisam_agents.ponder_dreamer.networks import actor_loss
from aisam_agents.ponder_dreamer.returns import centred_bonus, lambda_returns
from aisam_agents.replay import SequenceBatch
from aisam_agents.world_model import Imagination

__all__ = ["TrainingMixin", "episode_masks"]


def episode_masks(is_first: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Loss masks ``(B, L)`` of windows of ``L + 1`` replayed steps, from their
    ``is_first`` ``(B, L + 1)``.

    With ``f`` the first episode start after a window's first step (``L + 1`` if none):
    transitions ``t < f`` count for reward and termination (``mask``), ``t < f - 1`` also
    for the next observation (``obs_mask``): transition ``f - 1`` ended an episode, and the
    next observation in the stream is the new episode's first, not the terminal one (SB3's
    ``VecEnv`` keeps that in ``infos``, outside the stream). From ``f`` on, the transformer
    would attend across episodes, which it never does when acting, so those are masked.
    """
    starts = is_first[:, 1:]
    length = starts.shape[1]
    index = torch.arange(1, length + 1, device=is_first.device)
    first = torch.where(starts, index, torch.full_like(index, length + 1)).amin(1)
    t = torch.arange(length, device=is_first.device)[None]
    return (t < first[:, None]).float(), (t < first[:, None] - 1).float()


class TrainingMixin:
    """``train()`` of :class:`~aisam_agents.ponder_dreamer.PonderDreamer`."""

    def train(self) -> None:
        """One training step: the world model on replayed windows, then actor and critic
        on imagination from the windows' last states.

        Episode boundaries: the world model's losses are masked by
        :func:`episode_masks`; imagination starts from each window's last state with its
        history cut at that episode's start (and to ``context`` frames).
        """
        batch = self.replay.sample(self.batch_size, self.window + 1)
        for key, value in self._train_world_model(batch).items():
            self.logger.record_mean(f"world_model/{key}", value)
        stats = self._train_actor_critic(self._imagine(batch.obs, batch.actions, batch.is_first))
        for key, value in stats.items():
            self.logger.record_mean(key, value)
        self._n_updates += 1
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")

    def _train_world_model(self, batch: SequenceBatch) -> dict[str, float]:
        """One world-model step on replayed windows of ``window + 1`` steps; its losses."""
        length = self.window
        mask, obs_mask = episode_masks(batch.is_first)
        return self.world_model.train_step(
            {
                "obs": batch.obs,
                "actions": batch.actions[:, :length],
                "rewards": batch.rewards[:, :length],
                "terminated": batch.terminated[:, :length].float(),
                "mask": mask,
                "obs_mask": obs_mask,
            }
        )

    def _imagine(
        self, obs: torch.Tensor, actions: torch.Tensor, is_first: torch.Tensor
    ) -> Imagination:
        """Rollouts from the last state of each window ``(B, L, ...)``, its history cut at
        the episode's start and to ``context`` frames; one rollout call per history length."""
        b, n = is_first.shape
        idx = torch.arange(n, device=self.device)
        last_start = torch.where(is_first, idx, torch.zeros_like(idx)).amax(1)
        start = torch.maximum(last_start, torch.full_like(last_start, n - self.context))
        lengths = (n - start).tolist()

        def policy(tokens: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
            steps = self.policy.actor(self.state_inputs(tokens, features))
            return steps.act(False, self.generator)

        self.policy.eval()
        parts = []
        for length in sorted(set(lengths)):
            rows = torch.tensor([i for i in range(b) if lengths[i] == length], device=self.device)
            past = actions[rows, n - length : n - 1]
            parts.append(
                self.world_model.imagine(
                    obs[rows, n - length :], policy, self.horizon, past_actions=past
                )
            )
        if len(parts) == 1:
            return parts[0]
        fields = ("obs_tokens", "actions", "rewards", "terminal_probs", "entropies", "features")
        joined = {f: torch.cat([getattr(p, f) for p in parts]) for f in fields}
        start_features = torch.cat([p.start_features for p in parts])
        return Imagination(**joined, start_features=start_features)

    def _train_actor_critic(self, imag: Imagination) -> dict[str, float]:
        """One actor and one critic step on imagined rollouts (see the module docstring)."""
        modules, h = self.policy, self.horizon
        modules.train()
        x = self.state_inputs(imag.obs_tokens, imag.state_features)  # (B, H + 1, in)
        continues = 1.0 - imag.terminal_probs.float()
        with torch.no_grad():
            alive = torch.cumprod(
                torch.cat([torch.ones_like(continues[:, :1]), continues[:, :-1]], 1), 1
            )
            rewards = imag.rewards.float()
            if self.intrinsic_coef:
                bonus = centred_bonus(imag.entropies.float(), alive)
                rewards = rewards + self.intrinsic_coef * bonus
            values = modules.two_hot.decode(modules.critic(x))  # (B, H + 1)
            returns = lambda_returns(rewards, continues, values, self.gamma, self.lam)
            modules.normalizer.update(returns)
            advantages = (returns - values[:, :h]) / modules.normalizer.scale
            slow_values = modules.two_hot.decode(modules.slow_critic(x[:, :h]))
        flat = x[:, :h].flatten(0, 1)
        parts = actor_loss(
            modules.actor(flat),
            imag.actions.flatten(),
            advantages.flatten(),
            alive.flatten(),
            self.ent_coef,
            self.lambda_p,
            self.ponder_beta,
        )
        self._step(self.actor_optimizer, parts.total, modules.actor)
        logits = modules.critic(x[:, :h])
        critic_loss = (
            alive
            * (
                modules.two_hot.loss(logits, returns)
                + self.slow_critic_coef * modules.two_hot.loss(logits, slow_values)
            )
        ).mean()
        self._step(self.critic_optimizer, critic_loss, modules.critic)
        with torch.no_grad():
            for slow, fast in zip(
                modules.slow_critic.parameters(), modules.critic.parameters(), strict=True
            ):
                slow.lerp_(fast, self.slow_critic_rate)
        stats = {
            "train/actor_loss": parts.policy,
            "train/entropy": parts.entropy,
            "train/critic_loss": critic_loss,
            "train/return_mean": returns.mean(),
            "train/value_mean": values.mean(),
            "train/imagined_reward": imag.rewards.float().mean(),
            "train/return_scale": modules.normalizer.scale,
            "ponder/expected_steps": parts.expected_steps,
            "ponder/kl": parts.kl,
        }
        host = torch.stack([v.detach().float() for v in stats.values()]).tolist()  # one sync
        return dict(zip(stats, host, strict=True))

    def _step(
        self, optimizer: torch.optim.Optimizer, loss: torch.Tensor, module: nn.Module
    ) -> None:
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(module.parameters(), self.grad_clip)
        optimizer.step()
