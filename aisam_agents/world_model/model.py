"""The world model: p(next observation, reward, termination | history, action).

Observations become tokens (:mod:`~aisam_agents.world_model.tokenizers`), frames of
tokens plus an action token go through a block-causal GPT
(:mod:`~aisam_agents.world_model.transformer`), and three heads predict the next frame's
tokens, the reward and the termination. The model satisfies the ``PredictiveModel``
protocol of ``aisam_wrappers`` (``prediction_error``, ``predictive_entropy``,
``update``), so prediction-error and entropy bonuses can use it directly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import numbers
import sys
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch import nn

from aisam_agents.errors import CheckpointError
from aisam_agents.world_model.checkpoint import load_checkpoint, save_checkpoint
from aisam_agents.world_model.config import WorldModelConfig
from aisam_agents.world_model.imagination import (
    Imagination,
    NextFrameDistribution,
    Policy,
    check_actions,
    imagine_tokens,
)
from aisam_agents.world_model.tokenizers import check_ids, make_tokenizer
from aisam_agents.world_model.transformer import WorldTransformer, adamw
from aisam_envs.errors import InvalidConfigError, check_int

if TYPE_CHECKING:  # annotations only: importing the wrappers at run time would load numba
    from aisam_wrappers.batch import Transitions

ArrayLike = np.ndarray | torch.Tensor


class WorldModel(nn.Module):
    """Transformer world model over discrete tokens.

    Args:
        observation_space: ``Discrete`` or ``Box`` (uint8 images or vectors).
        action_space: ``Discrete``.
        config: hyperparameters (default: the ``tiny`` preset).

    Training batches are mappings of arrays (numpy or torch):
        ``obs`` ``(B, L + 1, *obs_shape)`` (or ``tokens`` ``(B, L + 1, T)`` to skip the
        tokenizer), ``actions`` ``(B, L)``, optional ``rewards`` ``(B, L)``,
        ``terminated`` ``(B, L)`` and ``mask`` ``(B, L)`` (valid transitions), with
        ``L <= max_frames``; ``actions[:, t]`` leads from ``obs[:, t]`` to ``obs[:, t + 1]``.
        An optional ``obs_mask`` ``(B, L)`` masks the next-observation loss alone (default:
        ``mask``): the last step of an episode has a reward and a termination target but,
        in a stream whose terminal observation was replaced by the next episode's first,
        no next observation.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        config: WorldModelConfig | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(action_space, spaces.Discrete):
            raise InvalidConfigError(
                f"the world model needs a Discrete action space, got {action_space}"
            )
        self.config = config or WorldModelConfig()
        self.observation_space, self.action_space = observation_space, action_space
        self.device = self.config.torch_device()
        cfg = self.config
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            self.tokenizer = make_tokenizer(observation_space, cfg)
            self.transformer = WorldTransformer(
                self.tokenizer.vocab_size,
                int(action_space.n),
                self.tokenizer.tokens_per_frame,
                cfg.max_frames,
                cfg.n_layer,
                cfg.n_head,
                cfg.n_embd,
                cfg.dropout,
            )
        self.to(self.device)
        self._amp = cfg.autocast and self.device.type == "cuda"
        self.generator = torch.Generator(self.device).manual_seed(cfg.seed)
        for module in self.modules():
            if hasattr(module, "generator") and module is not self:
                module.generator = self.generator
        self.optimizer = adamw(
            self, cfg.learning_rate, cfg.weight_decay, (cfg.beta1, cfg.beta2), self.device
        )
        self._set_forward(torch.compile(self.transformer) if cfg.compile else self.transformer)
        self._lr = cfg.learning_rate
        self.steps_done = 0
        self.obs_shape = self.tokenizer.obs_shape

    # ----------------------------------------------------------------- tensors in
    def autocast(self, cache_enabled: bool = True) -> contextlib.AbstractContextManager:
        """bf16 autocast where the config asks for it on a CUDA device, else nothing.
        ``cache_enabled=False`` for code captured in a CUDA graph, where cached weight
        casts would go stale once the weights are updated."""
        if self._amp:
            return torch.autocast("cuda", dtype=torch.bfloat16, cache_enabled=cache_enabled)
        return contextlib.nullcontext()

    def _tensor(self, x: ArrayLike, dtype: torch.dtype | None = None) -> torch.Tensor:
        return torch.as_tensor(
            np.asarray(x) if not torch.is_tensor(x) else x, device=self.device, dtype=dtype
        )

    def tokenize(self, obs: ArrayLike) -> torch.Tensor:
        """Observations ``(..., *obs_shape)`` -> tokens ``(..., T)`` int64 (no gradients)."""
        obs = self._tensor(obs)
        n = len(self.obs_shape)
        if obs.dim() < n + 1 or tuple(obs.shape[obs.dim() - n :]) != self.obs_shape:
            raise InvalidConfigError(
                f"observations must have shape (..., *{self.obs_shape}), got {tuple(obs.shape)}"
            )
        lead = obs.shape[: obs.dim() - n]
        with torch.no_grad():
            tokens = self.tokenizer.encode(obs.reshape(-1, *self.obs_shape))
        return tokens.view(*lead, self.tokenizer.tokens_per_frame)

    def detokenize(self, tokens: torch.Tensor) -> torch.Tensor:
        """Tokens ``(..., T)`` -> observations (state ids, or resized frames in [0, 1])."""
        lead = tokens.shape[:-1]
        with torch.no_grad():
            out = self.tokenizer.decode(tokens.reshape(-1, tokens.shape[-1]))
        return out.view(*lead, *out.shape[1:])

    # ----------------------------------------------------------------- training
    def loss(self, batch: Mapping[str, ArrayLike]) -> dict[str, torch.Tensor]:
        """Losses on one batch (see the class docstring for its keys).

        Returns:
            ``loss`` (the total to minimise) and its parts: ``obs_nll`` (nats per
            observation token), ``token_acc``, ``reward_mse``, ``term_bce``,
            ``tokenizer_loss``.
        """
        if "actions" not in batch or ("obs" not in batch and "tokens" not in batch):
            raise InvalidConfigError("a batch needs 'actions' and 'obs' (or 'tokens')")
        out: dict[str, torch.Tensor] = {}
        if "tokens" in batch:
            tokens = self._tensor(batch["tokens"])
            if tokens.dim() != 3 or tokens.shape[-1] != self.tokenizer.tokens_per_frame:
                raise InvalidConfigError(
                    f"tokens must be (B, L + 1, {self.tokenizer.tokens_per_frame}), "
                    f"got {tuple(tokens.shape)}"
                )
            self._check_sequences(tokens.shape)
            tokens = check_ids(tokens, self.tokenizer.vocab_size, "tokens")
            tok_loss = torch.zeros((), device=self.device)
        else:
            obs = self._tensor(batch["obs"])
            if obs.dim() != 2 + len(self.obs_shape):
                raise InvalidConfigError(
                    f"obs must be (B, L + 1, *{self.obs_shape}), got {tuple(obs.shape)}"
                )
            self._check_sequences(obs.shape)
            with self.autocast():  # one encoder pass gives the loss and the tokens
                tok_loss, tokens = self.tokenizer.loss_and_tokens(obs.reshape(-1, *self.obs_shape))
            tokens = tokens.view(*obs.shape[:2], -1)
        b, l1, _ = tokens.shape
        shape = (b, l1 - 1)
        actions = check_actions(self._tensor(batch["actions"]), shape, self.transformer.n_actions)
        mask = self._targets(batch["mask"], "mask", shape, unit=True) if "mask" in batch else None
        obs_mask = (
            self._targets(batch["obs_mask"], "obs_mask", shape, unit=True)
            if "obs_mask" in batch
            else mask
        )
        with self.autocast():
            logits, reward, term, _ = self._forward(
                self.transformer.frame_tokens(tokens[:, :-1], actions)
            )
        target = tokens[:, 1:]
        nll = F.cross_entropy(logits.float().flatten(0, 2), target.flatten(), reduction="none")
        acc = (logits.argmax(-1) == target).float()
        out["obs_nll"] = _masked_mean(nll.view(target.shape).mean(-1), obs_mask)
        out["token_acc"] = _masked_mean(acc.mean(-1), obs_mask)
        total = out["obs_nll"] + tok_loss
        if "rewards" in batch:
            r = self._targets(batch["rewards"], "rewards", shape)
            out["reward_mse"] = _masked_mean((reward.float() - r) ** 2, mask)
            total = total + self.config.reward_coef * out["reward_mse"]
        if "terminated" in batch:
            d = self._targets(batch["terminated"], "terminated", shape, unit=True)
            bce = F.binary_cross_entropy_with_logits(term.float(), d, reduction="none")
            out["term_bce"] = _masked_mean(bce, mask)
            total = total + self.config.termination_coef * out["term_bce"]
        out["tokenizer_loss"] = tok_loss.detach()
        out["loss"] = total
        return out

    def _check_sequences(self, shape: torch.Size) -> None:
        """Raises InvalidConfigError unless ``shape`` starts with ``(B, L + 1)``, ``B >= 1``
        and ``1 <= L <= max_frames``."""
        if shape[0] < 1:
            raise InvalidConfigError(
                f"a batch needs at least one sequence, got shape {tuple(shape)}"
            )
        if not 2 <= shape[1] <= self.config.max_frames + 1:
            raise InvalidConfigError(
                f"sequences need 1..{self.config.max_frames} transitions, got {shape[1] - 1}"
            )

    def _targets(
        self, values: ArrayLike, name: str, shape: tuple[int, int], unit: bool = False
    ) -> torch.Tensor:
        """``values`` as float32 after checking that it is ``shape`` (it would broadcast)
        and finite, or in [0, 1] if ``unit`` (a NaN target would spoil every weight)."""
        x = self._tensor(values, torch.float32)
        if tuple(x.shape) != shape:
            raise InvalidConfigError(f"{name} must have shape {shape}, got {tuple(x.shape)}")
        valid = ((x >= 0) & (x <= 1)).all() if unit else torch.isfinite(x).all()
        if not bool(valid):
            raise InvalidConfigError(f"{name} must be {'in [0, 1]' if unit else 'finite'}")
        return x

    def train_step(self, batch: Mapping[str, ArrayLike]) -> dict[str, float]:
        """One AdamW step on ``batch``; returns the losses as floats."""
        self.train()
        losses = self.loss(batch)
        self.optimizer.zero_grad(set_to_none=True)
        losses["loss"].backward()
        grad_norm = nn.utils.clip_grad_norm_(self.parameters(), self.config.grad_clip)
        warmup = self.config.warmup_steps
        if warmup and self.steps_done <= warmup:
            for group in self.optimizer.param_groups:
                group["lr"] = self._lr * min(1.0, (self.steps_done + 1) / warmup)
        self.optimizer.step()
        self.steps_done += 1
        values = [v.detach().float() for v in losses.values()] + [grad_norm.float()]
        floats = torch.stack(values).tolist()  # one device -> host copy, not one per value
        return dict(zip([*losses, "grad_norm"], floats, strict=True))

    def distribute(self) -> None:
        """Trains the transformer with DistributedDataParallel from now on.

        Call after ``torch.distributed.init_process_group``, once per process, with the
        model on that process's device; every process then feeds its own batches and the
        gradients are averaged. A VQ tokenizer is not synchronised: train it first and
        feed ``tokens`` batches, or use Discrete observations.
        """
        if not torch.distributed.is_initialized():
            raise InvalidConfigError(
                "call torch.distributed.init_process_group before distribute()"
            )
        ids = [self.device.index or 0] if self.device.type == "cuda" else None
        ddp = nn.parallel.DistributedDataParallel(self.transformer, device_ids=ids)
        self._set_forward(torch.compile(ddp) if self.config.compile else ddp)

    def _set_forward(self, forward: nn.Module) -> None:
        """Sets the training forward (the transformer, compiled or distributed) outside the
        module registry: it wraps ``self.transformer``, so registered it would put a second,
        wrapper-dependent copy of the weights in the state dict, and a file saved without
        ``compile`` (or before ``distribute``) would not load into a model with it."""
        object.__setattr__(self, "_forward", forward)

    def load_state_dict(
        self, state_dict: Mapping[str, torch.Tensor], strict: bool = True, assign: bool = False
    ) -> nn.modules.module._IncompatibleKeys:
        """``nn.Module.load_state_dict``, also reading files written before the training
        forward left the registry: their ``_forward.*`` entries repeat ``transformer.*``."""
        state = OrderedDict((k, v) for k, v in state_dict.items() if not k.startswith("_forward."))
        state._metadata = getattr(state_dict, "_metadata", None)  # type: ignore[attr-defined]
        return super().load_state_dict(state, strict=strict, assign=assign)

    def set_learning_rate(self, lr: float) -> None:
        """Sets the optimizer's learning rate (for schedules driven by the caller; the
        config's warmup still scales it during the first steps)."""
        # NaN fails the comparison; a huge int compares without overflowing
        if (
            isinstance(lr, bool)
            or not isinstance(lr, numbers.Real)
            or not 0 < lr <= sys.float_info.max
        ):
            raise InvalidConfigError(f"the learning rate must be a finite number > 0, got {lr!r}")
        self._lr = lr
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    # ----------------------------------------------------------------- prediction
    def _history(self, obs: ArrayLike, actions: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokens ``(B, F, T)`` and actions ``(B, F)`` of a history, single frames allowed."""
        tokens = self.tokenize(obs)
        actions = self._tensor(actions)
        if tokens.dim() == 2:
            tokens = tokens[:, None]
        if actions.dim() == 1:
            actions = actions[:, None]
        actions = check_actions(actions, tuple(tokens.shape[:2]), self.transformer.n_actions)
        f = self.config.max_frames
        return tokens[:, -f:], actions[:, -f:]

    @torch.no_grad()
    def predict_next(
        self, obs_history: ArrayLike, action_history: ArrayLike
    ) -> NextFrameDistribution:
        """Distribution of the next observation, reward and termination, with the
        features ``(B, d_model)`` they were read from.

        Args:
            obs_history: ``(B, F, *obs_shape)`` observations (or ``(B, *obs_shape)``: one).
            action_history: ``(B, F)`` actions (or ``(B,)``); the last one is the action
                whose consequence is predicted. Only the last ``max_frames`` frames count.
        """
        self.eval()
        tokens, actions = self._history(obs_history, action_history)
        with self.autocast():
            out = self.transformer(self.transformer.frame_tokens(tokens, actions))
        return NextFrameDistribution.last_frame(out)

    def predictive_entropy(self, obs: ArrayLike, actions: ArrayLike) -> np.ndarray:
        """``(n,)`` float32 entropy (nats) of the predicted next observation after
        ``actions`` ``(n,)`` from ``obs`` ``(n, *obs_shape)`` (or histories, as in
        :meth:`predict_next`)."""
        return self.predict_next(obs, actions).entropy().cpu().numpy()

    def prediction_error(self, batch: Transitions) -> np.ndarray:
        """``(n,)`` float32 surprise ``-log p(next_obs | obs, action)`` in nats, per
        transition of ``batch`` (its ``obs`` may be histories, as in :meth:`predict_next`)."""
        dist = self.predict_next(batch.obs, batch.actions)
        target = self.tokenize(batch.next_obs)
        if target.shape != dist.logits.shape[:2]:
            raise InvalidConfigError(f"next_obs must be (n, *{self.obs_shape})")
        return (-dist.log_prob(target)).cpu().numpy()

    def update(self, batch: Transitions, terminated: ArrayLike | None = None) -> dict[str, float]:
        """One online training step on a batch of transitions ``(n, ...)``.

        The reward head learns ``batch.rewards`` when the batch has them; the
        termination head learns ``terminated`` ``(n,)`` when given (``batch.dones``
        also counts truncations, so it is not a termination target).
        """
        obs, next_obs = self._tensor(batch.obs), self._tensor(batch.next_obs)
        if obs.shape != next_obs.shape:
            raise InvalidConfigError(
                f"obs and next_obs must have the same shape, got {tuple(obs.shape)} and "
                f"{tuple(next_obs.shape)}"
            )
        sequences: dict[str, ArrayLike] = {
            "obs": torch.stack([obs, next_obs], dim=1),
            "actions": self._tensor(batch.actions).reshape(-1, 1),
        }
        if batch.rewards is not None:
            sequences["rewards"] = self._tensor(batch.rewards, torch.float32).reshape(-1, 1)
        if terminated is not None:
            sequences["terminated"] = self._tensor(terminated, torch.float32).reshape(-1, 1)
        return self.train_step(sequences)

    def imagine(
        self,
        obs: ArrayLike,
        actions_or_policy: ArrayLike | Policy,
        horizon: int,
        *,
        past_actions: ArrayLike | None = None,
        sample: bool = True,
        use_cache: bool = True,
        generator: torch.Generator | None = None,
        grad: bool = False,
    ) -> Imagination:
        """Imagined rollouts of ``horizon`` steps from ``obs``.

        Args:
            obs: start observations ``(B, *obs_shape)``, or histories
                ``(B, L, *obs_shape)`` whose last frame starts the rollouts.
            actions_or_policy: ``(B, horizon)`` actions, or a :data:`Policy`
                ``policy(obs_tokens (B, T), features (B, d_model))`` returning ``(B,)``
                actions (or ``(B, n_actions)`` one-hot rows), optionally with ``(B,)``
                log-probs; decode tokens with :meth:`detokenize` if it needs observations.
            horizon: steps to imagine (>= 1).
            past_actions: ``(B, L - 1)`` actions of a history (``past_actions[:, i]`` led
                from ``obs[:, i]`` to ``obs[:, i + 1]``); needed when ``L > 1``.
            sample: sample next observations (else the most likely tokens).
            use_cache: use the KV cache (one frame of compute per step).
            generator: random source (default: the model's own, seeded by the config).
            grad: keep the autograd graph, to train an actor through the rollout: the
                policy's log-probs, and through one-hot actions the features, rewards and
                entropies, carry gradients to it. Gradients also reach this model's
                parameters; :meth:`train_step` clears them before its own step. Default:
                ``no_grad``.
        """
        check_int("horizon", horizon, 1)
        self.eval()
        tokens = self.tokenize(obs)
        if tokens.dim() == 2:
            tokens = tokens[:, None]
        if tokens.dim() != 3:
            raise InvalidConfigError(
                f"obs must be (B, *{self.obs_shape}) or (B, L, *{self.obs_shape}), "
                f"got {tuple(self._tensor(obs).shape)}"
            )
        b, length = tokens.shape[:2]
        n_actions = self.transformer.n_actions
        if past_actions is None and length > 1:
            raise InvalidConfigError(
                f"a history of {length} observations needs past_actions ({b}, {length - 1})"
            )
        if past_actions is None:  # a single start frame: nothing to check, no host sync
            past = torch.zeros(b, 0, dtype=torch.long, device=self.device)
        else:
            past = check_actions(
                self._tensor(past_actions), (b, length - 1), n_actions, "past_actions"
            )
        if callable(actions_or_policy):
            actions = actions_or_policy
        else:
            actions = check_actions(self._tensor(actions_or_policy), (b, horizon), n_actions)
        dtype = torch.bfloat16 if self._amp else torch.float32
        with self.autocast():
            return imagine_tokens(
                self.transformer,
                tokens,
                past,
                actions,
                horizon,
                sample=sample,
                generator=generator or self.generator,
                use_cache=use_cache,
                cache_dtype=dtype,
                grad=grad,
            )

    # ----------------------------------------------------------------- persistence
    def save(self, path: str | Path) -> None:
        """Writes weights, config and spaces to ``path`` (no pickled code)."""
        save_checkpoint(
            path,
            self.config.to_json(),
            self.observation_space,
            self.action_space,
            self.state_dict(),
        )

    @classmethod
    def load(cls, path: str | Path, device: str | None = None) -> WorldModel:
        """Rebuilds a model saved by :meth:`save` (optionally on another ``device``).

        Raises:
            CheckpointError: missing, corrupt or mismatched checkpoint.
            InvalidConfigError: a bad ``device``, or the saved one is a GPU this machine
                lacks (pass ``device="cpu"``).
        """
        config_json, obs_space, act_space, state = load_checkpoint(path)
        try:
            config = WorldModelConfig.from_json(config_json)
        except ValueError as exc:  # bad JSON, or an InvalidConfigError
            raise CheckpointError(f"{path} has an invalid config ({exc})") from exc
        if device is not None:
            config = dataclasses.replace(config, device=device)
        config.torch_device()  # the device is the caller's to fix, not the file's
        try:
            model = cls(obs_space, act_space, config)
            model.load_state_dict(state)
        except (InvalidConfigError, RuntimeError, ValueError) as exc:
            raise CheckpointError(f"{path} does not match its saved config ({exc})") from exc
        return model

    def num_params(self, non_embedding: bool = True) -> int:
        """Transformer parameters (see :meth:`WorldTransformer.num_params`)."""
        return self.transformer.num_params(non_embedding)


def _masked_mean(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if mask is None:
        return x.mean()
    return (x * mask).sum() / mask.sum().clamp_min(1.0)
