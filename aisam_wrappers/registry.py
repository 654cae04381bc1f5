"""Bonuses by name: one table that ``aisam train`` and scripts build bonuses from.

>>> from aisam_wrappers import make_bonus
>>> env = make_bonus("prediction-error", venv, intrinsic_coef=0.1, seed=0,
...                  model="forward", model_config={"hidden": 64})

Every constructor in :data:`BONUSES` takes the env, then ``intrinsic_coef``, ``seed``,
``split`` and its own settings as keywords, so a name and a dict of settings (e.g.
parsed from a command line) are all it takes.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

from aisam_envs.errors import InvalidConfigError, check_bool
from aisam_wrappers.base import MIX_OPTIONS
from aisam_wrappers.entropy import EntropyBonus
from aisam_wrappers.model_bonus import MODEL_BONUS_OPTIONS
from aisam_wrappers.prediction_error import PredictionErrorBonus
from aisam_wrappers.satiation import SatiationBonus, SatiationConfig


def no_bonus(
    env: Any, *, intrinsic_coef: float = 1.0, seed: int | None = None, split: bool = False
) -> Any:
    """``env`` itself: no intrinsic reward (``intrinsic_coef`` and ``seed`` have nothing
    to act on). ``split=True`` is an :class:`InvalidConfigError`: there is no intrinsic
    stream to hand over."""
    if check_bool("split", split):
        raise InvalidConfigError(
            "bonus 'none' has no intrinsic reward to split off: choose a bonus, or split=False"
        )
    return env


#: the keywords a constructor's ``**`` parameter takes: the mixing ones, and satiation's
#: config fields / the model bonuses' model keywords
_KEYWORDS: dict[Callable[..., Any], frozenset[str]] = {
    SatiationBonus: MIX_OPTIONS | {f.name for f in dataclasses.fields(SatiationConfig)},
    PredictionErrorBonus: MODEL_BONUS_OPTIONS,
    EntropyBonus: MODEL_BONUS_OPTIONS,
}

#: name -> constructor ``(env, *, intrinsic_coef, seed, split, **settings) -> env``
BONUSES: dict[str, Callable[..., Any]] = {
    "none": no_bonus,
    "satiation": SatiationBonus,
    "prediction-error": PredictionErrorBonus,
    "entropy": EntropyBonus,
}


def make_bonus(
    name: str,
    env: Any,
    *,
    intrinsic_coef: float = 1.0,
    seed: int | None = None,
    split: bool = False,
    **settings: Any,
) -> Any:
    """Wraps ``env`` with the bonus called ``name`` (``"none"``: ``env`` unchanged).

    Args:
        name: a key of :data:`BONUSES`.
        env: a gymnasium ``Env`` / ``VectorEnv`` or SB3 ``VecEnv``.
        intrinsic_coef: weight of the intrinsic reward.
        seed: seeds what is random in the bonus: the learned models of
            ``"prediction-error"`` / ``"entropy"`` (``ModelConfig.seed``) and satiation's
            SimHash projection (``SatiationConfig.seed``), unless ``settings`` set them.
        split: hand the intrinsic reward over in ``info["intrinsic_reward"]`` instead
            of adding it to the reward (see :class:`~aisam_wrappers.base.BonusMixer`).
        settings: the bonus's own keywords, e.g. ``curve="exponential"`` or
            ``model="rnd", model_config={"hidden": 64}`` (a dict of ``ModelConfig``
            fields is accepted wherever a ``ModelConfig`` is).

    Raises:
        InvalidConfigError: an unknown name, or a setting the bonus does not take.
    """
    if not isinstance(name, str) or name not in BONUSES:
        raise InvalidConfigError(f"unknown bonus {name!r}; choose one of {tuple(BONUSES)}")
    constructor = BONUSES[name]
    known = _settings(constructor)
    unknown = sorted(set(settings) - known)
    if unknown:
        raise InvalidConfigError(
            f"unknown setting(s) {unknown} for bonus {name!r}; it takes {sorted(known)}"
        )
    return constructor(env, intrinsic_coef=intrinsic_coef, seed=seed, split=split, **settings)


def _settings(constructor: Callable[..., Any]) -> set[str]:
    """The settings ``constructor`` takes: its own keywords and those of its ``**``
    parameter (see :data:`_KEYWORDS`)."""
    params = inspect.signature(constructor).parameters
    names = {n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    names |= _KEYWORDS.get(constructor, frozenset())
    return names - {"intrinsic_coef", "seed", "split"}
