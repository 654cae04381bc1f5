"""Two value streams for PPO: an extrinsic and an intrinsic value head, and their buffer.

The policies put a second value head (``intrinsic_value_net``) next to SB3's ``value_net``.
Both read the shared features extractor; by default each head has its own value MLP
(``intrinsic_value_mlp``, a fresh copy of SB3's), so fitting one return does not move
the other head's inputs (``share_value_mlp=True``: both heads on SB3's value MLP, as in
Random Network Distillation's network). The rollout buffers store the intrinsic reward
and value beside SB3's extrinsic ones and compute a GAE per stream:

- extrinsic: SB3's episodic GAE with ``gamma`` (episode ends cut the return);
- intrinsic: GAE with ``gamma_int`` that episode ends do not cut (the non-episodic
  intrinsic return of Random Network Distillation: novelty found after a reset is
  credited to the actions before it);

and the advantage PPO optimises is ``ext_coef · A_ext + int_coef · A_int``.
"""

from __future__ import annotations

import copy
from functools import partial
from typing import Any, NamedTuple

import numpy as np
import torch
from stable_baselines3.common.buffers import DictRolloutBuffer, RolloutBuffer
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.torch_layers import CombinedExtractor, NatureCNN
from stable_baselines3.common.type_aliases import PyTorchObs, Schedule
from torch import nn

from aisam_envs.errors import InvalidConfigError, check_bool

__all__ = [
    "IntrinsicActorCriticPolicy",
    "IntrinsicCnnPolicy",
    "IntrinsicDictRolloutBuffer",
    "IntrinsicMultiInputPolicy",
    "IntrinsicRolloutBuffer",
    "IntrinsicRolloutSamples",
    "continuing_gae",
]


def continuing_gae(
    rewards: np.ndarray, values: np.ndarray, last_values: np.ndarray, gamma: float, lam: float
) -> np.ndarray:
    """GAE(λ) advantages of a stream that never ends (episode ends are not cuts).

    Args:
        rewards: ``(T, n_envs)`` rewards ``r_t``.
        values: ``(T, n_envs)`` value estimates ``V(s_t)``.
        last_values: ``(n_envs,)`` ``V(s_T)``, the state after the last step.
        gamma: discount; lam: GAE's λ.

    Returns:
        ``(T, n_envs)`` float32 ``A_t = Σ_k (γλ)^k δ_{t+k}``, ``δ_t = r_t + γ V(s_{t+1}) - V(s_t)``.
    """
    advantages = np.zeros(values.shape, dtype=np.float32)
    next_values, running = last_values, np.zeros_like(last_values)
    for t in reversed(range(len(rewards))):
        delta = rewards[t] + gamma * next_values - values[t]
        running = delta + gamma * lam * running
        advantages[t] = running
        next_values = values[t]
    return advantages


class IntrinsicRolloutSamples(NamedTuple):
    """SB3's ``RolloutBufferSamples`` fields (extrinsic ``old_values`` and ``returns``, the
    combined ``advantages``) plus the intrinsic stream's, all ``(B,)`` but observations."""

    observations: PyTorchObs
    actions: torch.Tensor
    old_values: torch.Tensor
    old_log_prob: torch.Tensor
    advantages: torch.Tensor
    returns: torch.Tensor
    old_intrinsic_values: torch.Tensor
    intrinsic_returns: torch.Tensor


_STREAM_ARRAYS = ("intrinsic_values", "intrinsic_returns")


class _IntrinsicStream:
    """The intrinsic stream of a rollout buffer (mixed into SB3's two buffer classes).

    Arrays ``(n_steps, n_envs)`` float32: ``intrinsic_rewards``, ``intrinsic_values``,
    ``intrinsic_returns``, ``intrinsic_advantages``, ``extrinsic_advantages``; SB3's
    ``advantages`` holds the combined advantage and ``returns`` the extrinsic return.
    """

    buffer_size: int
    n_envs: int
    pos: int
    gamma: float
    gae_lambda: float
    values: np.ndarray
    advantages: np.ndarray

    def __init__(
        self,
        *args: Any,
        gamma_int: float = 0.99,
        ext_coef: float = 2.0,
        int_coef: float = 1.0,
        **kwargs: Any,
    ) -> None:
        self.gamma_int = float(gamma_int)
        self.ext_coef = float(ext_coef)
        self.int_coef = float(int_coef)
        super().__init__(*args, **kwargs)

    def reset(self) -> None:
        shape = (self.buffer_size, self.n_envs)
        self.intrinsic_rewards = np.zeros(shape, dtype=np.float32)
        self.intrinsic_values = np.zeros(shape, dtype=np.float32)
        self.intrinsic_returns = np.zeros(shape, dtype=np.float32)
        self.intrinsic_advantages = np.zeros(shape, dtype=np.float32)
        self.extrinsic_advantages = np.zeros(shape, dtype=np.float32)
        self._tensors: _RolloutTensors | None = None
        super().reset()  # type: ignore[misc]

    def add_intrinsic(self, rewards: np.ndarray, values: torch.Tensor) -> None:
        """The intrinsic reward ``(n_envs,)`` and value ``(n_envs, 1)`` of the step that the
        next ``add`` stores (call it first)."""
        self.intrinsic_rewards[self.pos] = rewards
        self.intrinsic_values[self.pos] = values.cpu().numpy().flatten()

    def compute_streams(self, last_values: torch.Tensor, last_dones: np.ndarray) -> None:
        """Both streams' GAE and returns and the combined advantage, after the rollout.

        Args:
            last_values: ``(n_envs, 2)`` extrinsic and intrinsic ``V`` of the state after
                the last step.
            last_dones: ``(n_envs,)`` whether the last step ended an episode (cuts the
                extrinsic stream only).
        """
        last = last_values.cpu().numpy()
        self.compute_returns_and_advantage(torch.as_tensor(last[:, 0]), last_dones)  # type: ignore[attr-defined]
        self.extrinsic_advantages = self.advantages
        self.intrinsic_advantages = continuing_gae(
            self.intrinsic_rewards,
            self.intrinsic_values,
            last[:, 1],
            self.gamma_int,
            self.gae_lambda,
        )
        self.intrinsic_returns = self.intrinsic_advantages + self.intrinsic_values
        self.advantages = (
            self.ext_coef * self.extrinsic_advantages + self.int_coef * self.intrinsic_advantages
        ).astype(np.float32)

    def get(self, batch_size: int | None = None) -> Any:
        """SB3's minibatches (shuffled with numpy's global RNG, as SB3 draws them), with
        the intrinsic stream, gathered on the device.

        SB3 swaps and flattens the whole rollout on the host, then gathers each minibatch
        with numpy and copies it over (4 epochs of a rollout of Atari frames: the frames
        cross four times); here the ``(n_steps, n_envs, ...)`` arrays go to the device
        once, are flattened there in SB3's order, and minibatches are indexed there.
        The buffer's own arrays stay as they are. Same samples as SB3's ``get``.
        """
        assert self.full, "the rollout is not complete"  # type: ignore[attr-defined]
        total = self.buffer_size * self.n_envs
        indices = np.random.permutation(total)  # noqa: NPY002  (SB3's draw, its global RNG)
        if self._tensors is None:
            self._tensors = _RolloutTensors.of(self)
        order = torch.as_tensor(indices, device=self.device)  # type: ignore[attr-defined]
        batch_size = batch_size or total
        for start in range(0, total, batch_size):
            yield self._tensors.take(order[start : start + batch_size])


class _RolloutTensors(NamedTuple):
    """A rollout's arrays on the buffer's device, flattened as SB3's ``swap_and_flatten``
    does (env-major: row ``e * n_steps + t``), in the order of
    :class:`IntrinsicRolloutSamples` (observations: one tensor, or one per key of a
    ``Dict`` space)."""

    observations: torch.Tensor | dict[str, torch.Tensor]
    rest: tuple[torch.Tensor, ...]

    @classmethod
    def of(cls, buffer: Any) -> _RolloutTensors:
        def flat(array: np.ndarray) -> torch.Tensor:
            x = torch.as_tensor(array, device=buffer.device).transpose(0, 1)
            return x.reshape(-1, *x.shape[2:])

        obs = buffer.observations
        observations = (
            {key: flat(value) for key, value in obs.items()} if isinstance(obs, dict) else flat(obs)
        )
        rest = (
            flat(buffer.actions.astype(np.float32, copy=False)),  # as SB3 casts them
            *(
                flat(getattr(buffer, name))
                for name in ("values", "log_probs", "advantages", "returns", *_STREAM_ARRAYS)
            ),
        )
        return cls(observations, rest)

    def take(self, index: torch.Tensor) -> IntrinsicRolloutSamples:
        obs = self.observations
        observations = (
            {key: value[index] for key, value in obs.items()}
            if isinstance(obs, dict)
            else obs[index]
        )
        return IntrinsicRolloutSamples(observations, *(t[index] for t in self.rest))


class IntrinsicRolloutBuffer(_IntrinsicStream, RolloutBuffer):
    """SB3's ``RolloutBuffer`` with an intrinsic stream (see :class:`_IntrinsicStream`).

    Args:
        *args, **kwargs: SB3's ``RolloutBuffer`` arguments (``gamma`` is the extrinsic one).
        gamma_int: discount of the intrinsic stream.
        ext_coef, int_coef: weights of the two advantages in the combined one.
    """


class IntrinsicDictRolloutBuffer(_IntrinsicStream, DictRolloutBuffer):
    """SB3's ``DictRolloutBuffer`` (dict observations) with an intrinsic stream."""


class IntrinsicActorCriticPolicy(ActorCriticPolicy):
    """SB3's actor-critic policy with a second, intrinsic value head on the value trunk.

    SB3's own methods (``forward``, ``evaluate_actions``, ``predict_values``) keep their
    meaning and see the extrinsic head; the ``*_streams`` methods return both heads as
    ``(B, 2)`` values, extrinsic first.

    Args:
        observation_space, action_space, lr_schedule, **kwargs: as SB3's
            ``ActorCriticPolicy``; the features extractor must be shared
            (``share_features_extractor=True``, SB3's default).
        share_value_mlp: put the intrinsic head on SB3's value MLP, beside the extrinsic
            head, instead of on its own copy of it (``False``, the default). Shared, the
            intrinsic return's large and drifting targets reshape the hidden layer the
            extrinsic head reads, which then outputs noise where it has seen no reward
            (docs/intrinsic_ppo.md, "Small tables").
    """

    def __init__(
        self,
        observation_space: Any,
        action_space: Any,
        lr_schedule: Schedule,
        share_value_mlp: bool = False,
        **kwargs: Any,
    ) -> None:
        if not kwargs.get("share_features_extractor", True):
            raise InvalidConfigError(
                "the two value heads share one trunk with the actor: use "
                "share_features_extractor=True"
            )
        self.share_value_mlp = check_bool("share_value_mlp", share_value_mlp)
        super().__init__(observation_space, action_space, lr_schedule, **kwargs)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return {**super()._get_constructor_parameters(), "share_value_mlp": self.share_value_mlp}

    def _build_mlp_extractor(self) -> None:
        super()._build_mlp_extractor()
        # built here, before SB3's _build creates the optimizer over all parameters
        self.intrinsic_value_mlp = (
            None if self.share_value_mlp else copy.deepcopy(self.mlp_extractor.value_net)
        )
        self.intrinsic_value_net = nn.Linear(self.mlp_extractor.latent_dim_vf, 1)

    def _build(self, lr_schedule: Schedule) -> None:
        super()._build(lr_schedule)
        if self.intrinsic_value_mlp is not None:  # its own weights, not the copied ones
            if self.ortho_init:  # as SB3 initialises its value MLP
                self.intrinsic_value_mlp.apply(partial(self.init_weights, gain=np.sqrt(2)))
            else:
                for module in self.intrinsic_value_mlp.modules():
                    if isinstance(module, nn.Linear):
                        module.reset_parameters()
        if self.ortho_init:  # as SB3 initialises value_net
            self.intrinsic_value_net.apply(partial(self.init_weights, gain=1))

    def _stream_values(self, features: torch.Tensor, latent_vf: torch.Tensor) -> torch.Tensor:
        """``(B, 2)`` extrinsic and intrinsic values, from the shared features and the
        extrinsic value MLP's output ``latent_vf``."""
        mlp = self.intrinsic_value_mlp
        latent_int = latent_vf if mlp is None else mlp(features)
        return torch.cat([self.value_net(latent_vf), self.intrinsic_value_net(latent_int)], dim=1)

    def forward_streams(
        self, obs: PyTorchObs, deterministic: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Act: ``(actions, values (B, 2), log π(actions|obs) (B,))``."""
        features = self.extract_features(obs)
        latent_pi, latent_vf = self.mlp_extractor(features)
        distribution = self._get_action_dist_from_latent(latent_pi)
        actions = distribution.get_actions(deterministic=deterministic)
        log_prob = distribution.log_prob(actions)
        actions = actions.reshape((-1, *self.action_space.shape))  # type: ignore[misc]
        return actions, self._stream_values(features, latent_vf), log_prob

    def evaluate_streams(
        self, obs: PyTorchObs, actions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """``(values (B, 2), log π(a|s) (B,), entropy (B,) or None)`` for taken actions."""
        features = self.extract_features(obs)
        latent_pi, latent_vf = self.mlp_extractor(features)
        distribution = self._get_action_dist_from_latent(latent_pi)
        return (
            self._stream_values(features, latent_vf),
            distribution.log_prob(actions),
            distribution.entropy(),
        )

    def predict_stream_values(self, obs: PyTorchObs) -> torch.Tensor:
        """``(B, 2)`` extrinsic and intrinsic values of the observations."""
        features = self.extract_features(obs)
        return self._stream_values(features, self.mlp_extractor.forward_critic(features))


class IntrinsicCnnPolicy(IntrinsicActorCriticPolicy):
    """:class:`IntrinsicActorCriticPolicy` on NatureCNN features (alias ``CnnPolicy``)."""

    def __init__(
        self, *args: Any, features_extractor_class: type = NatureCNN, **kwargs: Any
    ) -> None:
        super().__init__(*args, features_extractor_class=features_extractor_class, **kwargs)


class IntrinsicMultiInputPolicy(IntrinsicActorCriticPolicy):
    """:class:`IntrinsicActorCriticPolicy` for dict observations (alias ``MultiInputPolicy``)."""

    def __init__(
        self, *args: Any, features_extractor_class: type = CombinedExtractor, **kwargs: Any
    ) -> None:
        super().__init__(*args, features_extractor_class=features_extractor_class, **kwargs)
