"""The algorithms ``aisam train --algo`` names, and the shape a class needs to be one.

An algorithm is any class of Stable-Baselines3's shape: ``__init__(policy, env, ...)``,
``learn(total_timesteps, callback=, progress_bar=)`` calling SB3 callbacks, ``predict``,
``save`` and ``load``. SB3's and sb3-contrib's algorithms and aisam's own agents
(:data:`aisam_agents.AGENTS`) have names; any other is named ``module:Class``.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from typing import Any

from aisam_agents import AGENTS
from aisam_envs.errors import InvalidConfigError, require_extra

SB3_ALGOS = ("PPO", "A2C", "DQN", "SAC", "TD3", "DDPG")


def available_algorithms() -> dict[str, str]:
    """Lower-case algorithm name -> ``"module:Class"`` of every algorithm ``--algo`` names.

    SB3's, sb3-contrib's (when installed) and aisam's own (:data:`aisam_agents.AGENTS`);
    any other class with SB3's shape is named by ``"module:Class"`` instead.
    """
    algos = {name.lower(): f"stable_baselines3:{name}" for name in SB3_ALGOS}
    try:
        contrib = importlib.import_module("sb3_contrib")
        base = importlib.import_module("stable_baselines3.common.base_class").BaseAlgorithm
        for name, obj in vars(contrib).items():
            if inspect.isclass(obj) and issubclass(obj, base):
                algos[name.lower()] = f"sb3_contrib:{name}"
    except ModuleNotFoundError:
        pass  # sb3-contrib is optional: its algorithms are simply not offered
    algos.update(AGENTS)
    return algos


def resolve_algorithm(name: str) -> type:
    """The algorithm class ``name``: a name of :func:`available_algorithms` or ``module:Class``.

    Names are case-insensitive. A ``module:Class`` may be any class with SB3's shape
    (:func:`check_agent_shape`), e.g. ``mypkg.agents:MyAgent``.
    """
    if ":" not in name:
        algos = available_algorithms()
        target = algos.get(name.lower())
        if target is None:
            close = difflib.get_close_matches(name.lower(), algos, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise InvalidConfigError(
                f"unknown --algo {name!r}; {hint}choose one of {sorted(algos)} or give "
                "module:Class of a class with SB3's shape"
            )
        module, _, cls = target.partition(":")
        return getattr(require_extra(module, "agents"), cls)
    module, _, cls = name.partition(":")
    try:
        obj = getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError, ValueError) as exc:  # ValueError: an empty name
        raise InvalidConfigError(f"--algo {name}: cannot import it ({exc})") from exc
    check_agent_shape(obj, name)
    return obj


def check_agent_shape(obj: Any, name: str) -> None:
    """Raises :class:`InvalidConfigError` unless ``obj`` is a class with SB3's shape.

    That shape is ``__init__(policy, env, ...)``, ``learn(total_timesteps, callback=,
    progress_bar=)`` calling SB3 callbacks, ``predict``, ``save`` and ``load``: what
    ``aisam train`` and SB3's helpers (``evaluate_policy``, ``EvalCallback``) use.
    """
    shape = (
        "an agent needs __init__(policy, env, ...), learn(total_timesteps, callback=, "
        "progress_bar=), predict, save and load"
    )
    if not inspect.isclass(obj):
        raise InvalidConfigError(f"--algo {name} is not a class; {shape}")
    missing = [
        m for m in ("learn", "predict", "save", "load") if not callable(getattr(obj, m, None))
    ]
    if missing:
        raise InvalidConfigError(f"--algo {name} has no {', '.join(missing)}; {shape}")
    try:
        inspect.signature(obj).bind("MlpPolicy", None)
        inspect.signature(obj.learn).bind(obj, 1, callback=None, progress_bar=False)
    except TypeError as exc:
        raise InvalidConfigError(f"--algo {name}: {exc}; {shape}") from exc


def choose_policy(
    algo_cls: type,
    policy: str,
    observation_space: Any,
    candidates: tuple[str, ...] = ("MlpPolicy", "MlpLstmPolicy"),
) -> str:
    """``policy``, or for ``"auto"`` the first of ``candidates`` that ``algo_cls`` has.

    ``"auto"`` takes MultiInputPolicy for ``Dict`` observations where the algorithm has
    it; ``candidates`` come from the env's preset (CnnPolicy for Atari frames).
    """
    from gymnasium import spaces

    is_dict = isinstance(observation_space, spaces.Dict)
    if policy != "auto":
        if policy.startswith("MultiInput") != is_dict:  # SB3 fails deep inside otherwise
            raise InvalidConfigError(
                f"--policy {policy} does not fit the observation space "
                f"{observation_space}: MultiInput policies are for Dict spaces only"
            )
        return policy
    aliases = getattr(algo_cls, "policy_aliases", {})
    if is_dict and "MultiInputPolicy" in aliases:
        return "MultiInputPolicy"
    return next((a for a in candidates if a in aliases), candidates[0])


def accepted_settings(algo_cls: type, settings: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``settings`` that ``algo_cls``'s constructor takes by keyword.

    SB3's algorithms take ``seed``, ``device`` and ``tensorboard_log``; a class of SB3's
    shape need not.
    """
    params = inspect.signature(algo_cls).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(settings)
    return {k: v for k, v in settings.items() if k in params}


def rollout_size(model: Any, n_envs: int) -> tuple[int, str] | None:
    """Env steps ``model.learn`` collects between its checks of the budget, and why.

    On-policy algorithms collect ``n_envs * n_steps`` at a time, off-policy ones
    ``n_envs * train_freq`` (in steps); ``None`` where it is not known in advance
    (``train_freq`` in episodes, or an algorithm of neither kind).
    """
    train_freq = getattr(model, "train_freq", None)  # first: off-policy n_steps is n-step TD
    if train_freq is not None:
        if getattr(train_freq.unit, "value", None) != "step":
            return None
        return n_envs * train_freq.frequency, f"{n_envs} envs x train_freq {train_freq.frequency}"
    n_steps = getattr(model, "n_steps", None)
    if isinstance(n_steps, int):
        return n_envs * n_steps, f"{n_envs} envs x n_steps {n_steps:,}"
    return None
