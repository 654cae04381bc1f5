"""A dead or stuck worker of a subprocess vector env raises EnvWorkerError naming the env's
index and id, never a hang: gymnasium's AsyncVectorEnv (aisam_envs.vector_workers) and
SB3's SubprocVecEnv (aisam_agents.subproc).

The toy env dies with ``os._exit`` inside ``step`` (as a crashing emulator would) on action 1
and sleeps on action 2. Plain SB3 with the ``fork`` start method waits forever on such a
death (another worker holds the dead one's end of the pipe), so these tests would hang
without the checked classes; ``pytest``'s run would be killed by the CI time limit.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import time
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AsyncVectorEnv
from stable_baselines3.common.vec_env import SubprocVecEnv

from aisam_agents.subproc import CheckedSubprocVecEnv
from aisam_envs.errors import AisamError, EnvWorkerError, InvalidConfigError
from aisam_envs.vector_workers import CheckedAsyncVectorEnv

ENV_ID = "aisam_test/Crashing-v0"


class Crashing(gym.Env):
    """Counts steps; action 1 kills the process, action 2 hangs it."""

    observation_space = gym.spaces.Box(0, 1000, (1,), np.float32)
    action_space = gym.spaces.Discrete(3)

    def __init__(self, die_on_build: bool = False) -> None:
        if die_on_build and multiprocessing.parent_process() is not None:
            os._exit(4)  # in a worker only: AsyncVectorEnv builds env 0 here too
        self._t = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> Any:
        super().reset(seed=seed)
        self._t = int(self.np_random.integers(100))
        return np.array([self._t], np.float32), {}

    def step(self, action: int) -> Any:
        if action == 1:
            os._exit(3)
        if action == 2:
            time.sleep(60)
        self._t += 1
        return np.array([self._t], np.float32), 1.0, False, False, {}


if ENV_ID not in gym.registry:
    gym.register(ENV_ID, entry_point=Crashing)


def _make(**kwargs: Any) -> gym.Env:
    """Importable by reference, so a forkserver worker imports this module (and its id)."""
    return gym.make(ENV_ID, **kwargs)


def _fns(n: int = 3, **kwargs: Any) -> list:
    return [functools.partial(_make, **kwargs) for _ in range(n)]


def _gym(**kwargs: Any) -> CheckedAsyncVectorEnv:
    return CheckedAsyncVectorEnv(_fns(), context="fork", **kwargs)


def _sb3(**kwargs: Any) -> CheckedSubprocVecEnv:
    return CheckedSubprocVecEnv(_fns(), start_method="fork", **kwargs)


def _step(venv: Any, actions: list[int]) -> Any:
    if isinstance(venv, AsyncVectorEnv):
        return venv.step(np.array(actions))
    venv.step_async(np.array(actions))
    return venv.step_wait()


def _reset(venv: Any) -> Any:
    if isinstance(venv, AsyncVectorEnv):
        return venv.reset(seed=0)[0]
    venv.seed(0)
    return venv.reset()


@pytest.mark.parametrize("make", [_gym, _sb3], ids=["gymnasium", "sb3"])
def test_a_worker_that_dies_in_step_is_named(make) -> None:
    venv = make()
    _reset(venv)
    _step(venv, [0, 0, 0])
    start = time.monotonic()
    with pytest.raises(EnvWorkerError, match=rf"env 1 \({ENV_ID}\) of \w+ died \(exit code 3\)"):
        _step(venv, [0, 1, 0])
    assert time.monotonic() - start < 10
    assert venv.closed
    assert not any(p.is_alive() for p in venv.processes)
    venv.close()  # closing again is fine


@pytest.mark.parametrize("make", [_gym, _sb3], ids=["gymnasium", "sb3"])
def test_a_killed_worker_is_named_at_the_next_step(make) -> None:
    venv = make()
    _reset(venv)
    os.kill(venv.processes[2].pid, signal.SIGKILL)
    with pytest.raises(EnvWorkerError, match=rf"env 2 \({ENV_ID}\) .* died \(signal SIGKILL\)"):
        _step(venv, [0, 0, 0])
        _step(venv, [0, 0, 0])  # the send may still succeed once
    assert venv.closed


@pytest.mark.parametrize("make", [_gym, _sb3], ids=["gymnasium", "sb3"])
def test_a_stuck_worker_times_out(make) -> None:
    venv = make(worker_timeout=0.5)
    _reset(venv)
    start = time.monotonic()
    with pytest.raises(EnvWorkerError, match=rf"env 0 \({ENV_ID}\) .* did not answer within 0.5 s"):
        _step(venv, [2, 0, 0])
    assert time.monotonic() - start < 10
    assert venv.closed and not any(p.is_alive() for p in venv.processes)


def test_a_worker_that_dies_while_building_its_env_is_named() -> None:
    with pytest.raises(EnvWorkerError, match=r"env \d \(being built\) .* died \(exit code 4\)"):
        CheckedAsyncVectorEnv(_fns(die_on_build=True), context="fork")
    with pytest.raises(EnvWorkerError, match=r"env 0 \(being built\) .* died while building"):
        CheckedSubprocVecEnv(_fns(die_on_build=True), start_method="fork")


@pytest.mark.slow  # ~8 s: the forkserver imports torch and SB3
def test_the_default_start_method_of_sb3_is_checked_too() -> None:
    venv = CheckedSubprocVecEnv(_fns(2))  # forkserver
    _reset(venv)
    with pytest.raises(EnvWorkerError, match=rf"env 1 \({ENV_ID}\) .* died"):
        _step(venv, [0, 1])


@pytest.mark.parametrize(
    ("checked", "plain"),
    [
        (_gym, lambda: AsyncVectorEnv(_fns(), context="fork")),
        (_sb3, lambda: SubprocVecEnv(_fns(), start_method="fork")),
    ],
    ids=["gymnasium", "sb3"],
)
def test_healthy_workers_give_the_same_results_as_the_plain_class(checked, plain) -> None:
    results = []
    for make in (checked, plain):
        venv = make()
        trajectory = [_reset(venv)]
        for _ in range(3):
            trajectory.append(_step(venv, [0, 0, 0])[0])
        venv.close()
        results.append(np.stack(trajectory))
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "10", True])
def test_bad_worker_timeouts_are_refused(bad) -> None:
    for make in (
        lambda: CheckedAsyncVectorEnv(_fns(1), worker_timeout=bad),
        lambda: CheckedSubprocVecEnv(_fns(1), worker_timeout=bad),
    ):
        with pytest.raises(InvalidConfigError, match="worker_timeout"):
            make()
    assert issubclass(EnvWorkerError, AisamError)
