"""Sequence replay for model-based agents: the step streams of a vector env, sampled as windows.

Every :meth:`SequenceReplay.add` writes one step of all ``n_envs`` envs: the observation
the action was taken in, the action, and the reward and done flag the env returned for it.
Storage is a ring of ``capacity // n_envs`` time slots per env, preallocated as torch tensors
on one device (the GPU that trains the world model, or the CPU), so memory is bounded and
sampling is a few indexing kernels with no host round trip.

:meth:`SequenceReplay.sample` draws ``(B, L)`` windows of ``L`` consecutive steps of one env.
Windows may span episodes: ``is_first[b, i]`` marks step ``i`` as the first of an episode
(the same env's step before it was done, or it is the first step that env ever added), so
steps before a marked ``i > 0`` belong to an earlier episode. Row 0 of a window may lie
mid-episode, its past cut off. A world-model agent masks (or cuts) a window at its marks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from aisam_agents.errors import CheckpointError
from aisam_agents.world_model.checkpoint import read_payload, read_spaces, spaces_entries
from aisam_envs.atomic import atomic_write
from aisam_envs.errors import InvalidConfigError, check_int, check_real, resolve_device

FORMAT = "aisam.sequence_replay"
VERSION = 1
_COLUMNS = ("obs", "actions", "rewards", "dones", "terminated", "is_first")

#: the largest capacity a replay (an agent's ``buffer_size``) takes, in steps: beyond it no
#: machine's memory holds even one byte a step
MAX_BUFFER = 2**40


@dataclass(frozen=True)
class SequenceBatch:
    """``B`` windows of ``L`` consecutive steps, on the replay's device.

    Attributes:
        obs: ``(B, L, *obs_shape)`` observations, in the observation space's dtype.
        actions: ``(B, L, *action_shape)`` actions taken in them.
        rewards: ``(B, L)`` float32 rewards of those actions.
        dones: ``(B, L)`` bool: the step is the last of its episode.
        terminated: ``(B, L)`` bool: ... and the episode ended in a terminal state (not by
            a time limit).
        is_first: ``(B, L)`` bool: the step starts an episode.
    """

    obs: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    dones: torch.Tensor
    terminated: torch.Tensor
    is_first: torch.Tensor


def _torch_dtype(space: spaces.Space) -> torch.dtype:
    return torch.from_numpy(np.zeros(0, dtype=space.dtype)).dtype


def _check_space(name: str, space: spaces.Space) -> None:
    if not isinstance(space, spaces.Discrete | spaces.Box):
        raise InvalidConfigError(f"{name} must be Discrete or Box, got {space}")


class SequenceReplay:
    """Ring buffer of ``(obs, action, reward, done)`` streams from ``n_envs`` envs.

    Args:
        capacity: steps kept over all envs (the ring holds ``capacity // n_envs`` per env;
            the oldest are overwritten).
        observation_space: ``Discrete`` or ``Box`` space of one env's observation.
        action_space: ``Discrete`` or ``Box`` space of one env's action.
        n_envs: envs of the vector env (one stream each).
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:i]"``, where the storage lives.
        seed: seed of the sampling generator (same seed, same adds -> same samples).
    """

    def __init__(
        self,
        capacity: int,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        n_envs: int = 1,
        device: str = "auto",
        seed: int = 0,
    ) -> None:
        self.n_envs = check_int("n_envs", n_envs, 1)
        self.capacity = check_int("capacity", capacity, self.n_envs, MAX_BUFFER)
        self.seed = check_int("seed", seed, 0, 2**63 - 1)
        _check_space("observation_space", observation_space)
        _check_space("action_space", action_space)
        self.observation_space, self.action_space = observation_space, action_space
        self.device = resolve_device(device)
        self.slots = self.capacity // self.n_envs
        self.steps = 0  # steps added per env; slot of step s is s % slots
        ring = (self.slots, self.n_envs)
        self._data = {
            "obs": self._empty(ring + observation_space.shape, _torch_dtype(observation_space)),
            "actions": self._empty(ring + action_space.shape, _torch_dtype(action_space)),
            "rewards": self._empty(ring, torch.float32),
            **{k: self._empty(ring, torch.bool) for k in ("dones", "terminated", "is_first")},
        }
        self._next_first = torch.ones(self.n_envs, dtype=torch.bool, device=self.device)
        self.generator = torch.Generator(self.device).manual_seed(self.seed)

    def _empty(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        try:
            return torch.empty(shape, dtype=dtype, device=self.device)
        except (RuntimeError, MemoryError) as exc:  # torch's "can't allocate": say which setting
            raise InvalidConfigError(
                f"a replay of capacity {self.capacity:,} steps ({shape} {dtype}) does not fit "
                f"in memory on {self.device}: lower the capacity (an agent's buffer_size)"
            ) from exc

    def __len__(self) -> int:
        """Steps stored over all envs."""
        return min(self.steps, self.slots) * self.n_envs

    # ----------------------------------------------------------------- adding
    def add(
        self,
        obs: Any,
        actions: Any,
        rewards: Any,
        dones: Any,
        terminated: Any | None = None,
    ) -> None:
        """Stores one step of every env (arrays or tensors, leading dimension ``n_envs``).

        Args:
            obs: ``(n_envs, *obs_shape)`` observations the actions were taken in.
            actions: ``(n_envs, *action_shape)`` actions.
            rewards: ``(n_envs,)`` rewards the env returned for them.
            dones: ``(n_envs,)`` bools (or 0/1): the step is the last of its episode, so
                the env's next step starts a new one. With SB3's ``VecEnv`` pass its
                ``dones``; with gymnasium's next-step autoreset the step of the final
                observation (whose action the env ignores) is the last.
            terminated: ``(n_envs,)`` the episode ended in a terminal state, not by a time
                limit (default: ``dones``); only a done step can be terminated.

        Raises:
            InvalidConfigError: a wrong shape, a non-finite reward, an id outside its
                Discrete space, or a flag other than 0/1 (nothing is stored then).
        """
        flags = (
            {"dones": dones} if terminated is None else {"dones": dones, "terminated": terminated}
        )
        raw = {
            "obs": self._raw("obs", obs, self.observation_space.shape),
            "actions": self._raw("actions", actions, self.action_space.shape),
            "rewards": self._raw("rewards", rewards, ()),
            **{name: self._raw(name, value, ()) for name, value in flags.items()},
        }
        self._check(raw)
        row = {name: x.to(self._data[name].dtype) for name, x in raw.items()}
        row.setdefault("terminated", row["dones"])
        row["is_first"] = self._next_first
        slot = self.steps % self.slots
        for name, value in row.items():
            self._data[name][slot] = value
        self._next_first = row["dones"].clone()  # not the caller's tensor
        self.steps += 1

    def _raw(self, name: str, value: Any, shape: tuple[int, ...]) -> torch.Tensor:
        """``value`` as a tensor on the device, after checking that it is ``(n_envs, *shape)``."""
        try:
            x = value if torch.is_tensor(value) else torch.as_tensor(np.asarray(value))
        except (TypeError, ValueError) as exc:
            raise InvalidConfigError(f"{name} must be a numeric array ({exc})") from exc
        if tuple(x.shape) != (self.n_envs, *shape):
            raise InvalidConfigError(
                f"{name} must have shape {(self.n_envs, *shape)}, got {tuple(x.shape)}"
            )
        return x.to(self.device)

    def _check(self, raw: dict[str, torch.Tensor]) -> None:
        """Value checks of one step, with one host sync for all of them."""
        checks = {"rewards must be finite": ~torch.isfinite(raw["rewards"]).all()}
        for name in ("dones", "terminated"):
            if name in raw:
                x = raw[name]
                checks[f"{name} must be bools (or 0/1)"] = ((x != 0) & (x != 1)).any()
        if "terminated" in raw:
            ended = (raw["terminated"] != 0) & (raw["dones"] == 0)
            checks["a step can be terminated only if it is done"] = ended.any()
        for name, space in (("obs", self.observation_space), ("actions", self.action_space)):
            x = raw[name]
            if isinstance(space, spaces.Discrete):
                bad = (x < space.start) | (x >= space.start + space.n)
                if x.is_floating_point():  # 1.5 is no id; NaN fails this too
                    bad |= x != x.trunc()
                checks[f"{name} must be integers in [{space.start}, {space.start + space.n})"] = (
                    bad.any()
                )
            elif x.is_floating_point():
                checks[f"{name} must be finite"] = ~torch.isfinite(x).all()
        for problem, bad in zip(checks, torch.stack(list(checks.values())).tolist(), strict=True):
            if bad:
                raise InvalidConfigError(problem)

    # ----------------------------------------------------------------- sampling
    def sample(
        self, batch_size: int, length: int, *, half_life: float | None = None
    ) -> SequenceBatch:
        """``batch_size`` windows of ``length`` consecutive steps of one env each.

        Args:
            batch_size: windows B.
            length: steps per window L (at most ``capacity // n_envs``).
            half_life: ``None`` draws window starts uniformly over the stored steps; a
                number of steps makes them recent-biased, the probability of a start
                halving with every ``half_life`` steps of age (a geometric distribution
                over ages, truncated to what is stored). Envs are drawn uniformly.

        Raises:
            InvalidConfigError: bad arguments, or fewer than ``length`` steps stored per env.
        """
        b = check_int("batch_size", batch_size, 1)
        n = check_int("length", length, 1, self.slots)
        if half_life is not None and not check_real("half_life", half_life) > 0:
            raise InvalidConfigError(f"half_life must be > 0 steps, got {half_life}")
        stored = min(self.steps, self.slots)
        count = stored - n + 1  # window starts per env
        if count < 1:
            raise InvalidConfigError(
                f"windows of {n} steps need {n} steps per env; {stored} are stored"
            )
        g, device = self.generator, self.device
        if half_life is None:
            offset = torch.randint(0, count, (b,), device=device, generator=g)
        else:
            rate = math.log(2) / half_life
            u = torch.rand(b, device=device, generator=g, dtype=torch.float64)
            # inverse CDF of an exponential truncated to [0, count): the start's age
            age = -torch.log1p(u * math.expm1(-rate * count)) / rate
            offset = count - 1 - age.long().clamp_(0, count - 1)
        env = torch.randint(0, self.n_envs, (b, 1), device=device, generator=g)
        oldest = self.steps - stored
        t = (oldest + offset[:, None] + torch.arange(n, device=device)) % self.slots
        return SequenceBatch(**{name: self._data[name][t, env] for name in _COLUMNS})

    # ----------------------------------------------------------------- persistence
    def _stored_slots(self) -> torch.Tensor:
        """Slots of the stored steps, oldest first."""
        stored = min(self.steps, self.slots)
        return (self.steps - stored + torch.arange(stored, device=self.device)) % self.slots

    def save(self, path: str | Path) -> None:
        """Writes the stored steps, the spaces and the sampler's state to ``path``.

        A ``torch.save`` of plain containers and tensors, so it loads with
        ``torch.load(weights_only=True)``: opening it never runs code. Written atomically:
        a failure raises :class:`~aisam_envs.errors.SaveError` and keeps the previous file.
        """
        order = self._stored_slots()
        data = {name: self._data[name][order].cpu() for name in _COLUMNS}
        payload = {
            "format": FORMAT,
            "version": VERSION,
            **spaces_entries(self.observation_space, self.action_space),
            "capacity": self.capacity,
            "n_envs": self.n_envs,
            "seed": self.seed,
            "steps": self.steps,
            "device_type": self.device.type,
            "generator": self.generator.get_state(),
            "data": data | {"next_first": self._next_first.cpu()},
        }
        with atomic_write(path) as file:
            torch.save(payload, file)

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> SequenceReplay:
        """A replay saved by :meth:`save`, on ``device``.

        Sampling continues the saved random stream when ``device`` is of the saved type
        (CPU or CUDA); on the other type it restarts from the seed.

        Raises:
            CheckpointError: a missing, corrupt or inconsistent file.
            InvalidConfigError: a bad ``device``.
        """
        path = Path(path)
        device_type = resolve_device(device).type  # a bad device is the caller's to fix
        payload = read_payload(path, FORMAT, VERSION, "replay file")
        try:
            obs_space, act_space = read_spaces(payload)
            sizes = [payload[k] for k in ("capacity", "n_envs", "seed", "steps")]
            data, state = dict(payload["data"]), payload["generator"]
            same_device = payload["device_type"] == device_type
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{path} is a damaged replay file ({exc})") from exc
        if any(type(v) is not int for v in sizes) or sizes[3] < 0:
            raise CheckpointError(f"{path} is damaged: capacity, n_envs, seed, steps {sizes}")
        capacity, n_envs, seed, steps = sizes
        try:
            replay = cls(capacity, obs_space, act_space, n_envs, device, seed)
            replay.steps = steps
            next_first = data.pop("next_first")
            if set(data) != set(_COLUMNS) or next_first.shape != (n_envs,):
                raise ValueError(f"columns {sorted(data)}")
            order = replay._stored_slots()
            for name, column in replay._data.items():
                saved = data[name]
                if saved.dtype != column.dtype or saved.shape != (len(order), *column.shape[1:]):
                    raise ValueError(f"{name} is {saved.dtype} {tuple(saved.shape)}")
                column[order] = saved.to(replay.device)
            replay._next_first = next_first.to(replay.device, torch.bool)
            if same_device:
                replay.generator.set_state(state)
        except (
            AttributeError,
            InvalidConfigError,
            KeyError,
            RuntimeError,
            TypeError,
            ValueError,
        ) as exc:
            raise CheckpointError(f"{path} does not hold a consistent replay ({exc})") from exc
        return replay
