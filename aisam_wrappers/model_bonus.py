"""Bonuses computed by a :class:`~aisam_wrappers.protocols.PredictiveModel`.

:class:`ModelBonus` scores each batch with the model, then trains the model online on
the same transitions (buffered until ``train_batch`` rows, so tiny batches from a few
envs do not cost one optimiser step each). :func:`resolve_model` builds the built-in
models by name; any object satisfying the protocol is used as it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gymnasium import spaces

from aisam_envs.errors import InvalidConfigError, check_int, require_extra
from aisam_wrappers.adapters import wrap_bonus
from aisam_wrappers.base import IntrinsicReward, MixOptions
from aisam_wrappers.batch import Transitions
from aisam_wrappers.count_model import DirichletCountModel
from aisam_wrappers.protocols import PredictiveModel

if TYPE_CHECKING:
    from aisam_wrappers.models import ModelConfig

MODEL_NAMES = ("count", "rnd", "forward")
#: the models that ``model_config`` (a ``ModelConfig``) sets up
LEARNED_MODELS = ("rnd", "forward")


def resolve_model(
    model: str | PredictiveModel,
    observation_space: spaces.Space,
    action_space: spaces.Space,
    model_config: ModelConfig | Mapping[str, Any] | None = None,
    seed: int | None = None,
) -> PredictiveModel:
    """The model named ``model`` (``"count"``, ``"rnd"``, ``"forward"``) or ``model`` itself.

    Args:
        model: a name or an object satisfying :class:`PredictiveModel`.
        observation_space, action_space: single-env spaces of the env.
        model_config: a :class:`~aisam_wrappers.models.ModelConfig` for the learned models
            (``"rnd"``, ``"forward"``), or a mapping of its fields (e.g. ``{"hidden": 64}``);
            with any other model an :class:`InvalidConfigError`, not silently ignored.
        seed: seeds a learned model (``ModelConfig.seed``) unless ``model_config`` gives
            a seed (a ``ModelConfig`` object always does); the count model and model
            objects have no seed to set.
    """
    if isinstance(model, str):
        if model in LEARNED_MODELS:
            require_extra("torch", "agents")
            from aisam_wrappers import models

            cls = models.RNDModel if model == "rnd" else models.ForwardDynamicsModel
            return cls(observation_space, action_space, _model_config(model_config, seed))
        if model != "count":
            raise InvalidConfigError(
                f"unknown model {model!r}: use one of {MODEL_NAMES} or pass a PredictiveModel"
            )
    elif not isinstance(model, PredictiveModel):
        raise InvalidConfigError(
            f"model must be one of {MODEL_NAMES} or a PredictiveModel; "
            f"{type(model).__name__} is not a PredictiveModel: it needs prediction_error(batch), "
            "predictive_entropy(obs, actions) and update(batch)"
        )
    if model_config is not None:  # nothing else reads it: an error, not a silent no-op
        given = (
            f"model={model!r}"
            if isinstance(model, str)
            else f"a {type(model).__name__} object (configure it when you build it)"
        )
        raise InvalidConfigError(
            f"model_config only applies to the learned models {LEARNED_MODELS}, not {given}; "
            "drop model_config"
        )
    return DirichletCountModel(observation_space, action_space) if isinstance(model, str) else model


def _model_config(config: Any, seed: int | None) -> ModelConfig:
    """``config`` as a ``ModelConfig`` (built from a mapping of its fields, or the
    defaults), seeded with ``seed`` unless ``config`` gives a seed."""
    from aisam_wrappers.models import ModelConfig

    if isinstance(config, ModelConfig):
        return config
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        raise InvalidConfigError(
            "model_config must be a ModelConfig or a dict of its fields (a JSON object), "
            f"got {config!r}"
        )
    fields = [f.name for f in dataclasses.fields(ModelConfig)]
    unknown = sorted(set(config) - set(fields))
    if unknown:
        raise InvalidConfigError(
            f"unknown model_config field(s) {unknown}; ModelConfig has {fields}"
        )
    return ModelConfig(**{**({} if seed is None else {"seed": seed}), **config})


class ModelBonus(IntrinsicReward):
    """An intrinsic reward read from a predictive model trained online on the batches.

    Args:
        observation_space, action_space, num_envs: of the env (single-env spaces).
        model: the predictive model.
        train_batch: train the model once this many transitions are buffered (1: on
            every batch).
    """

    #: a model's training step reads no infos: the SB3 adapter runs it as the env steps
    deferrable = True

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        num_envs: int,
        model: PredictiveModel,
        train_batch: int = 1,
    ) -> None:
        super().__init__(observation_space, action_space, num_envs)
        self.model = model
        self.train_batch = check_int("train_batch", train_batch, 1)
        self._buffer: list[Transitions] = []
        self._buffered = 0
        self.metrics: dict[str, float] = {}

    def update(self, batch: Transitions) -> dict[str, float]:
        """Buffers the transitions; trains the model when ``train_batch`` are buffered.

        A buffered batch keeps no ``infos`` (see :meth:`Transitions.concat`).
        """
        if not self._buffer and len(batch) >= self.train_batch:  # no copies when nothing waits
            self.metrics = self.model.update(batch)
            return self.metrics
        self._buffer.append(Transitions.concat([batch]))  # a copy: envs reuse their arrays
        self._buffered += len(batch)
        if self._buffered < self.train_batch:
            return {}
        buffered = Transitions.concat(self._buffer)
        self._buffer.clear()
        self._buffered = 0
        self.metrics = self.model.update(buffered)
        return self.metrics

    def observe(self, batch: Transitions) -> None:
        """The model's input statistics, where it keeps any (an optional ``observe(batch)``
        beside the :class:`PredictiveModel` protocol: RND and forward dynamics have one)."""
        observe = getattr(self.model, "observe", None)
        if observe is not None:
            observe(batch)


def default_train_batch(model: PredictiveModel) -> int:
    """1 for the (cheap, exact) count model, 64 for learned models."""
    return 1 if isinstance(model, DirichletCountModel) else 64


class ModelBonusOptions(MixOptions, total=False):
    """The keywords every model-bonus constructor takes beyond ``model``.

    Attributes:
        model_config: a :class:`~aisam_wrappers.models.ModelConfig` for ``"rnd"`` /
            ``"forward"`` (hidden sizes, lr, device, seed; an error with other models),
            or a dict of its fields.
        train_batch: transitions per training step (default: 1 for ``"count"``, 64
            otherwise).
        seed: seeds ``"rnd"`` / ``"forward"`` unless ``model_config`` gives a seed (see
            :func:`resolve_model`).
        extrinsic_coef, intrinsic_coef, normalize, gamma, split: the
            :class:`~aisam_wrappers.base.MixOptions`, see
            :class:`~aisam_wrappers.base.BonusMixer`.
    """

    model_config: ModelConfig | Mapping[str, Any] | None
    train_batch: int | None
    seed: int | None


#: the names of :class:`ModelBonusOptions`
MODEL_BONUS_OPTIONS: frozenset[str] = (
    ModelBonusOptions.__required_keys__ | ModelBonusOptions.__optional_keys__
)


def wrap_model_bonus(
    env: Any,
    cls: type[ModelBonus],
    model: str | PredictiveModel,
    options: ModelBonusOptions,
    **kwargs: Any,
) -> Any:
    """Wraps ``env`` with a ``cls`` bonus read from ``model``, as its constructor asks.

    Args:
        env: a gymnasium ``Env`` / ``VectorEnv`` or SB3 ``VecEnv``.
        cls: the :class:`ModelBonus` subclass.
        model: a name of :data:`MODEL_NAMES` or a ``PredictiveModel``, resolved against
            the env's spaces (see :func:`resolve_model`).
        options: ``model_config`` and ``seed`` (to :func:`resolve_model`),
            ``train_batch`` (default :func:`default_train_batch`), and the mixing
            keywords (to :func:`~aisam_wrappers.adapters.wrap_bonus`).
        kwargs: ``cls``'s own settings (e.g. ``target``).
    """
    mixing = dict(options)
    model_config = mixing.pop("model_config", None)
    train_batch = mixing.pop("train_batch", None)
    seed = mixing.pop("seed", None)

    def factory(obs_space: spaces.Space, act_space: spaces.Space, num_envs: int) -> ModelBonus:
        m = resolve_model(model, obs_space, act_space, model_config, seed)
        batch = default_train_batch(m) if train_batch is None else train_batch
        return cls(obs_space, act_space, num_envs, m, batch, **kwargs)

    return wrap_bonus(env, factory, **mixing)
