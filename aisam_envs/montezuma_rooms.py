"""Vector Montezuma with the game state in ``info``: worker processes, shared memory.

ale-py's C++ ``AtariVectorEnv`` exposes no RAM, so its ``info`` cannot say which room an
env is in. :class:`MontezumaRoomsVectorEnv` runs one ALE per env in worker processes
(``num_workers``, one per core by default, each stepping its share of the envs), does
``AtariVectorEnv``'s preprocessing there (grayscale, max-pool over the last two frames of
the skip, ``cv2.INTER_AREA`` resize, frame stack, no-op and FIRE resets, reward clipping),
and hands observations, rewards, flags and the RAM state back through shared memory: a
step costs the main process one byte sent and one received per worker.

``info`` holds, per env (``(num_envs,)`` int32 arrays): ``room``, ``x``, ``y``, ``level``,
``lives``, ``inventory`` (the inventory byte, see :data:`~aisam_envs.montezuma.INVENTORY_BITS`),
``rooms_visited`` (distinct ``(level, room)`` pairs this episode), ``episode_frame_number``
and ``frame_number``, and ``raw_reward`` (float32, the step's reward before clipping: the
true score). With ``autoreset_mode="SameStep"`` the last step of an ended episode is in
``info["final_obs"]`` and ``info["final_info"]`` (batched, masked by ``info["_final_obs"]``
and ``info["_final_info"]``).

Made by ``gym.make_vec(id, num_envs, vectorization_mode="vector_entry_point",
ram_info=True)`` (:func:`make_vector_env`), or directly.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.error import AlreadyPendingCallError, NoAsyncCallError
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from aisam_envs._montezuma_worker import (
    CLOSE,
    FAILED,
    INFO_KEYS,
    OK,
    RESET,
    STEP,
    Layout,
    ale_py,
    read_failure,
    views,
    worker,
)
from aisam_envs.errors import (
    EnvWorkerError,
    InvalidConfigError,
    check_bool,
    check_int,
    reject_unknown_keywords,
)
from aisam_envs.montezuma import (
    DEFAULT_MAX_FRAMES,
    GAME,
    MontezumaReducedVectorEnv,
    NamedActions,
    _check_vector_protocol,
    check_vector_actions,
    check_vector_seed,
)

__all__ = ["INFO_KEYS", "MontezumaRoomsVectorEnv", "make_vector_env"]


_AUTORESET = (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP)


def make_vector_env(num_envs: int = 1, *, ram_info: bool = False, **kwargs: Any) -> VectorEnv:
    """The vector entry point of the Montezuma ids.

    Args:
        num_envs: number of envs.
        ram_info: ``False`` (default): ale-py's threaded C++ env
            (:class:`~aisam_envs.montezuma.MontezumaReducedVectorEnv`), whose ``info`` has no
            room; ``True``: :class:`MontezumaRoomsVectorEnv`, with the RAM state in ``info``.
        **kwargs: the chosen class's keywords.
    """
    if check_bool("ram_info", ram_info):
        return MontezumaRoomsVectorEnv(num_envs, **kwargs)
    return MontezumaReducedVectorEnv(num_envs, **kwargs)


@reject_unknown_keywords
class MontezumaRoomsVectorEnv(NamedActions, VectorEnv):
    """Montezuma (6 or 8 actions) in worker processes, with the RAM state in ``info``.

    Observations, preprocessing, resets and defaults are ``AtariVectorEnv``'s (see the
    module docstring); the differences: ``max_num_frames_per_episode`` counts frames, as in
    the single env (ale-py's vector env counts steps under that name), and ``info`` adds the
    game state. Same seeds, same run: ``reset(seed=s)`` seeds env ``i`` with ``s + i``.

    Args:
        num_envs: number of envs N.
        frameskip: emulator frames per step.
        repeat_action_probability: sticky-action probability per frame (v5: 0.25).
        max_num_frames_per_episode: frames before an env is truncated.
        running_jumps: ``True`` adds ``RIGHTFIRE`` (6) and ``LEFTFIRE`` (7).
        img_height: observation height H.
        img_width: observation width W.
        stack_num: frames stacked per observation (newest last).
        maxpool: max over the last two frames of each skip.
        noop_max: a reset plays 1 to ``noop_max`` NOOPs (one fewer with ``use_fire_reset``).
        use_fire_reset: a reset ends with FIRE.
        episodic_life: a lost life ends the episode.
        reward_clipping: rewards clipped to [-1, 1] (``info["raw_reward"]`` is unclipped).
        autoreset_mode: ``"NextStep"`` (default) or ``"SameStep"``.
        num_workers: worker processes (0: one per available core, at most N).
        context: multiprocessing start method (``None``: the platform's default).
        full_action_space: must be ``False``.
        continuous: must be ``False``.

    Observations are ``(N, stack_num, H, W)`` uint8; rewards ``(N,)`` float32.
    """

    def __init__(
        self,
        num_envs: int = 1,
        *,
        frameskip: int = 4,
        repeat_action_probability: float = 0.25,
        max_num_frames_per_episode: int = DEFAULT_MAX_FRAMES,
        running_jumps: bool = False,
        img_height: int = 84,
        img_width: int = 84,
        stack_num: int = 4,
        maxpool: bool = True,
        noop_max: int = 30,
        use_fire_reset: bool = True,
        episodic_life: bool = False,
        reward_clipping: bool = True,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        num_workers: int = 0,
        context: str | None = None,
        full_action_space: bool = False,
        continuous: bool = False,
    ) -> None:
        self.closed = True  # until the workers run: close() has nothing to stop
        self._stepping = False  # a step sent by step_async, not yet waited for
        self._action_names, actions, frameskip, sticky, max_frames = _check_vector_protocol(
            frameskip,
            repeat_action_probability,
            max_num_frames_per_episode,
            running_jumps,
            full_action_space,
            continuous,
        )
        n = check_int("num_envs", num_envs, 1)
        shape = (
            check_int("stack_num", stack_num, 1, 64),
            check_int("img_height", img_height, 1, 4096),
            check_int("img_width", img_width, 1, 4096),
        )
        self.autoreset_mode = _check_autoreset(autoreset_mode)
        if context is not None and context not in mp.get_all_start_methods():
            raise InvalidConfigError(
                f"context must be None or one of {mp.get_all_start_methods()}, got {context!r}"
            )
        workers = check_int("num_workers", num_workers, 0) or min(n, _available_cores())
        self._reward_clipping = check_bool("reward_clipping", reward_clipping)
        cfg = {
            "rom": str(ale_py.roms.get_rom_path(GAME)),
            "actions": tuple(a.name for a in actions),
            "frameskip": frameskip,
            "repeat_action_probability": sticky,
            "max_num_frames_per_episode": max_frames,
            "maxpool": check_bool("maxpool", maxpool),
            "noop_max": check_int("noop_max", noop_max, 0, 2**31 - 1),
            "use_fire_reset": check_bool("use_fire_reset", use_fire_reset),
            "episodic_life": check_bool("episodic_life", episodic_life),
            "autoreset_mode": self.autoreset_mode,
        }
        self.num_envs = n
        self.metadata = {"autoreset_mode": self.autoreset_mode, "render_modes": []}
        self.single_observation_space = spaces.Box(0, 255, shape, np.uint8)
        self.observation_space = batch_space(self.single_observation_space, n)
        self.single_action_space = spaces.Discrete(len(actions))
        self.action_space = batch_space(self.single_action_space, n)
        self._start(mp.get_context(context), cfg, min(workers, n))

    def _start(self, ctx: Any, cfg: dict[str, Any], workers: int) -> None:
        """Shared buffers, then ``workers`` processes, each with a contiguous share of envs."""
        n, k = self.num_envs, len(INFO_KEYS)
        layout: Layout = {
            "obs": ((n, *self.single_observation_space.shape), "uint8"),
            "final_obs": ((n, *self.single_observation_space.shape), "uint8"),
            "info": ((n, k), "int32"),
            "final_info": ((n, k), "int32"),
            "raw_reward": ((n,), "float32"),
            "terminated": ((n,), "bool"),
            "truncated": ((n,), "bool"),
            "final": ((n,), "bool"),
            "actions": ((n,), "int64"),
            "seeds": ((n,), "int64"),
            "seeded": ((n,), "bool"),
            "reset_mask": ((n,), "bool"),
        }
        buffers = {
            name: ctx.RawArray("B", max(1, int(np.prod(shape)) * np.dtype(dtype).itemsize))
            for name, (shape, dtype) in layout.items()
        }
        self._a = views(buffers, layout)
        seeds = [int(s) for s in np.random.SeedSequence().generate_state(n)]
        self._conns: list[Connection] = []  # kept open: their descriptors are self._fds
        self._fds: list[int] = []
        self._procs: list[Any] = []
        self._shares = [range(int(c[0]), int(c[-1]) + 1) for c in np.array_split(range(n), workers)]
        self.closed = False
        for w, envs in enumerate(self._shares):
            parent, child = ctx.Pipe()
            proc = ctx.Process(
                target=worker,
                args=(child, envs, buffers, layout, cfg, seeds),
                name=f"aisam-montezuma-{w}",
                daemon=True,
            )
            proc.start()
            child.close()  # the worker holds the only other end: its death reads as EOF
            self._conns.append(parent)
            self._fds.append(parent.fileno())
            self._procs.append(proc)
        self._gather()  # each worker answers once its emulators are loaded

    def reset(
        self,
        *,
        seed: int | Sequence[int] | np.ndarray | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Resets the envs (with ``options={"reset_mask": mask}`` the masked ones).

        ``seed``: an int ``s`` seeds the reset envs with ``s, s + 1, ...``; a list or array
        gives one seed per reset env. Unseeded resets continue each env's random stream.
        """
        mask = (options or {}).get("reset_mask")
        if mask is None:
            mask = np.ones(self.num_envs, bool)
        elif (
            not isinstance(mask, np.ndarray)
            or mask.dtype != np.bool_
            or mask.shape != (self.num_envs,)
        ):
            raise InvalidConfigError(
                f"reset_mask must be a bool array of shape ({self.num_envs},), got {mask!r}"
            )
        seeds = check_vector_seed(seed, options, self.num_envs)
        if self._stepping:
            raise AlreadyPendingCallError(
                "reset() while a step is pending: call step_wait() first", "step"
            )
        a = self._a
        a["reset_mask"][:] = mask
        a["seeded"][:] = False
        if seeds is not None:
            a["seeds"][mask] = seeds
            a["seeded"][mask] = True
        self._send(RESET)
        self._wait()
        return a["obs"].copy(), self._info(a["info"])

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Steps every env with ``(N,)`` integer actions; ``info`` as in the module docstring."""
        self.step_async(actions)
        return self.step_wait()

    def step_async(self, actions: Any) -> None:
        """Sends ``(N,)`` integer actions to the workers and returns at once: the caller
        can compute while the envs step (as ``AsyncVectorEnv.step_async``)."""
        if self._stepping:
            raise AlreadyPendingCallError(
                "step_async() while a step is pending: call step_wait() first", "step"
            )
        self._a["actions"][:] = check_vector_actions(actions, self.num_envs, self._action_names)
        self._send(STEP)
        self._stepping = True

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Waits for the step that :meth:`step_async` sent; returns what :meth:`step` does."""
        if not self._stepping:
            raise NoAsyncCallError("step_wait() without step_async(actions) first", "step")
        self._stepping = False
        self._wait()
        a = self._a
        raw = a["raw_reward"].copy()
        info = self._info(a["info"])
        info["raw_reward"] = raw
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            final = a["final"].copy()
            info["final_obs"], info["_final_obs"] = a["final_obs"].copy(), final
            info["final_info"], info["_final_info"] = self._info(a["final_info"]), final
        reward = np.clip(raw, -1.0, 1.0) if self._reward_clipping else raw.copy()
        return a["obs"].copy(), reward, a["terminated"].copy(), a["truncated"].copy(), info

    def close_extras(self, **kwargs: Any) -> None:
        """Stops the workers (those that do not stop within a second are terminated)."""
        for fd in self._fds:
            with contextlib.suppress(OSError):  # a worker that is already gone
                os.write(fd, CLOSE)
        for proc in self._procs:
            proc.join(1.0)
            if proc.is_alive():
                proc.terminate()
                proc.join(1.0)
        for conn in self._conns:
            conn.close()
        self._conns, self._fds, self._procs = [], [], []

    @staticmethod
    def _info(block: np.ndarray) -> dict[str, Any]:
        """``info`` arrays from an ``(N, len(INFO_KEYS))`` block (copied once)."""
        block = block.copy()
        return {key: block[:, j] for j, key in enumerate(INFO_KEYS)}

    def _send(self, command: bytes) -> None:
        """Sends ``command`` to every worker (their answers: :meth:`_wait`)."""
        with self._closing_on_error():
            for w, fd in enumerate(self._fds):
                try:
                    os.write(fd, command)
                except OSError:
                    self._fail(w, None)

    def _wait(self) -> None:
        """Waits for every worker's answer to the command sent last."""
        with self._closing_on_error():
            self._gather()

    @contextlib.contextmanager
    def _closing_on_error(self) -> Iterator[None]:
        """Refuses a closed env; an error or interruption inside (e.g. Ctrl-C half-way)
        would leave answers unread, so the env closes rather than desync."""
        if self.closed:
            raise EnvWorkerError(f"{self._name()} is closed: make a new one")
        try:
            yield
        except BaseException:
            self.close()
            raise

    def _gather(self) -> None:
        """Waits for every worker's answer; a dead or failed worker closes the env and
        raises :class:`EnvWorkerError` naming its envs."""
        for w, fd in enumerate(self._fds):
            try:
                reply = os.read(fd, 1)
            except OSError:
                reply = b""
            if reply != OK:  # b"": the worker's end closed, so the worker is gone
                self._fail(w, read_failure(fd) if reply == FAILED else None)

    def _fail(self, w: int, error: str | None) -> None:
        proc, envs = self._procs[w], self._shares[w]
        proc.join(1.0)
        code = proc.exitcode
        how = f"exit code {code}"
        if code is not None and code < 0:
            how = f"signal {signal.Signals(-code).name}"
        which = f"env {envs[0]}" if len(envs) == 1 else f"envs {envs[0]}-{envs[-1]}"
        self.close()
        if error is None:
            raise EnvWorkerError(
                f"worker process {w} of {self._name()} ({which}) died ({how}); the env is "
                "closed: make a new one"
            )
        raise EnvWorkerError(f"worker process {w} of {self._name()} ({which}) failed:\n{error}")

    def _name(self) -> str:
        spec = getattr(self, "spec", None)
        return f"MontezumaRoomsVectorEnv of {spec.id}" if spec else "MontezumaRoomsVectorEnv"


def _available_cores() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _check_autoreset(mode: Any) -> AutoresetMode:
    """``mode`` (an :class:`AutoresetMode` or its value) if this env implements it."""
    if isinstance(mode, str) and mode in {m.value for m in _AUTORESET}:
        return AutoresetMode(mode)
    if isinstance(mode, AutoresetMode) and mode in _AUTORESET:
        return mode
    raise InvalidConfigError(
        f"autoreset_mode must be one of {[m.value for m in _AUTORESET]} (or their "
        f"AutoresetMode), got {mode!r}"
    )
