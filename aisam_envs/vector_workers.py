"""Subprocess vector envs whose dead or stuck workers raise a clear error instead of a hang.

gymnasium's ``AsyncVectorEnv`` and SB3's ``SubprocVecEnv`` talk to each env's worker process
through a pipe. When a worker dies (an emulator crash, the OOM killer, ``os._exit`` in native
code) they raise a bare ``EOFError`` or ``BrokenPipeError`` that names no env, and where
another process still holds the worker's end of the pipe (the ``fork`` start method, or a
grandchild the env started) they wait forever. :class:`WorkerConnection` replaces the
parent's end of each pipe: every answer is awaited together with the worker's exit, so a
death is noticed at once, and a worker that neither answers nor dies is given up after
``timeout`` seconds. Either way the whole vector env is shut down and
:class:`~aisam_envs.errors.EnvWorkerError` names the env's index and id.

:class:`CheckedAsyncVectorEnv` is gymnasium's ``AsyncVectorEnv`` with these connections;
``aisam_agents.subproc.CheckedSubprocVecEnv`` is SB3's ``SubprocVecEnv`` with them.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

import gymnasium as gym
from gymnasium.vector import AsyncVectorEnv
from gymnasium.vector.async_vector_env import AsyncState

from aisam_envs.errors import EnvWorkerError, InvalidConfigError, check_real

__all__ = [
    "DEFAULT_WORKER_TIMEOUT",
    "CheckedAsyncVectorEnv",
    "WorkerConnection",
    "check_worker_timeout",
    "env_ids",
]

DEFAULT_WORKER_TIMEOUT = 300.0
"""Seconds a live worker may take to answer one command (a step, a reset, building its env)."""


class WorkerConnection:
    """The parent's end of the pipe to one env's worker, failing loudly instead of hanging.

    Offers what the vector envs use of a ``multiprocessing`` connection (``send``, ``recv``,
    ``poll``, ``close``, ``closed``).

    Args:
        conn: the parent's end of the pipe.
        process: the worker process.
        index: the env's index in the vector env.
        describe: the env's index -> its description for errors (e.g. ``"env 3
            (aisam/Pokemon-v0) of CheckedAsyncVectorEnv"``); called only on a failure.
        shutdown: stops every worker of the vector env and marks it closed; called before
            the error is raised.
        timeout: seconds to wait for one answer of a live worker; ``None`` waits as long as
            it lives.
    """

    def __init__(
        self,
        conn: Connection,
        process: BaseProcess,
        index: int,
        describe: Callable[[int], str],
        shutdown: Callable[[], None],
        timeout: float | None,
    ) -> None:
        self._conn, self._process, self._index = conn, process, index
        self._describe, self._shutdown, self._timeout = describe, shutdown, timeout

    @property
    def closed(self) -> bool:
        """Whether the parent's end is closed."""
        return self._conn.closed

    def send(self, obj: Any) -> None:
        """Sends ``obj`` to the worker; a gone worker raises :class:`EnvWorkerError`."""
        try:
            self._conn.send(obj)
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise self._failure() from exc

    def recv(self) -> Any:
        """The worker's next answer; its death or silence raises :class:`EnvWorkerError`."""
        if not self._ready(self._timeout):
            raise self._failure(f"did not answer within {self._timeout} s")
        try:
            return self._conn.recv()
        except (EOFError, ConnectionResetError) as exc:
            raise self._failure() from exc

    def poll(self, timeout: float | None = 0.0) -> bool:
        """Whether an answer is waiting, after up to ``timeout`` seconds (``None``: until
        one comes); a dead worker raises :class:`EnvWorkerError`."""
        return self._ready(timeout)

    def close(self) -> None:
        """Closes the parent's end."""
        self._conn.close()

    def _ready(self, timeout: float | None) -> bool:
        """Waits for an answer or the worker's exit: True for an answer, False for a timeout;
        an exit with nothing to read raises :class:`EnvWorkerError`."""
        if self._conn.closed:
            raise EnvWorkerError(f"{self._describe(self._index)} is closed: make a new one")
        ready = wait([self._conn, self._process.sentinel], timeout)
        if self._conn in ready:  # an answer, or the end of the pipe (recv raises EOFError)
            return True
        if ready:
            raise self._failure()
        return False

    def _failure(self, what: str | None = None) -> EnvWorkerError:
        """Shuts the vector env down and returns the error that names this env."""
        if what is None:
            self._process.join(1.0)  # an exit code, once the worker is fully gone
            code = self._process.exitcode
            if code is None:
                how = "its pipe closed"
            elif code < 0:
                how = f"signal {signal.Signals(-code).name}"
            else:
                how = f"exit code {code}"
            what = f"died ({how})"
        name = self._describe(self._index)
        self._shutdown()
        return EnvWorkerError(
            f"the worker process of {name} {what}; the vector env is closed: make a new one"
        )


def check_worker_timeout(timeout: Any) -> float | None:
    """``timeout`` (seconds > 0, or ``None``) as a float, else :class:`InvalidConfigError`."""
    if timeout is None:
        return None
    seconds = check_real("worker_timeout", timeout)
    if seconds <= 0:
        raise InvalidConfigError(f"worker_timeout must be > 0 seconds or None, got {timeout}")
    return seconds


def env_ids(specs: Sequence[Any]) -> list[str]:
    """Each env's registered id from its ``spec`` (``"no registered id"`` for an env made
    without ``gym.make``)."""
    return [spec.id if getattr(spec, "id", None) else "no registered id" for spec in specs]


class CheckedAsyncVectorEnv(AsyncVectorEnv):
    """gymnasium's ``AsyncVectorEnv`` whose dead or stuck workers raise
    :class:`~aisam_envs.errors.EnvWorkerError` naming the env's index and id, never a hang.

    Args:
        env_fns: functions that make the envs (as for ``AsyncVectorEnv``).
        worker_timeout: seconds a live worker may take to answer one command (building its
            env, a step, a reset); ``None`` waits as long as it lives. A dead worker is
            noticed at once either way.
        **kwargs: ``AsyncVectorEnv``'s other arguments (``shared_memory``, ``context``,
            ``autoreset_mode``, ...).
    """

    def __init__(
        self,
        env_fns: Sequence[Callable[[], gym.Env]],
        worker_timeout: float | None = DEFAULT_WORKER_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        self._worker_timeout = check_worker_timeout(worker_timeout)
        self._env_ids: list[str] = []
        super().__init__(env_fns, **kwargs)
        self._env_ids = env_ids(self.get_attr("spec"))

    def _check_spaces(self) -> None:
        """Called by ``AsyncVectorEnv.__init__`` right after the workers start: the pipes
        are replaced first, so building the envs is watched too."""
        self.parent_pipes = [
            WorkerConnection(pipe, process, i, self._describe, self._shutdown, self._worker_timeout)
            for i, (pipe, process) in enumerate(zip(self.parent_pipes, self.processes, strict=True))
        ]
        super()._check_spaces()

    def _describe(self, index: int) -> str:
        env_id = self._env_ids[index] if self._env_ids else "being built"
        return f"env {index} ({env_id}) of {type(self).__name__}"

    def _shutdown(self) -> None:
        if self.closed:
            return
        self._state = AsyncState.DEFAULT  # nothing more will be read from the workers
        self.close(terminate=True)
