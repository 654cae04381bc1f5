"""``aisam train``'s env stepping on Montezuma: ``--n-envs 16`` against ``--n-envs 1``, same run.

Target (issue 23): on a 16-core machine, the vector env that ``aisam train --env
aisam/Montezuma-Reduced-v0 --n-envs 16`` builds (its Atari preset: one worker process per
env, ``AtariWrapper``, 4-frame stack) steps >= 8x as many env steps/s as the one that
``--n-envs 1`` builds, random actions. All are built by ``aisam_agents.train.make_vec_env``,
exactly as a run builds them. The preset steps Montezuma's own vector env (worker
processes) also for one env, so a second anchor is the fastest one-env route, ``--n-envs 1
--vec-env dummy`` (``AtariWrapper`` in this process, no inter-process hop): the sides
rotate round by round; ratio = the 16-env rate / a 1-env rate in the same round, median
[min, max].

    python benchmarks/bench_train_envs.py [--many 16] [--seconds 5] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _timing import interleaved, spread

from aisam_agents.train import TrainConfig, make_vec_env

ID = "aisam/Montezuma-Reduced-v0"


def runner(venv: Any, seconds: float) -> Callable[[], float]:
    """Steps ``venv`` with random actions for ``seconds``; returns env steps per second."""
    rng = np.random.default_rng(0)
    n, actions = venv.num_envs, venv.action_space.n

    def run() -> float:
        steps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            venv.step(rng.integers(0, actions, size=n))
            steps += n
        return steps / (time.perf_counter() - start)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default=ID)
    parser.add_argument("--many", type=int, default=16, help="--n-envs of the fast side")
    parser.add_argument("--seconds", type=float, default=5.0, help="per round and side")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    print(f"machine: {cores} cores, load average {os.getloadavg()[0]:.1f}; env {args.env}")
    config = TrainConfig(env_id=args.env, n_envs=args.many).resolved()
    vec_env = config.vec_env or "dummy"
    sides = {
        f"--n-envs {args.many}": make_vec_env(config, args.many, 0, vec_env),
        "--n-envs 1": make_vec_env(config, 1, 0, vec_env),
        "--n-envs 1 --vec-env dummy": make_vec_env(config, 1, 0, "dummy"),
    }
    print(f"preset {config.preset}, --vec-env {vec_env} by default")
    for venv in sides.values():
        venv.reset()
        runner(venv, 1.0)()  # warm-up: workers running, first resets done
    rates = interleaved([runner(v, args.seconds) for v in sides.values()], args.rounds)
    for venv in sides.values():
        venv.close()
    for (name, venv), sps in zip(sides.items(), rates, strict=True):
        inner = getattr(venv, "venv", venv)
        print(f"{name:28} {statistics.median(sps):8,.0f} env steps/s  ({type(inner).__name__})")
    for k in (1, 2):
        ratios = [m / o for m, o in zip(rates[0], rates[k], strict=True)]
        print(f"ratio to {list(sides)[k]!r}: {spread(ratios, '.2f')}x  (target >= 8x)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
