"""The one PPO update loop that PPO-family agents extend by a hook.

:class:`HookedPPO` is SB3's ``PPO`` whose ``train()`` runs the epoch/minibatch loop, the
``target_kl`` early stop, gradient clipping and SB3's ``train/*`` logging in one place and
asks a hook for each minibatch's loss:

``minibatch_loss(data, clip_range, clip_range_vf) -> (loss, stats)``.

The default hook is PPO's own loss ``L = L_clip + c_v L_V - c_e H`` (the same numbers as
SB3's ``PPO``); an agent with another objective overrides only the hook, built from the
pieces here: :meth:`HookedPPO.policy_terms` (the clipped policy loss and the entropy loss,
which IntrinsicPPO reuses with two value heads) or, for losses per element,
:func:`surrogate_losses`, :func:`clip_values` and :func:`approx_kl` (PonderPPO's
halting-weighted loss). ``stats`` maps logger keys to scalar tensors: all of them reach the
host in one copy per minibatch, the ``"train/approx_kl"`` entry drives the early stop and is
logged for the last epoch (as SB3 does), every other entry is logged as its mean over the
update's minibatches; ``train/loss`` is the last minibatch's loss (as SB3 logs it).

It also gives the family one checked ``load``: a missing, damaged or foreign model file,
or an env whose spaces differ from the saved ones, raises
:class:`~aisam_agents.errors.CheckpointError` instead of an error deep inside SB3 or torch.
"""

from __future__ import annotations

import io
import logging
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from stable_baselines3 import PPO
from stable_baselines3.common.buffers import RolloutBufferSamples
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.save_util import load_from_zip_file
from stable_baselines3.common.type_aliases import GymEnv
from stable_baselines3.common.utils import explained_variance
from stable_baselines3.common.vec_env import VecEnv

from aisam_agents.errors import CheckpointError
from aisam_agents.safe_load import plain_data, safe_custom_objects
from aisam_envs.atomic import atomic_write
from aisam_envs.errors import (
    InvalidConfigError,
    check_bool,
    check_device_name,
    check_int,
    check_real,
)

__all__ = [
    "APPROX_KL",
    "HookedPPO",
    "approx_kl",
    "clip_values",
    "model_file",
    "surrogate_losses",
]

logger = logging.getLogger(__name__)

SelfHookedPPO = TypeVar("SelfHookedPPO", bound="HookedPPO")

#: the ``stats`` key of the minibatch's approximate KL(old ‖ new), which drives the early stop
APPROX_KL = "train/approx_kl"

# The state dicts SB3's PPO saves, all of which its load() needs.
_SAVED_STATE_DICTS = ("policy", "policy.optimizer")


def surrogate_losses(
    ratio: torch.Tensor, advantages: torch.Tensor, clip_range: float
) -> torch.Tensor:
    """PPO's clipped surrogate per element, ``-min(r A, clip(r, 1 ± ε) A)`` (any shape)."""
    return -torch.min(
        advantages * ratio, advantages * torch.clamp(ratio, 1 - clip_range, 1 + clip_range)
    )


def clip_values(
    values: torch.Tensor, old_values: torch.Tensor, clip_range_vf: float | None
) -> torch.Tensor:
    """``values`` moved at most ``clip_range_vf`` from ``old_values`` (``None``: unchanged)."""
    if clip_range_vf is None:
        return values
    return old_values + torch.clamp(values - old_values, -clip_range_vf, clip_range_vf)


def approx_kl(log_ratio: torch.Tensor) -> torch.Tensor:
    """The low-variance estimate ``mean((r - 1) - log r)`` of KL(old ‖ new), no gradient."""
    with torch.no_grad():
        return torch.mean((torch.exp(log_ratio) - 1) - log_ratio)


_POSITIVE = ("learning_rate", "clip_range", "clip_range_vf", "target_kl", "max_grad_norm")
_SCHEDULES = ("learning_rate", "clip_range", "clip_range_vf")  # SB3 also takes a schedule


def check_ppo_settings(settings: Mapping[str, Any]) -> None:
    """:class:`~aisam_envs.errors.InvalidConfigError` naming the first of SB3 PPO's own
    settings in ``settings`` that is impossible: ones SB3 would take silently (a ``gamma``
    outside [0, 1], a ``max_grad_norm`` of 0 that stops learning, a negative ``clip_range``)
    or fail on deep inside torch (a string ``ent_coef``, a NaN ``learning_rate``)."""
    for name in ("n_steps", "batch_size", "n_epochs"):  # n_epochs 0 would train on nothing
        if name in settings:
            check_int(name, settings[name], 1)
    for name in ("gamma", "gae_lambda"):
        if name in settings and not 0 <= check_real(name, settings[name]) <= 1:
            raise InvalidConfigError(f"{name} must be in [0, 1], got {settings[name]}")
    for name in _POSITIVE:
        value = settings.get(name)
        optional = value is None and name in ("clip_range_vf", "target_kl")
        if name not in settings or optional or (name in _SCHEDULES and callable(value)):
            continue
        if check_real(name, value) <= 0:
            raise InvalidConfigError(f"{name} must be > 0, got {value}")
    if "ent_coef" in settings:
        check_real("ent_coef", settings["ent_coef"])
    if "vf_coef" in settings and check_real("vf_coef", settings["vf_coef"]) < 0:
        raise InvalidConfigError(f"vf_coef must be >= 0, got {settings['vf_coef']}")
    for name in ("normalize_advantage", "use_sde"):
        if name in settings:
            check_bool(name, settings[name])
    if settings.get("seed") is not None:
        check_int("seed", settings["seed"], 0, 2**32 - 1)
    if "device" in settings:
        check_device_name(settings["device"])
    kwargs = settings.get("policy_kwargs")
    if kwargs is not None and not isinstance(kwargs, Mapping):
        raise InvalidConfigError(f"policy_kwargs must be a dict or None, got {kwargs!r}")


class HookedPPO(PPO):
    """SB3's ``PPO`` with its update loop in one place and the loss in a hook.

    Takes every argument of SB3's ``PPO``; with the default hook it trains exactly as
    ``PPO`` does and logs the same ``train/*`` keys. Subclasses override
    :meth:`minibatch_loss` (and may add logs by overriding :meth:`train`, calling
    ``super().train()`` first).
    """

    def __init__(self, policy: str | type[BasePolicy], env: GymEnv | str, **kwargs: Any) -> None:
        check_ppo_settings(kwargs)
        try:
            super().__init__(policy, env, **kwargs)
        except AssertionError as exc:  # SB3 checks n_steps * n_envs and batch_size so
            raise InvalidConfigError(f"{type(self).__name__}: {exc}") from exc

    def minibatch_loss(
        self, data: RolloutBufferSamples, clip_range: float, clip_range_vf: float | None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """PPO's loss of one minibatch and its diagnostics (scalar tensors by logger key)."""
        values, log_prob, entropy = self.policy.evaluate_actions(
            data.observations, self.buffer_actions(data)
        )
        pg_loss, entropy_loss, stats = self.policy_terms(data, log_prob, entropy, clip_range)
        values_pred = clip_values(values.flatten(), data.old_values, clip_range_vf)
        value_loss = F.mse_loss(data.returns, values_pred)
        stats["train/value_loss"] = value_loss.detach()
        return pg_loss + self.ent_coef * entropy_loss + self.vf_coef * value_loss, stats

    def policy_terms(
        self,
        data: RolloutBufferSamples,
        log_prob: torch.Tensor,
        entropy: torch.Tensor | None,
        clip_range: float,
    ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """PPO's clipped policy loss and entropy loss of a minibatch, and their diagnostics.

        Args:
            data: the minibatch (old log-probabilities, advantages).
            log_prob: ``(B,)`` log-probabilities of its actions under the current policy.
            entropy: ``(B,)`` the policy's entropies, or ``None`` (then ``-log_prob``
                stands in, as in SB3).
            clip_range: PPO's ``ε``.
        """
        log_ratio = log_prob - data.old_log_prob
        ratio = torch.exp(log_ratio)
        pg_loss = surrogate_losses(ratio, self.minibatch_advantages(data), clip_range).mean()
        entropy_loss = -torch.mean(-log_prob) if entropy is None else -torch.mean(entropy)
        stats = {
            APPROX_KL: approx_kl(log_ratio),
            "train/policy_gradient_loss": pg_loss.detach(),
            "train/entropy_loss": entropy_loss.detach(),
            "train/clip_fraction": torch.mean((torch.abs(ratio - 1) > clip_range).float()),
        }
        return pg_loss, entropy_loss, stats

    def buffer_actions(self, data: RolloutBufferSamples) -> torch.Tensor:
        """The minibatch's actions as the policy takes them (``Discrete``: long, ``(B,)``)."""
        if isinstance(self.action_space, spaces.Discrete):
            return data.actions.long().flatten()
        return data.actions

    def minibatch_advantages(self, data: RolloutBufferSamples) -> torch.Tensor:
        """The minibatch's advantages ``(B,)``, standardised if ``normalize_advantage``.

        A minibatch of one is left as it is (its standard deviation is undefined).
        """
        advantages = data.advantages
        if self.normalize_advantage and len(advantages) > 1:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        return advantages

    def train(self) -> None:
        """One update: ``n_epochs`` passes over the rollout buffer, one optimiser step per
        minibatch, stopped early once a minibatch's approximate KL passes ``1.5 target_kl``.
        """
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        progress = self._current_progress_remaining
        clip_range = float(self.clip_range(progress))  # type: ignore[operator]
        clip_range_vf = None
        if self.clip_range_vf is not None:
            clip_range_vf = float(self.clip_range_vf(progress))  # type: ignore[operator]
        logs: dict[str, list[float]] = defaultdict(list)
        last_loss = float("nan")
        continue_training = True
        for epoch in range(self.n_epochs):
            logs[APPROX_KL] = []  # logged for the last epoch only, as SB3's PPO does
            for data in self.rollout_buffer.get(self.batch_size):
                loss, stats = self.minibatch_loss(data, clip_range, clip_range_vf)
                host = _to_host({"train/loss": loss.detach(), **stats})
                last_loss = host.pop("train/loss")
                for key, value in host.items():
                    logs[key].append(value)
                if self.target_kl is not None and host[APPROX_KL] > 1.5 * self.target_kl:
                    continue_training = False
                    logger.info(
                        "early stop at epoch %d: approximate KL %.4f", epoch, host[APPROX_KL]
                    )
                    break
                self.policy.optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
                self.policy.optimizer.step()
            self._n_updates += 1
            if not continue_training:
                break
        for key, values in logs.items():
            self.logger.record(key, float(np.mean(values)))
        self.logger.record("train/loss", last_loss)
        buffer = self.rollout_buffer
        self.logger.record(
            "train/explained_variance",
            float(explained_variance(buffer.values.flatten(), buffer.returns.flatten())),
        )
        if hasattr(self.policy, "log_std"):
            self.logger.record("train/std", torch.exp(self.policy.log_std).mean().item())
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/clip_range", clip_range)
        if clip_range_vf is not None:
            self.logger.record("train/clip_range_vf", clip_range_vf)

    def save(
        self,
        path: str | Path | io.BufferedIOBase,
        exclude: Any = None,
        include: Any = None,
    ) -> None:
        """SB3's ``save``, written atomically to a path: the zip goes to a temporary file in
        the same folder and replaces ``path`` (``.zip`` appended when it has no suffix, as
        in SB3) only once whole, so a full or read-only disk raises
        :class:`~aisam_envs.errors.SaveError` naming the path and keeps the previous file.
        """
        if not isinstance(path, str | Path):
            self._write_zip(path, exclude, include)
            return
        path = Path(path)
        if path.suffix == "":
            path = path.with_name(f"{path.name}.zip")
        with atomic_write(path) as file:
            self._write_zip(file, exclude, include)

    def _write_zip(self, file: io.BufferedIOBase, exclude: Any, include: Any) -> None:
        """Writes the model's zip to an open binary ``file``: SB3's members here;
        subclasses add theirs."""
        PPO.save(self, file, exclude=exclude, include=include)

    @classmethod
    def load(
        cls: type[SelfHookedPPO],
        path: str | Path | io.BufferedIOBase,
        env: GymEnv | None = None,
        device: torch.device | str = "auto",
        custom_objects: dict[str, Any] | None = None,
        print_system_info: bool = False,
        force_reset: bool = True,
        *,
        trusted: bool = False,
        **kwargs: Any,
    ) -> SelfHookedPPO:
        """SB3's ``load``, but it runs no code from the file, and a missing, damaged or
        foreign file, or an ``env`` whose spaces differ from the saved ones, raises
        :class:`CheckpointError`.

        The objects SB3 would unpickle from the file are rebuilt instead
        (:func:`~aisam_agents.safe_load.safe_custom_objects`); ``trusted=True`` unpickles
        them as SB3 does, for files you made yourself.

        As with SB3, a path that does not exist is retried with ``.zip`` appended. The file
        is read once more beforehand to check it (a model file is small). ``kwargs``
        override saved attributes, as in SB3; :meth:`check_overrides` checks them as the
        constructor would (:class:`~aisam_envs.errors.InvalidConfigError`), and the loaded
        model's :meth:`_on_load` reads what the algorithm saved besides SB3's.
        """
        cls.check_overrides(kwargs)
        if isinstance(path, str | Path):
            path = model_file(Path(path))
        if env is not None:  # as SB3 does (image transpose): the saved spaces are the wrapped
            env = cls._wrap_env(env, int(plain_data(path).get("verbose", 0)))
        if not trusted:
            custom_objects = safe_custom_objects(cls, path, env, custom_objects)
        data = cls._checked_model_data(path, custom_objects)
        if env is not None:
            _check_spaces(path, data, env)
        model = super().load(
            path,
            env=env,
            device=device,
            custom_objects=custom_objects,
            print_system_info=print_system_info,
            force_reset=force_reset,
            **kwargs,
        )
        model._on_load(path)
        return model

    @classmethod
    def check_overrides(cls, overrides: dict[str, Any]) -> None:
        """:class:`~aisam_envs.errors.InvalidConfigError` unless the attributes ``load``
        is asked to override are valid (PPO's, by :func:`check_ppo_settings`; subclasses
        add theirs)."""
        check_ppo_settings(overrides)

    def _on_load(self, path: Path | io.BufferedIOBase) -> None:
        """Called by :meth:`load` on the loaded model with its (checked) file: reads what
        the algorithm saves besides SB3's members. SB3's alone: nothing more to read."""

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
                f"the saved parameters do not fit this {type(self).__name__} model: {exc}"
            ) from exc

    @classmethod
    def _saved_by_this_class(cls, data: dict[str, Any]) -> bool:
        """Whether a model file's data was saved by this algorithm (its policy class is one
        of this algorithm's). Subclasses also look for an attribute only they save."""
        base = cls.policy_aliases["MlpPolicy"]
        policy_class = data["policy_class"]
        return isinstance(policy_class, type) and issubclass(policy_class, base)

    @classmethod
    def _checked_model_data(
        cls, path: Path | io.BufferedIOBase, custom_objects: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The model file's data, or :class:`CheckpointError` unless it is a whole model of
        this algorithm."""
        try:
            data, params, _ = load_from_zip_file(path, device="cpu", custom_objects=custom_objects)
        except Exception as exc:  # the file exists, so whatever fails decoding it is the file's
            raise CheckpointError(
                f"{path} is not a readable SB3 model file ({type(exc).__name__}: {exc})"
            ) from exc
        if data is None:
            raise CheckpointError(f"{path} is damaged or truncated: it has no model data")
        if "policy_class" not in data:
            raise CheckpointError(
                f"{path}: its policy class could not be deserialized (see the warning above)"
            )
        if not cls._saved_by_this_class(data):
            policy_class = data["policy_class"]
            name = getattr(policy_class, "__name__", repr(policy_class))
            raise CheckpointError(
                f"{path} was saved by another algorithm (its policy is {name}), not by "
                f"{cls.__name__}: load it with the class that saved it"
            )
        missing = [f"{name}.pth" for name in _SAVED_STATE_DICTS if name not in params]
        if missing:
            raise CheckpointError(f"{path} is damaged or truncated: it lacks {', '.join(missing)}")
        return data


def _to_host(stats: Mapping[str, torch.Tensor]) -> dict[str, float]:
    """Scalar tensors as floats, copied to the host together (one device sync)."""
    values = torch.stack([value.detach().float().reshape(()) for value in stats.values()])
    return dict(zip(stats, values.tolist(), strict=True))


def model_file(path: Path) -> Path:
    """``path``, else ``path.zip`` (where SB3's save puts a path with no suffix)."""
    for candidate in (path, Path(f"{path}.zip")):
        if candidate.is_file():
            return candidate
    also = f" or {path}.zip" if not path.suffix else ""
    raise CheckpointError(f"no saved model at {path}{also}")


def _check_spaces(path: Path | io.BufferedIOBase, data: dict[str, Any], env: VecEnv) -> None:
    """:class:`CheckpointError` unless ``env``'s spaces are the saved model's."""
    for name in ("observation_space", "action_space"):
        saved, given = data.get(name), getattr(env, name)
        if saved is not None and saved != given:
            raise CheckpointError(
                f"{path} was saved for another env: its {name} is {saved}, the given env's "
                f"is {given}; load it with an env like the one it was trained on"
            )
