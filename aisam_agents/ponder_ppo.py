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

import io
from collections import defaultdict
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3 import PPO
from stable_baselines3.common.buffers import RolloutBufferSamples
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.save_util import load_from_zip_file
from stable_baselines3.common.type_aliases import GymEnv
from stable_baselines3.common.utils import explained_variance

from aisam_agents.errors import CheckpointError, InvalidConfigError, check_int
from aisam_agents.ponder.loss import check_prior, ponder_loss
from aisam_agents.ponder.policy import (
    PonderActorCriticPolicy,
    PonderCnnPolicy,
    PonderMultiInputPolicy,
)

__all__ = ["PonderPPO"]

SelfPonderPPO = TypeVar("SelfPonderPPO", bound="PonderPPO")

# r_n = π_n / μ_old can only be huge for a step that barely took part in acting; capping
# its log keeps exp() finite (and gradients NaN-free) without touching ordinary ratios.
_MAX_LOG_RATIO = 20.0

# The state dicts SB3's PPO saves, all of which its load() needs.
_SAVED_STATE_DICTS = ("policy", "policy.optimizer")


class PonderPPO(PPO):
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
        check_prior(lambda_p, ponder_beta)
        if "n_epochs" in kwargs:  # SB3's PPO would train on nothing, then fail on its logs
            check_int("n_epochs", kwargs["n_epochs"], 1)
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

    def train(self) -> None:
        """One PPO update (``n_epochs`` passes over the rollout) with the PonderNet loss."""
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        clip_range = float(self.clip_range(self._current_progress_remaining))  # type: ignore[operator]
        clip_range_vf = None
        if self.clip_range_vf is not None:
            clip_range_vf = float(self.clip_range_vf(self._current_progress_remaining))  # type: ignore[operator]
        stats: dict[str, list[float]] = defaultdict(list)
        continue_training = True
        for _epoch in range(self.n_epochs):
            stats["approx_kl"] = []  # logged for the last epoch only, as SB3's PPO does
            for data in self.rollout_buffer.get(self.batch_size):
                loss, approx_kl = self._minibatch_loss(data, clip_range, clip_range_vf, stats)
                stats["approx_kl"].append(approx_kl)
                if self.target_kl is not None and approx_kl > 1.5 * self.target_kl:
                    continue_training = False
                    break
                self.policy.optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
                self.policy.optimizer.step()
            self._n_updates += 1
            if not continue_training:
                break
        self._record(stats, clip_range, clip_range_vf)

    @classmethod
    def load(
        cls: type[SelfPonderPPO],
        path: str | Path | io.BufferedIOBase,
        env: GymEnv | None = None,
        device: torch.device | str = "auto",
        custom_objects: dict[str, Any] | None = None,
        print_system_info: bool = False,
        force_reset: bool = True,
        **kwargs: Any,
    ) -> SelfPonderPPO:
        """SB3's ``load``, but a missing, damaged or foreign file raises :class:`CheckpointError`.

        As with SB3, a path that does not exist is retried with ``.zip`` appended. The file
        is read once more beforehand to check it (a model file is small). ``kwargs``
        override saved attributes, as in SB3; ``lambda_p``, ``ponder_beta`` and ``n_epochs``
        among them are checked as the constructor checks them (:class:`InvalidConfigError`).
        """
        # the overrides only (the saved values were checked when saved): 0.5 and 0.0 pass
        check_prior(kwargs.get("lambda_p", 0.5), kwargs.get("ponder_beta", 0.0))
        if "n_epochs" in kwargs:
            check_int("n_epochs", kwargs["n_epochs"], 1)
        if isinstance(path, str | Path):
            path = _model_file(Path(path))
        _check_model_file(path, custom_objects)
        return super().load(
            path,
            env=env,
            device=device,
            custom_objects=custom_objects,
            print_system_info=print_system_info,
            force_reset=force_reset,
            **kwargs,
        )

    def set_parameters(
        self,
        load_path_or_dict: str | Path | io.BufferedIOBase | dict[str, Any],
        exact_match: bool = True,
        device: torch.device | str = "auto",
    ) -> None:
        """SB3's ``set_parameters`` (also what ``load`` calls), but weights or optimizer state
        that do not fit this model raise :class:`CheckpointError` instead of torch's error.

        Everything that fails here reads the given parameters (torch's ``load_state_dict``:
        missing or unexpected keys, wrong shapes or groups; SB3: objects missing), so any
        ``RuntimeError`` or ``ValueError`` is the parameters' fault.
        """
        try:
            super().set_parameters(load_path_or_dict, exact_match=exact_match, device=device)
        except (RuntimeError, ValueError) as exc:
            raise CheckpointError(
                f"the saved parameters do not fit this PonderPPO model: {exc}"
            ) from exc

    def _minibatch_loss(
        self,
        data: RolloutBufferSamples,
        clip_range: float,
        clip_range_vf: float | None,
        stats: dict[str, list[float]],
    ) -> tuple[torch.Tensor, float]:
        """The PonderNet-PPO loss of one minibatch; appends its diagnostics to ``stats``."""
        actions = data.actions
        if isinstance(self.action_space, spaces.Discrete):
            actions = actions.long().flatten()
        ev = self.policy.evaluate_steps(data.observations, actions)  # type: ignore[attr-defined]
        advantages = data.advantages
        if self.normalize_advantage and len(advantages) > 1:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        log_ratio = (ev.log_probs - data.old_log_prob).clamp(max=_MAX_LOG_RATIO)
        ratio = torch.exp(log_ratio)  # (N, B)
        clipped = torch.clamp(ratio, 1 - clip_range, 1 + clip_range)
        pg_losses = -torch.min(advantages * ratio, advantages * clipped)
        values = ev.values
        if clip_range_vf is not None:
            old = data.old_values.unsqueeze(0)
            values = old + torch.clamp(values - old, -clip_range_vf, clip_range_vf)
        value_losses = (data.returns.unsqueeze(0) - values) ** 2
        entropies = -ev.log_probs if ev.entropies is None else ev.entropies
        step_losses = pg_losses + self.vf_coef * value_losses - self.ent_coef * entropies
        parts = ponder_loss(step_losses, ev.trace, self.lambda_p, self.ponder_beta)
        with torch.no_grad():
            p = ev.trace.p
            mix_log_ratio = ev.log_prob - data.old_log_prob
            diagnostics = {  # all scalars, copied to the host together (one sync)
                "approx_kl": ((mix_log_ratio.exp() - 1) - mix_log_ratio).mean(),
                "pg_loss": (p * pg_losses).sum(0).mean(),
                "value_loss": (p * value_losses).sum(0).mean(),
                "entropy_loss": -(p * entropies).sum(0).mean(),
                "clip_fraction": (p * ((ratio - 1).abs() > clip_range).float()).sum(0).mean(),
                "expected_steps": parts.expected_steps,
                "kl": parts.kl,
                "task_loss": parts.task,
                "loss": parts.total,
            }
            on_host = torch.stack(list(diagnostics.values())).tolist()
        host = dict(zip(diagnostics, on_host, strict=True))
        approx_kl = host.pop("approx_kl")
        for key, value in host.items():
            stats[key].append(value)
        return parts.total, approx_kl

    def _record(
        self, stats: dict[str, list[float]], clip_range: float, clip_range_vf: float | None
    ) -> None:
        """Write the update's diagnostics to SB3's logger."""
        buffer = self.rollout_buffer
        explained_var = explained_variance(buffer.values.flatten(), buffer.returns.flatten())
        for key in ("entropy_loss", "value_loss", "approx_kl", "clip_fraction", "loss"):
            self.logger.record(f"train/{key}", float(np.mean(stats[key])))
        self.logger.record("train/policy_gradient_loss", float(np.mean(stats["pg_loss"])))
        self.logger.record("train/explained_variance", explained_var)
        if hasattr(self.policy, "log_std"):
            self.logger.record("train/std", torch.exp(self.policy.log_std).mean().item())
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/clip_range", clip_range)
        if clip_range_vf is not None:
            self.logger.record("train/clip_range_vf", clip_range_vf)
        for key in ("expected_steps", "kl", "task_loss"):
            self.logger.record(f"ponder/{key}", float(np.mean(stats[key])))


def _model_file(path: Path) -> Path:
    """``path``, else ``path.zip`` (where SB3's save puts a path with no suffix)."""
    for candidate in (path, Path(f"{path}.zip")):
        if candidate.is_file():
            return candidate
    also = f" or {path}.zip" if not path.suffix else ""
    raise CheckpointError(f"no saved model at {path}{also}")


def _check_model_file(
    path: Path | io.BufferedIOBase, custom_objects: dict[str, Any] | None
) -> None:
    """Raise :class:`CheckpointError` unless ``path`` holds a whole PonderPPO model."""
    try:
        data, params, _ = load_from_zip_file(path, device="cpu", custom_objects=custom_objects)
    except Exception as exc:  # the file exists, so whatever fails decoding it is the file's fault
        raise CheckpointError(
            f"{path} is not a readable SB3 model file ({type(exc).__name__}: {exc})"
        ) from exc
    if data is None:
        raise CheckpointError(f"{path} is damaged or truncated: it has no model data")
    if "policy_class" not in data:
        raise CheckpointError(
            f"{path}: its policy class could not be deserialized (see the warning above)"
        )
    policy_class = data["policy_class"]
    ponder_policy = isinstance(policy_class, type) and issubclass(
        policy_class, PonderActorCriticPolicy
    )
    if not ponder_policy or "lambda_p" not in data:
        name = getattr(policy_class, "__name__", repr(policy_class))
        raise CheckpointError(
            f"{path} was saved by another algorithm (its policy is {name}), not by PonderPPO: "
            "load it with the class that saved it"
        )
    missing = [f"{name}.pth" for name in _SAVED_STATE_DICTS if name not in params]
    if missing:
        raise CheckpointError(f"{path} is damaged or truncated: it lacks {', '.join(missing)}")
