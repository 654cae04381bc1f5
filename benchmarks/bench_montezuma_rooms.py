"""Vector Montezuma with rooms in ``info`` against raw ``AtariVectorEnv``, same run.

Target (issue 19): at 16 envs on a 16-core machine, ``MontezumaRoomsVectorEnv``
(``gym.make_vec(id, N, vectorization_mode="vector_entry_point", ram_info=True)``: worker
processes, shared memory, RAM state per env) steps >= 0.6x as fast as ale-py's threaded
C++ ``AtariVectorEnv("montezuma_revenge", N)`` with the same settings (v5 protocol: frame
skip 4, sticky actions 0.25; 84x84 grey, 4-stack, max-pool, no-op and FIRE resets),
random actions, both using every core (ours: one worker process per core; the anchor: one
thread per core).

The two alternate round by round (which goes first alternates too), so load drift hits
both; ratio = our env steps/s / the anchor's in the same round, median [min, max].
Wall clock only: our work happens in the worker processes.

    python benchmarks/bench_montezuma_rooms.py [--num-envs 16] [--steps 500] [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import ale_py
import gymnasium as gym
import numpy as np
from _timing import interleaved
from ale_py.vector_env import AtariVectorEnv

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_envs.montezuma import GAME, REDUCED_ACTIONS

ID = "aisam/Montezuma-Reduced-v0"


def runner(env: gym.vector.VectorEnv, actions: np.ndarray) -> Callable[[], float]:
    """Steps ``env`` through ``(steps, N)`` action batches; returns env steps per second."""

    def run() -> float:
        start = time.perf_counter()
        for batch in actions:
            env.step(batch)
        return actions.size / (time.perf_counter() - start)

    return run


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-envs", type=int, default=16, help="envs N in both")
    parser.add_argument("--steps", type=int, default=500, help="batch steps per round")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds")
    args = parser.parse_args()
    n = args.num_envs
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {cores} cores ({cpu_model()}), load average {os.getloadavg()[0]:.1f}")
    print(f"ale-py {ale_py.__version__}, N = {n}, {args.steps} batch steps x {args.rounds} rounds")
    ours = gym.make_vec(ID, num_envs=n, vectorization_mode="vector_entry_point", ram_info=True)
    raw = AtariVectorEnv(GAME, n, repeat_action_probability=0.25, frameskip=4)
    to_raw = np.array([list(raw.ale.get_action_set()).index(a) for a in REDUCED_ACTIONS])
    actions = np.random.default_rng(0).integers(0, len(REDUCED_ACTIONS), (args.steps, n))
    ours.reset(seed=0)
    raw.reset(seed=0)
    runner(ours, actions[:20])()  # warm-up: workers and threads running
    runner(raw, to_raw[actions[:20]])()
    ours_sps, raw_sps = interleaved(
        [runner(ours, actions), runner(raw, to_raw[actions])], args.rounds
    )
    ratios = [a / b for a, b in zip(ours_sps, raw_sps, strict=True)]
    ours.close()
    raw.close()
    print(f"MontezumaRoomsVectorEnv: {statistics.median(ours_sps):8,.0f} env steps/s (median)")
    print(f"AtariVectorEnv (anchor): {statistics.median(raw_sps):8,.0f} env steps/s (median)")
    print(
        f"ratio ours / anchor:     {statistics.median(ratios):8.2f}x  "
        f"[{min(ratios):.2f}, {max(ratios):.2f}]  (target >= 0.6x at N = 16 on 16 cores)"
    )
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
