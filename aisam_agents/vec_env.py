"""SB3's ``VecEnv`` over a gymnasium ``VectorEnv`` (``gym.make_vec``, native vector envs).

Stable-Baselines3 cannot take a gymnasium vector env: it wants a 4-tuple ``step``, one
``info`` dict per env, the ended episode's last observation in
``infos[i]["terminal_observation"]`` and the reset observation in its place.
:class:`GymnasiumToSB3VecEnv` gives it that, with ``Monitor``'s ``infos[i]["episode"]``
statistics, so ``PPO("CnnPolicy", GymnasiumToSB3VecEnv(gym.make_vec(...)))`` trains on
``aisam/Montezuma-Reduced-v0``'s rooms vector env or the transition-table vector env.

Autoreset: in ``SAME_STEP`` mode (ask for it: ``autoreset_mode="SameStep"``) the ended
episode's last step comes from ``info["final_obs"]`` / ``info["final_info"]`` at no cost.
In ``NEXT_STEP`` (gymnasium's default) or ``DISABLED`` mode the adapter resets the ended
envs itself, at once, with ``reset(options={"reset_mask": done})``: the env's own reset step
(which ignores the action) never reaches the agent as a transition.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env.base_vec_env import (
    VecEnv,
    VecEnvIndices,
    VecEnvObs,
    VecEnvStepReturn,
)

from aisam_envs.errors import InvalidConfigError

__all__ = ["GymnasiumToSB3VecEnv", "per_env_infos"]


def per_env_infos(info: dict[str, Any], num_envs: int) -> list[dict[str, Any]]:
    """A gymnasium vector ``info`` (arrays ``(num_envs, ...)``, masks ``"_key"``) as one
    dict per env, each holding the keys its mask marks (all of them where there is none).

    Nested dicts (``final_info``) are split the same way; ``final_obs`` is left out (the
    adapter hands it over as ``terminal_observation``).
    """
    out: list[dict[str, Any]] = [{} for _ in range(num_envs)]
    for key, value in info.items():
        if key.startswith("_") or key == "final_obs":
            continue
        mask = info.get(f"_{key}")
        rows = range(num_envs) if mask is None else np.flatnonzero(mask)
        values = per_env_infos(value, num_envs) if isinstance(value, dict) else value
        for i in rows:
            out[i][key] = values[i]
    return out


class GymnasiumToSB3VecEnv(VecEnv):
    """A gymnasium ``VectorEnv`` as an SB3 ``VecEnv`` (see the module docstring).

    Args:
        venv: the gymnasium vector env (its ``metadata["autoreset_mode"]`` says how it
            restarts ended episodes; without one, ``NEXT_STEP`` is assumed).

    Each ended episode's ``infos[i]`` holds the info of its last step, plus
    ``terminal_observation``, ``TimeLimit.truncated`` (truncated and not terminated) and
    ``episode`` = ``{"r": return, "l": length, "t": seconds since the adapter was made}``.
    The return sums ``info["raw_reward"]`` where the env reports one (Montezuma: the
    true score, not the clipped reward the agent learns from), else the rewards. The
    reset observation's info goes to ``reset_infos[i]``, as in SB3's ``DummyVecEnv``.

    ``seed(s)`` seeds env ``i`` with ``s + i`` at the next ``reset``, as gymnasium's
    ``reset(seed=s)`` does. ``get_attr``, ``set_attr`` and ``env_method`` use the vector
    env's own ``get_attr`` / ``set_attr`` / ``call`` where it has them (``SyncVectorEnv``,
    ``AsyncVectorEnv``); a native vector env is one object, so there they read, set or call
    its attribute once and give every index the same answer.
    """

    def __init__(self, venv: VectorEnv) -> None:
        if not isinstance(venv, VectorEnv):
            raise InvalidConfigError(
                f"GymnasiumToSB3VecEnv takes a gymnasium VectorEnv (gym.make_vec), got "
                f"{type(venv).__name__}; an SB3 VecEnv needs no adapter"
            )
        self.venv = venv
        mode = venv.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
        self.same_step = AutoresetMode(mode) == AutoresetMode.SAME_STEP
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)
        self._seed: int | None = None
        self._actions: np.ndarray | None = None
        # the class's own methods: a gymnasium VectorWrapper forwards unknown attributes to
        # the env it wraps, whose step_async would skip the wrapper's step
        self._async = all(
            callable(getattr(type(venv), m, None)) for m in ("step_async", "step_wait")
        )
        self._returns = np.zeros(venv.num_envs, dtype=np.float64)
        self._lengths = np.zeros(venv.num_envs, dtype=np.int64)
        self._start = time.perf_counter()

    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """Env ``i`` gets seed ``seed + i`` at the next ``reset`` (``None``: unseeded)."""
        self._seed = seed
        return super().seed(seed)

    def reset(self) -> VecEnvObs:
        """Resets every env (seeded if :meth:`seed` was called since the last reset)."""
        options = self._options[0]
        if any(o != options for o in self._options):
            raise InvalidConfigError(
                "a gymnasium vector env takes one options dict for all envs: set_options "
                "gave different ones per env"
            )
        obs, info = self.venv.reset(seed=self._seed, options=options or None)
        self.reset_infos = per_env_infos(info, self.num_envs)
        self._returns[:] = 0.0
        self._lengths[:] = 0
        self._seed = None
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        """Starts the step with ``actions`` (``(num_envs, ...)``): sends them at once to a
        vector env that steps asynchronously (its class has ``step_async`` and
        ``step_wait``: ``AsyncVectorEnv``, Montezuma's rooms env), so whatever runs before
        :meth:`step_wait` overlaps the step; others step in :meth:`step_wait`."""
        if self._async:
            self.venv.step_async(actions)  # type: ignore[attr-defined]
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        """One vector step: ``(obs, rewards (num_envs,) float32, dones, infos)``."""
        if self._actions is None:
            raise InvalidConfigError("step_wait() without step_async(actions) first")
        actions, self._actions = self._actions, None
        if self._async:
            obs, rewards, terminated, truncated, info = self.venv.step_wait()  # type: ignore[attr-defined]
        else:
            obs, rewards, terminated, truncated, info = self.venv.step(actions)
        dones = np.logical_or(terminated, truncated)
        infos = per_env_infos(info, self.num_envs)
        score = info.get("raw_reward", rewards)
        self._returns += score
        self._lengths += 1
        if dones.any():
            obs = self._end_episodes(obs, info, infos, dones, terminated, truncated)
        return obs, np.asarray(rewards, dtype=np.float32), dones, infos

    def _end_episodes(
        self,
        obs: np.ndarray,
        info: dict[str, Any],
        infos: list[dict[str, Any]],
        dones: np.ndarray,
        terminated: np.ndarray,
        truncated: np.ndarray,
    ) -> np.ndarray:
        """Fills the ended envs' infos and returns the observations with theirs reset."""
        ended = np.flatnonzero(dones)
        if self.same_step:
            final_obs = info["final_obs"]
            final_infos = per_env_infos(info.get("final_info", {}), self.num_envs)
            for i in ended:
                self.reset_infos[i] = infos[i]
                infos[i] = final_infos[i]
        else:  # reset them now, so the env's own reset step never shows as a transition
            final_obs = obs
            obs, reset_info = self.venv.reset(options={"reset_mask": dones})
            reset_infos = per_env_infos(reset_info, self.num_envs)
            for i in ended:
                self.reset_infos[i] = reset_infos[i]
        now = round(time.perf_counter() - self._start, 6)
        for i in ended:
            infos[i]["terminal_observation"] = final_obs[i]
            infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
            infos[i]["episode"] = {
                "r": float(self._returns[i]),
                "l": int(self._lengths[i]),
                "t": now,
            }
        self._returns[ended] = 0.0
        self._lengths[ended] = 0
        return obs

    def close(self) -> None:
        """Closes the vector env (its worker processes, if any)."""
        self.venv.close()

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """The attribute of each env in ``indices`` (see the class docstring)."""
        rows = list(self._get_indices(indices))
        if hasattr(self.venv, "get_attr"):
            values = self.venv.get_attr(attr_name)
            return [values[i] for i in rows]
        return [getattr(self.venv, attr_name)] * len(rows)

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Sets the attribute (of every env: a vector env takes no per-env indices)."""
        if len(list(self._get_indices(indices))) != self.num_envs:
            raise InvalidConfigError("set_attr on some envs only: a gymnasium vector env sets all")
        if hasattr(self.venv, "set_attr"):
            self.venv.set_attr(attr_name, value)
        else:
            setattr(self.venv, attr_name, value)

    def env_method(
        self,
        method_name: str,
        *method_args: Any,
        indices: VecEnvIndices = None,
        **method_kwargs: Any,
    ) -> list[Any]:
        """Calls the method and gives each env in ``indices`` its result."""
        rows = list(self._get_indices(indices))
        if hasattr(self.venv, "call"):
            results = self.venv.call(method_name, *method_args, **method_kwargs)
            return [results[i] for i in rows]
        return [getattr(self.venv, method_name)(*method_args, **method_kwargs)] * len(rows)

    def env_is_wrapped(self, wrapper_class: type, indices: VecEnvIndices = None) -> list[bool]:
        """For each env: ``True`` for SB3's ``Monitor`` (the adapter reports its episode
        statistics, so ``evaluate_policy`` reads them), ``False`` for any other wrapper (a
        vector env's single envs are not reachable as gymnasium ``Env`` objects)."""
        return [issubclass(wrapper_class, Monitor)] * len(list(self._get_indices(indices)))
