"""PonderPPO: PPO whose policy is a PonderNet, trained with the PonderNet loss.

The PonderNet loss ``Σ_n p_n L_n + β KL(p ‖ p_G(λ_p))`` carried into RL: the per-step loss
``L_n`` is PPO's loss applied to step ``n``'s own policy ``π_n`` and value ``V_n``,

``L_n = -min(r_n A, clip(r_n, 1 ± ε) A) + c_v (V_n - R)^2 - c_e H(π_n)``,
``r_n = π_n(a|s) / μ_old(a|s)``,

where ``μ_old = Σ_n p_n^old π_n^old`` is the mixture the actions were actually drawn from
(its log-probability is what the rollout buffer stores), so each ``r_n`` is an exact
likelihood ratio and, unclipped, ``Σ_n p_n r_n`` is the mixture policy's own PPO ratio.
Gradients reach the halting distribution through ``p_n`` (steps with lower loss gain
weight) and through the KL to the truncated geometric prior.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from stable_baselines3.common.buffers import RolloutBufferSamples
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.type_aliases import GymEnv

from aisam_agents.ponder.loss import check_prior, ponder_loss
from aisam_agents.ponder.policy import (
    PonderActorCriticPolicy,
    PonderCnnPolicy,
    PonderMultiInputPolicy,
)
from aisam_agents.ppo_loop import (
    APPROX_KL,
    HookedPPO,
    approx_kl,
    check_ppo_settings,
    clip_values,
    surrogate_losses,
)
from aisam_envs.errors import InvalidConfigError

__all__ = ["PonderPPO"]

# r_n = π_n / μ_old can only be huge for a step that barely took part in acting; capping
# its log keeps exp() finite (and gradients NaN-free) without touching ordinary ratios.
_MAX_LOG_RATIO = 20.0


class PonderPPO(HookedPPO):
    """PPO with a PonderNet policy core (see the module docstring for the objective).

    Args:
        policy: ``"MlpPolicy"``, ``"CnnPolicy"``, ``"MultiInputPolicy"`` or a
            :class:`~aisam_agents.ponder.policy.PonderActorCriticPolicy` subclass. Size the
            core with ``policy_kwargs=dict(hidden_dim=64, max_steps=8, cell="gru",
            halt_epsilon=0.05)``; ``lambda_init`` defaults to ``lambda_p``.
        env: the environment (a gymnasium env, an SB3 ``VecEnv`` or a registered id).
        lambda_p: per-step halting probability of the geometric prior, in ``(0, 1)``;
            the prior's mean is about ``1 / lambda_p`` steps.
        ponder_beta: weight ``β`` of ``KL(p ‖ p_G(λ_p))``.
        **kwargs: every other argument of SB3's ``PPO`` (``n_steps``, ``batch_size``,
            ``learning_rate``, ``seed``, ``device``, ``tensorboard_log``, ``verbose``...).

    Logs, besides PPO's ``train/*``: ``ponder/expected_steps`` (mean ``Σ n p_n`` over the
    minibatches), ``ponder/kl`` and ``ponder/task_loss`` (``Σ_n p_n L_n``).
    """

    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {
        "MlpPolicy": PonderActorCriticPolicy,
        "CnnPolicy": PonderCnnPolicy,
        "MultiInputPolicy": PonderMultiInputPolicy,
    }

    def __init__(
        self,
        policy: str | type[PonderActorCriticPolicy],
        env: GymEnv | str,
        lambda_p: float = 0.25,
        ponder_beta: float = 0.01,
        **kwargs: Any,
    ) -> None:
        check_prior(lambda_p, ponder_beta, "ponder_beta")
        check_ppo_settings(kwargs)  # before policy_kwargs is read below
        if not isinstance(policy, str) and not (
            isinstance(policy, type) and issubclass(policy, PonderActorCriticPolicy)
        ):
            raise InvalidConfigError(
                "PonderPPO needs a PonderNet policy (MlpPolicy, CnnPolicy, MultiInputPolicy or "
                f"a PonderActorCriticPolicy subclass), got {policy!r}"
            )
        self.lambda_p = float(lambda_p)
        self.ponder_beta = float(ponder_beta)
        policy_kwargs = dict(kwargs.pop("policy_kwargs", None) or {})
        policy_kwargs.setdefault("lambda_init", self.lambda_p)
        super().__init__(policy, env, policy_kwargs=policy_kwargs, **kwargs)

    @classmethod
    def check_overrides(cls, overrides: dict[str, Any]) -> None:
        """``load``'s overrides of ``lambda_p``, ``ponder_beta`` and ``n_epochs`` are checked
        as the constructor checks them."""
        super().check_overrides(overrides)
        # the overrides only (the saved values were checked when saved): 0.5 and 0.0 pass
        check_prior(
            overrides.get("lambda_p", 0.5), overrides.get("ponder_beta", 0.0), "ponder_beta"
        )

    @classmethod
    def _saved_by_this_class(cls, data: dict[str, Any]) -> bool:
        """A PonderNet policy and the prior's ``lambda_p`` among the saved attributes."""
        return super()._saved_by_this_class(data) and "lambda_p" in data

    def minibatch_loss(
        self, data: RolloutBufferSamples, clip_range: float, clip_range_vf: float | None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The PonderNet-PPO loss of one minibatch and its diagnostics (SB3's ``train/*``
        keys as halting-weighted means over the steps, and ``ponder/*``)."""
        ev = self.policy.evaluate_steps(data.observations, self.buffer_actions(data))  # type: ignore[attr-defined]
        log_ratio = (ev.log_probs - data.old_log_prob).clamp(max=_MAX_LOG_RATIO)
        ratio = torch.exp(log_ratio)  # (N, B)
        pg_losses = surrogate_losses(ratio, self.minibatch_advantages(data), clip_range)
        values = clip_values(ev.values, data.old_values.unsqueeze(0), clip_range_vf)
        value_losses = (data.returns.unsqueeze(0) - values) ** 2
        entropies = -ev.log_probs if ev.entropies is None else ev.entropies
        step_losses = pg_losses + self.vf_coef * value_losses - self.ent_coef * entropies
        parts = ponder_loss(step_losses, ev.trace, self.lambda_p, self.ponder_beta)
        with torch.no_grad():
            p = ev.trace.p
            stats = {
                APPROX_KL: approx_kl(ev.log_prob - data.old_log_prob),
                "train/policy_gradient_loss": (p * pg_losses).sum(0).mean(),
                "train/value_loss": (p * value_losses).sum(0).mean(),
                "train/entropy_loss": -(p * entropies).sum(0).mean(),
                "train/clip_fraction": (p * ((ratio - 1).abs() > clip_range).float()).sum(0).mean(),
                "ponder/expected_steps": parts.expected_steps,
                "ponder/kl": parts.kl,
                "ponder/task_loss": parts.task,
            }
        return parts.total, stats
