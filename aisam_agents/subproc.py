"""SB3's ``SubprocVecEnv`` whose dead or stuck workers raise a clear error, never a hang.

SB3 answers a worker that died (an emulator crash, the OOM killer) with a bare ``EOFError``
naming no env, and waits forever where another process still holds the worker's end of the
pipe (the ``fork`` start method) or where the worker hangs. :class:`CheckedSubprocVecEnv`
watches every answer together with the worker's exit
(:class:`aisam_envs.vector_workers.WorkerConnection`): the vector env is shut down and
:class:`~aisam_envs.errors.EnvWorkerError` names the env's index and id::

    from stable_baselines3.common.env_util import make_vec_env
    from aisam_agents.subproc import CheckedSubprocVecEnv

    venv = make_vec_env("aisam/Pokemon-v0", n_envs=8, vec_env_cls=CheckedSubprocVecEnv)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

import gymnasium as gym
from stable_baselines3.common.vec_env import SubprocVecEnv

from aisam_envs.errors import EnvWorkerError
from aisam_envs.vector_workers import (
    DEFAULT_WORKER_TIMEOUT,
    WorkerConnection,
    check_worker_timeout,
    env_ids,
)

__all__ = ["CheckedSubprocVecEnv"]


class CheckedSubprocVecEnv(SubprocVecEnv):
    """SB3's ``SubprocVecEnv`` whose dead or stuck workers raise
    :class:`~aisam_envs.errors.EnvWorkerError` naming the env's index and id.

    Args:
        env_fns: functions that make the envs (as for ``SubprocVecEnv``).
        start_method: ``multiprocessing`` start method (SB3's default: ``forkserver`` where
            available).
        worker_timeout: seconds a live worker may take to answer one command (a step, a
            reset, an attribute); ``None`` waits as long as it lives. A dead worker is
            noticed at once either way.
    """

    def __init__(
        self,
        env_fns: Sequence[Callable[[], gym.Env]],
        start_method: str | None = None,
        worker_timeout: float | None = DEFAULT_WORKER_TIMEOUT,
    ) -> None:
        timeout = check_worker_timeout(worker_timeout)
        self._env_ids: list[str] = []
        try:
            super().__init__(list(env_fns), start_method)
        except (EOFError, ConnectionError) as exc:  # env 0 died while SB3 asked its spaces
            self._shutdown()
            raise EnvWorkerError(
                f"the worker process of {self._describe(0)} died while building its env"
            ) from exc
        self.remotes = [
            WorkerConnection(remote, process, i, self._describe, self._shutdown, timeout)
            for i, (remote, process) in enumerate(zip(self.remotes, self.processes, strict=True))
        ]
        self._env_ids = env_ids(self.get_attr("spec"))

    def _describe(self, index: int) -> str:
        env_id = self._env_ids[index] if self._env_ids else "being built"
        return f"env {index} ({env_id}) of {type(self).__name__}"

    def _shutdown(self) -> None:
        """Stops every worker and marks the env closed; nothing more is read from them."""
        if getattr(self, "closed", False):
            return
        for process in getattr(self, "processes", []):
            if process.is_alive():
                process.terminate()
        for process in getattr(self, "processes", []):
            process.join(5.0)
        for remote in self.remotes:
            remote.close()
        self.waiting = False
        self.closed = True

    def close(self) -> None:
        """SB3's ``close``; a worker found dead on the way just ends the shutdown."""
        with contextlib.suppress(EnvWorkerError):  # the failure shut everything down already
            super().close()
