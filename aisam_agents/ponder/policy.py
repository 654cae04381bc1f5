"""SB3 actor-critic policies whose core is a PonderNet.

The features of an observation (SB3's features extractor: flatten, NatureCNN or the
combined extractor for dict spaces) are the input ``x`` of a
:class:`~aisam_agents.ponder.module.PonderCore`. Every step ``n`` of the unroll has its own
policy ``π_n`` (SB3's ``action_net`` on ``h_n``) and value ``V_n`` (``value_net`` on
``h_n``); the heads are shared across steps, as PonderNet's output head is.

Acting marginalises the halting step: the behaviour policy is the mixture
``μ(a|s) = Σ_n p_n π_n(a|s)`` (draw ``n ~ p``, then ``a ~ π_n``), and the log-probability
stored in the rollout buffer is ``log μ(a|s)``. The state value is ``Σ_n p_n V_n``.
Deterministic acting takes the most likely halting step and that step's most likely
action, so ``predict(deterministic=True)`` is a function of the observation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from gymnasium import spaces
from stable_baselines3.common.distributions import CategoricalDistribution, Distribution
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.torch_layers import (
    BaseFeaturesExtractor,
    CombinedExtractor,
    FlattenExtractor,
    NatureCNN,
)
from stable_baselines3.common.type_aliases import PyTorchObs, Schedule

from aisam_agents.errors import AisamAgentError
from aisam_agents.ponder.module import PonderCore, PonderTrace, select_steps
from aisam_envs.errors import InvalidConfigError, check_int, check_real

__all__ = [
    "PonderActorCriticPolicy",
    "PonderCnnPolicy",
    "PonderEvaluation",
    "PonderExtractor",
    "PonderMultiInputPolicy",
]


class PonderExtractor(PonderCore):
    """A :class:`PonderCore` in SB3's ``mlp_extractor`` slot (it reads the latent sizes)."""

    def __init__(self, input_dim: int, hidden_dim: int, max_steps: int, **kwargs: Any) -> None:
        super().__init__(input_dim, hidden_dim, max_steps, **kwargs)
        self.latent_dim_pi = hidden_dim
        self.latent_dim_vf = hidden_dim


@dataclass(frozen=True)
class PonderEvaluation:
    """Every step's view of a batch of ``(obs, action)`` pairs (``N`` steps, ``B`` pairs).

    Attributes:
        trace: the unroll (halting distribution ``p`` ``(N, B)``).
        log_probs: ``(N, B)`` ``log π_n(a|s)``.
        values: ``(N, B)`` ``V_n(s)``.
        entropies: ``(N, B)`` entropy of ``π_n``, or ``None`` where it has no closed form.
        log_prob: ``(B,)`` ``log μ(a|s)`` of the mixture policy.
        value: ``(B,)`` ``Σ_n p_n V_n(s)``.
    """

    trace: PonderTrace
    log_probs: torch.Tensor
    values: torch.Tensor
    entropies: torch.Tensor | None
    log_prob: torch.Tensor
    value: torch.Tensor


class PonderActorCriticPolicy(ActorCriticPolicy):
    """Actor-critic policy with a PonderNet core (alias ``MlpPolicy`` of PonderPPO).

    Args:
        observation_space: as for SB3's ``ActorCriticPolicy``.
        action_space: any space SB3's PPO supports except with gSDE.
        lr_schedule: learning-rate schedule.
        hidden_dim: size of the recurrent state (and of the heads' input).
        max_steps: the most ponder steps ``N`` per observation.
        cell: ``"gru"`` or ``"rnn"`` (tanh).
        halt_epsilon: an observation's last ponder step is the first where its probability
            of not having halted is ``<= halt_epsilon`` (0: always ``max_steps``).
        lambda_init: initial halting probability of every step (PonderPPO defaults it to
            its prior ``lambda_p``).
        **kwargs: SB3 ``ActorCriticPolicy`` arguments (``features_extractor_class``,
            ``ortho_init``, ``optimizer_kwargs``...); ``net_arch``, ``use_sde`` and
            unshared features extractors are not supported (the core replaces the MLP).
    """

    #: the ``features_extractor_class`` unless one is given
    default_features_extractor: type[BaseFeaturesExtractor] = FlattenExtractor

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        lr_schedule: Schedule,
        hidden_dim: int = 64,
        max_steps: int = 8,
        cell: str = "gru",
        halt_epsilon: float = 0.05,
        lambda_init: float = 0.25,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("features_extractor_class", self.default_features_extractor)
        if kwargs.get("net_arch") is not None:
            raise InvalidConfigError(
                "PonderNet policies take no net_arch: size the core with hidden_dim and "
                "max_steps (policy_kwargs=dict(hidden_dim=64, max_steps=8))"
            )
        if kwargs.get("use_sde", False):
            raise InvalidConfigError("PonderNet policies do not support gSDE: use use_sde=False")
        if not kwargs.get("share_features_extractor", True):
            raise InvalidConfigError(
                "PonderNet policies share one core between actor and critic: "
                "use share_features_extractor=True"
            )
        self.hidden_dim = check_int("hidden_dim", hidden_dim, 1)
        self.max_steps = check_int("max_steps", max_steps, 1)
        self.cell = cell
        self.halt_epsilon = check_real("halt_epsilon", halt_epsilon)
        self.lambda_init = check_real("lambda_init", lambda_init)
        super().__init__(observation_space, action_space, lr_schedule, **kwargs)

    @property
    def core_settings(self) -> dict[str, Any]:
        """The PonderNet core's settings: its keywords, and the policy's saved with it."""
        return {
            "hidden_dim": self.hidden_dim,
            "max_steps": self.max_steps,
            "cell": self.cell,
            "halt_epsilon": self.halt_epsilon,
            "lambda_init": self.lambda_init,
        }

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.pop("net_arch", None)
        data.update(self.core_settings)
        return data

    def _build_mlp_extractor(self) -> None:
        self.mlp_extractor = PonderExtractor(self.features_dim, **self.core_settings)

    def _build(self, lr_schedule: Schedule) -> None:
        super()._build(lr_schedule)
        self.mlp_extractor.reset_halting()  # orthogonal init overwrote the halting head

    def unroll(self, obs: PyTorchObs) -> PonderTrace:
        """The PonderNet unroll on a batch of (preprocessed-by-SB3) observations."""
        return self.mlp_extractor(self.extract_features(obs))

    def _step_distribution(self, trace: PonderTrace) -> Distribution:
        """One SB3 distribution over all ``N * B`` (step, element) pairs, step-major."""
        return self._get_action_dist_from_latent(trace.states.flatten(0, 1))

    def evaluate_steps(self, obs: PyTorchObs, actions: torch.Tensor) -> PonderEvaluation:
        """Every step's log-probability, value and entropy for ``actions`` taken at ``obs``."""
        trace = self.unroll(obs)
        n_steps, batch = trace.p.shape
        dist = self._step_distribution(trace)
        repeated = actions.unsqueeze(0).expand(n_steps, *actions.shape).flatten(0, 1)
        log_probs = dist.log_prob(repeated).reshape(n_steps, batch)
        entropy = dist.entropy()
        entropies = None if entropy is None else entropy.reshape(n_steps, batch)
        values = self.value_net(trace.states).squeeze(-1)
        return PonderEvaluation(
            trace=trace,
            log_probs=log_probs,
            values=values,
            entropies=entropies,
            log_prob=mixture_log_prob(trace, log_probs),
            value=(trace.p * values).sum(0),
        )

    def forward(
        self, obs: torch.Tensor, deterministic: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Act: ``(actions, values (B, 1), log μ(actions|obs) (B,))``."""
        trace = self.unroll(obs)
        n_steps, batch = trace.p.shape
        dist = self._step_distribution(trace)
        step_actions = dist.get_actions(deterministic=deterministic)
        step_actions = step_actions.reshape(n_steps, batch, *step_actions.shape[1:])
        index = select_steps(trace, "mode" if deterministic else "sample")
        actions = step_actions[index, torch.arange(batch, device=index.device)]
        repeated = actions.unsqueeze(0).expand(n_steps, *actions.shape).flatten(0, 1)
        log_probs = dist.log_prob(repeated).reshape(n_steps, batch)
        actions = actions.reshape((-1, *self.action_space.shape))  # type: ignore[misc]
        return actions, self._mixture_value(trace), mixture_log_prob(trace, log_probs)

    def _predict(self, observation: PyTorchObs, deterministic: bool = False) -> torch.Tensor:
        return self.forward(observation, deterministic=deterministic)[0]  # type: ignore[arg-type]

    def evaluate_actions(
        self, obs: PyTorchObs, actions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """SB3's view: ``(Σ p_n V_n (B, 1), log μ(a|s) (B,), Σ p_n H(π_n) (B,) or None)``."""
        ev = self.evaluate_steps(obs, actions)
        entropy = None if ev.entropies is None else (ev.trace.p * ev.entropies).sum(0)
        return ev.value.unsqueeze(1), ev.log_prob, entropy

    def predict_values(self, obs: PyTorchObs) -> torch.Tensor:
        """``(B, 1)`` the halting-weighted value ``Σ_n p_n V_n(s)``."""
        return self._mixture_value(self.unroll(obs))

    def _mixture_value(self, trace: PonderTrace) -> torch.Tensor:
        """``(B, 1)`` ``Σ_n p_n V_n(s)`` of an unroll."""
        return (trace.p * self.value_net(trace.states).squeeze(-1)).sum(0).unsqueeze(1)

    def get_distribution(self, obs: PyTorchObs) -> Distribution:
        """The mixture policy ``μ(·|s)`` as an SB3 distribution (discrete actions only)."""
        if not isinstance(self.action_dist, CategoricalDistribution):
            raise AisamAgentError(
                "the PonderNet policy is a mixture over ponder steps, which SB3 can represent "
                "only for Discrete actions; use evaluate_steps() or predict() instead"
            )
        trace = self.unroll(obs)
        n_steps, batch = trace.p.shape
        dist = self._step_distribution(trace)
        log_pi = dist.distribution.logits.reshape(n_steps, batch, -1)  # type: ignore[union-attr]
        logits = torch.logsumexp(_valid_log_p(trace).unsqueeze(-1) + log_pi, 0)
        return CategoricalDistribution(int(self.action_space.n)).proba_distribution(logits)  # type: ignore[attr-defined]


def mixture_log_prob(trace: PonderTrace, log_probs: torch.Tensor) -> torch.Tensor:
    """``(B,)`` ``log Σ_n p_n π_n(a|s)`` from per-step ``log π_n(a|s)`` ``(N, B)``."""
    return torch.logsumexp(_valid_log_p(trace) + log_probs, 0)


def _valid_log_p(trace: PonderTrace) -> torch.Tensor:
    """``(N, B)`` ``log p_n``, ``-inf`` after each element's last step (logsumexp skips it)."""
    return torch.where(trace.valid, trace.log_p, torch.full_like(trace.log_p, -torch.inf))


class PonderCnnPolicy(PonderActorCriticPolicy):
    """:class:`PonderActorCriticPolicy` on NatureCNN features (alias ``CnnPolicy``)."""

    default_features_extractor = NatureCNN


class PonderMultiInputPolicy(PonderActorCriticPolicy):
    """:class:`PonderActorCriticPolicy` for dict observations (alias ``MultiInputPolicy``)."""

    default_features_extractor = CombinedExtractor
