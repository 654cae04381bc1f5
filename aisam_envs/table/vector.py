"""Native vector version of ``aisam/TransitionTable-v0``: all envs in array operations.

``reset(seed=s)`` keys env i's random stream with seed ``s + i``, exactly as
``SyncVectorEnv`` over single envs seeded ``s, s + 1, ...`` does, and every draw comes
from the counter-based generator of :mod:`aisam_envs.table.rng`, one draw per env per
step or reset; so trajectories match the single envs bit for bit, on numpy and torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from aisam_envs.errors import (
    InvalidActionError,
    InvalidConfigError,
    ResetNeededError,
    check_int,
    require_extra,
    resolve_device,
)
from aisam_envs.table import rng
from aisam_envs.table.env import build_world
from aisam_envs.table.tables import TransitionTable

BACKENDS = ("numpy", "torch")
_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}  # same-size views


class TransitionTableVectorEnv(VectorEnv):
    """``num_envs`` walks on one shared transition table, stepped together.

    Takes every argument of :class:`~aisam_envs.table.env.TransitionTableEnv`, plus:

    Args:
        num_envs: number of parallel envs N.
        max_episode_steps: truncate episodes after this many steps (``None``: never;
            ``gym.make_vec`` passes the registration's 100).
        autoreset_mode: gymnasium's ``NEXT_STEP`` (default), ``SAME_STEP`` (the ended
            episode's last observation is in ``info["final_obs"]``, batched like the
            observations, with ``info["_final_obs"]`` marking the envs that ended) or
            ``DISABLED`` (reset ended envs with ``reset(options={"reset_mask": mask})``).
        backend: ``"numpy"`` or ``"torch"``; torch keeps states, actions, observations,
            rewards and flags as tensors on ``device``.
        device: torch device for ``backend="torch"`` (default: CUDA when available).

    ``info["state"]`` holds the true state ids (for ``obs_type="discrete"`` it is the
    observation array itself).
    """

    def __init__(
        self,
        num_envs: int = 1,
        n_states: int = 64,
        n_actions: int = 4,
        kind: str = "random",
        table_seed: int = 0,
        obs_type: str = "discrete",
        obs_dim: int = 16,
        goal_states: Sequence[int] | None = None,
        goal_reward: float = 1.0,
        start_state: int | None = 0,
        table: TransitionTable | None = None,
        max_episode_steps: int | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        backend: str = "numpy",
        device: Any = None,
        **kind_params: Any,
    ) -> None:
        num_envs = check_int("num_envs", num_envs, 1)
        if max_episode_steps is not None:
            max_episode_steps = check_int("max_episode_steps", max_episode_steps, 1)
        if backend not in BACKENDS:
            raise InvalidConfigError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
        try:
            self.autoreset_mode = AutoresetMode(autoreset_mode)
        except ValueError as exc:
            modes = [m.value for m in AutoresetMode]
            raise InvalidConfigError(f"autoreset_mode must be one of {modes}") from exc
        self.table, self._encoder = build_world(
            type(self), n_states, n_actions, kind, table_seed, obs_type, obs_dim,
            goal_states, goal_reward, start_state, table, kind_params,
        )  # fmt: skip
        self.num_envs = num_envs
        self.max_episode_steps = max_episode_steps
        self.backend = backend
        self.metadata = {"autoreset_mode": self.autoreset_mode, "render_modes": []}
        self.single_observation_space = self._encoder.space
        self.single_action_space = spaces.Discrete(self.table.n_actions)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._discrete = obs_type == "discrete"
        self._keys: Any = None
        self._started = False
        self._any_pending = False
        if backend == "numpy":
            self._xp, self.device = np, None
        else:
            torch = require_extra("torch", "agents")
            self._xp = torch
            self.device = resolve_device("auto" if device is None else device)
        self._load_table()

    def _array(self, values: np.ndarray) -> Any:
        """``values`` on this env's backend and device."""
        if self.backend == "numpy":
            return values
        return self._xp.as_tensor(np.array(values), device=self.device)  # writable copy

    def _load_table(self) -> None:
        """Lays the table out for the step: one gather gives next state and termination.

        Row ``s * P + a`` (``P``: n_actions rounded up to a power of two) holds each
        successor as ``s' * P``, with the sign bit set when ``s'`` is terminal. States are
        kept scaled by ``P``, so a step is ``row = x + a``, ``y = packed[row]``,
        ``terminated = y < 0``, ``x = y & max``, and the id is ``x >> log2(P)``.
        """
        t, n = self.table, self.num_envs
        stride = 1 << (t.n_actions - 1).bit_length()
        dtype = np.int64  # int64 arithmetic and indexing are the fastest in numpy
        self._shift, self._bits = stride.bit_length() - 1, np.iinfo(dtype).max
        packed = np.zeros((t.n_states, stride, t.n_successors), dtype=dtype)
        packed[:, : t.n_actions] = t.next_states.astype(dtype) * stride
        sign = np.where(t.terminals[t.next_states], dtype(np.iinfo(dtype).min), dtype(0))
        packed[:, : t.n_actions] |= sign
        thresholds = np.ones((t.n_states, stride, t.n_successors - 1), dtype=np.float32)
        thresholds[:, : t.n_actions] = t.thresholds
        rows = t.n_states * stride
        packed = packed.reshape(rows, -1)
        self._ns = self._array(packed[:, 0] if t.deterministic else packed)
        self._thr = self._array(thresholds.reshape(rows, -1))
        # rewards that are one value paid on entering terminals (all generated tables)
        # come from the termination flags; any other rewards from a gather per row
        goal = t.rewards[t.terminals]
        one_goal_value = goal.size and (goal == goal[0]).all()
        if one_goal_value and not t.rewards[~t.terminals].any():
            self._goal_reward, self._rew = float(goal[0]), None
        else:
            rew = np.zeros((t.n_states, stride, t.n_successors), dtype=np.float32)
            rew[:, : t.n_actions] = t.rewards[t.next_states]
            self._goal_reward, self._rew = None, self._array(rew.reshape(rows, -1))
        self._deterministic = t.deterministic
        self._draws = not (t.deterministic and t.start_state is not None)
        self._starts = self._array(t.start_states.astype(dtype) * stride)
        self._states = self._array(np.zeros(n, dtype=dtype))
        # env i truncates once the step counter _t reaches _deadline[i] (its start + limit)
        self._t = 0
        self._limit = self.max_episode_steps or 0
        self._deadline = self._array(np.zeros(n, dtype=np.int64))
        self._pending = self._array(np.zeros(n, dtype=bool))
        self._counters = self._array(np.zeros(n, dtype=np.uint64 if self._xp is np else np.int64))
        self._all = self._array(np.ones(n, dtype=bool))

    # ------------------------------------------------------------------ helpers
    def _uniform(self, mask: Any = None) -> Any:
        keys, counters = self._keys, self._counters
        if mask is not None:
            keys, counters = keys[mask], counters[mask]
        if self._xp is np:
            return rng.uniform_numpy(keys, counters)
        return rng.uniform_torch(keys, counters)

    def _start_states(self, u: Any) -> Any:
        """Start states picked by uniform draws ``u`` (a scalar for a fixed start)."""
        if self.table.start_state is not None:
            return self._starts[0]
        n = self._starts.shape[0]
        idx = u * n
        idx = idx.astype(np.int64) if self._xp is np else idx.long()
        return self._starts[self._xp.clip(idx, 0, n - 1)]

    def _ids(self, states: Any) -> Any:
        """int64 state ids of scaled states (a new array each call)."""
        if self._xp is np:
            return np.right_shift(states, self._shift, dtype=np.int64)
        return (states >> self._shift).long()

    def _outputs(self, states: Any) -> tuple[Any, Any]:
        ids = self._ids(states)
        if self._discrete:
            return ids, ids
        obs = self._encoder.encode_numpy(ids) if self._xp is np else self._encoder.encode_torch(ids)
        return obs, ids

    def _keys_from_seed(self, seed: int | Sequence[int]) -> np.ndarray:
        """The ``(N,)`` uint64 stream keys of ``reset(seed=seed)``; a clear error if bad."""
        n = self.num_envs
        if isinstance(seed, int | np.integer):
            return rng.keys_from_seed_numpy(check_int("seed", seed, 0), n)
        if isinstance(seed, Sequence | np.ndarray) and np.shape(seed) == (n,):
            return np.array([rng.key_from_seed(check_int("seed", s, 0)) for s in seed], np.uint64)
        raise InvalidConfigError(f"seed must be an int or a list of {n} ints, got {seed!r}")

    def _set_keys(self, keys: np.ndarray) -> None:
        self._keys = self._array(keys if self._xp is np else keys.view(np.int64))
        self._counters[:] = 0

    def _check_mask(self, mask: Any) -> Any:
        """``reset_mask`` as a bool array (tensor) on this env's backend, or a clear error."""
        if self._xp is not np and isinstance(mask, self._xp.Tensor):
            is_bool = mask.dtype == self._xp.bool
        else:
            mask = np.asarray(mask)
            is_bool = mask.dtype == np.bool_
        if not is_bool or tuple(mask.shape) != (self.num_envs,):
            raise InvalidConfigError(
                f"reset_mask must be {self.num_envs} bools, shape ({self.num_envs},); got "
                f"dtype {mask.dtype}, shape {tuple(mask.shape)}"
            )
        if self._xp is np:
            return mask
        # e.g. ``terminated | truncated`` as returned: a tensor, maybe on the GPU
        return self._xp.as_tensor(mask, device=self.device)

    def _check_actions(self, actions: Any) -> Any:
        n, a, xp = self.num_envs, self.table.n_actions, self._xp
        if xp is np or not isinstance(actions, xp.Tensor):
            actions = np.asarray(actions)
            integral = actions.dtype.kind in "iu"
            if integral and actions.shape == (n,):
                # one pass: negatives viewed as unsigned are huge, so max() catches both ends
                if actions.view(_UNSIGNED[actions.dtype.itemsize]).max() >= a:
                    raise InvalidActionError(f"actions must lie in [0, {a}); got {actions}")
                if xp is not np:  # torch has little uint16/32/64 math: hand it int64
                    return xp.as_tensor(actions, dtype=xp.int64, device=self.device)
                # uint64 + the int64 states would be float64; in range, the bits are equal
                return actions.view(np.int64) if actions.dtype == np.uint64 else actions
        else:
            integral = not (actions.is_floating_point() or actions.is_complex())
            integral = integral and actions.dtype != xp.bool
        if not integral or tuple(actions.shape) != (n,):
            raise InvalidActionError(
                f"actions must be {n} integers in [0, {a}), shape ({n},); got dtype "
                f"{actions.dtype}, shape {tuple(actions.shape)}"
            )
        checked = actions.to(self.device, xp.int64)  # a uint64 above 2**63 turns negative
        if bool(((checked < 0) | (checked >= a)).any()):
            raise InvalidActionError(f"actions must lie in [0, {a}); got {actions}")
        return checked

    # ---------------------------------------------------------------------- API
    def reset(
        self,
        *,
        seed: int | Sequence[int] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """Resets every env, or with ``options={"reset_mask": mask}`` (``(N,)`` bools) the
        masked ones. Bad arguments raise before any env changes."""
        if options is not None and not isinstance(options, Mapping):
            raise InvalidConfigError(f"options must be a dict or None, got {options!r}")
        mask = (options or {}).get("reset_mask")
        if mask is None:
            mask = self._all
        elif seed is not None or not self._started:
            raise InvalidConfigError("reset_mask resets some envs of a running batch: give no seed")
        else:
            mask = self._check_mask(mask)
        keys = None if seed is None else self._keys_from_seed(seed)
        super().reset(seed=int(seed) if isinstance(seed, int | np.integer) else None)
        if keys is not None:
            self._set_keys(keys)
        elif self._keys is None:
            self._set_keys(self.np_random.integers(0, 2**63, size=self.num_envs, dtype=np.uint64))
        starts = self._start_states(self._uniform())
        self._states = self._xp.where(mask, starts, self._states)
        self._counters[mask] += 1
        self._deadline[mask] = self._t + self._limit
        self._pending[mask] = False
        self._any_pending = bool(self._pending.any())
        self._started = True
        obs, ids = self._outputs(self._states)
        return obs, {"state": ids, "_state": self._all}

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any, dict[str, Any]]:
        """Steps all envs with ``actions`` (``(N,)`` ints); see the class for autoreset."""
        if not self._started:
            raise ResetNeededError("step() called before reset(): call reset() first")
        if self._any_pending and self.autoreset_mode == AutoresetMode.DISABLED:
            raise ResetNeededError(
                "some envs have ended and autoreset is DISABLED: call "
                "reset(options={'reset_mask': terminated | truncated}) first"
            )
        a = self._check_actions(actions)
        xp = self._xp
        rows = self._states + a
        u = self._uniform() if self._draws else None
        slot = None if self._deterministic else (u[:, None] >= self._thr[rows]).sum(1)
        packed = self._ns[rows] if slot is None else self._ns[rows, slot]
        terminated = packed < 0
        nxt = packed & self._bits
        if self._goal_reward is None:
            reward = self._rew[rows, 0] if slot is None else self._rew[rows, slot]
        else:
            reward = terminated.astype(np.float32) if xp is np else terminated.float()
            if self._goal_reward != 1.0:
                reward *= self._goal_reward
        if self._any_pending:  # NEXT_STEP: envs that ended last step start over instead
            nxt = xp.where(self._pending, self._start_states(u), nxt)
            self._deadline[self._pending] = self._t + 1 + self._limit
        if self._draws:
            self._counters += 1
        self._t += 1
        self._states = nxt
        if self.max_episode_steps is None:
            truncated = xp.zeros_like(terminated)
        else:
            truncated = self._deadline <= self._t
        if self._any_pending:
            keep = ~self._pending
            reward, terminated, truncated = reward * keep, terminated & keep, truncated & keep
        done = terminated | truncated
        obs, ids = self._outputs(nxt)
        info: dict[str, Any] = {"state": ids, "_state": self._all}
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            if bool(done.any()):
                obs, ids = self._restart_same_step(done, obs, ids, info)
            self._any_pending = False
        else:
            self._pending = done
            self._any_pending = bool(done.any())
        return obs, reward, terminated, truncated, info

    def _restart_same_step(
        self, done: Any, obs: Any, ids: Any, info: dict[str, Any]
    ) -> tuple[Any, Any]:
        """SAME_STEP autoreset: report the ended episodes' last step, then restart them."""
        info["final_obs"], info["_final_obs"] = obs, done
        info["final_info"] = {"state": ids, "_state": done}
        info["_final_info"] = done
        u = None if self.table.start_state is not None else self._uniform()
        self._states = self._xp.where(done, self._start_states(u), self._states)
        self._counters[done] += 1
        self._deadline[done] = self._t + self._limit
        obs, ids = self._outputs(self._states)
        info["state"] = ids
        return obs, ids
