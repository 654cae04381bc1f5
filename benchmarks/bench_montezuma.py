"""aisam/Montezuma-Reduced-v0 against raw ale-py, single env and vector env, same run.

Targets (issue 3): single-env step overhead vs raw ``ALE/MontezumaRevenge-v5``
<= 5%; vector throughput >= 90% of a raw ``AtariVectorEnv`` with the same settings.

- Single: both made with ``gym.make`` (so both carry gymnasium's checker wrappers) with
  the v5 protocol (frame skip 4, sticky actions 0.25), stepping the same pre-drawn
  actions in 0..5 (the raw env gets their ALE indices) and resetting at episode ends.
  Ours adds action checking, RAM decoding and the ``rooms_visited`` set.
- Vector: ``gym.make_vec(..., vectorization_mode="vector_entry_point")`` against
  ``AtariVectorEnv("montezuma_revenge", n, **env.ale_kwargs)`` (identical settings,
  threads included), same pre-drawn action batches.

Anchor and env alternate in rounds (which goes first alternates too) so load drift hits
both; the table shows the median and the spread of the per-round ratios. Single-env rounds
are timed twice: wall clock and this process's CPU time (``time.process_time``, all its
threads), which other processes on a shared box disturb far less. For the vector env (a
thread pool) the wall-clock ratio is the target; its CPU ratio shows the work added.

    python benchmarks/bench_montezuma.py [--steps 1000] [--rounds 15] [--num-envs 8]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import ale_py
import gymnasium as gym
import numpy as np
from _timing import interleaved, spread

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_envs.montezuma import GAME, REDUCED_ACTIONS

gym.register_envs(ale_py)


Timer = Callable[[], tuple[float, float]]


def single_runner(env: gym.Env, actions: list[int]) -> Timer:
    """Steps ``env`` through ``actions``; returns (wall, CPU) seconds taken."""

    def run() -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                env.reset()
        return time.perf_counter() - wall, time.process_time() - cpu

    return run


def vector_runner(env: gym.vector.VectorEnv, actions: np.ndarray) -> Timer:
    """Steps a vector env through ``(steps, n)`` action batches; (wall, CPU) seconds."""

    def run() -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        for batch in actions:
            env.step(batch)
        return time.perf_counter() - wall, time.process_time() - cpu

    return run


def rounds(ours: Timer, raw: Timer, n: int) -> tuple[list[float], list[float]]:
    """Per-round throughput ratios (raw time / our time), wall and CPU, alternating order."""
    t_raw, t_ours = interleaved([raw, ours], n)
    wall = [r[0] / o[0] for r, o in zip(t_raw, t_ours, strict=True)]
    cpu = [r[1] / o[1] for r, o in zip(t_raw, t_ours, strict=True)]
    return wall, cpu


def bench_single(obs_type: str, args: argparse.Namespace) -> tuple[list[float], list[float], float]:
    """Wall and CPU throughput ratios per round, and our env steps per second."""
    ours = gym.make("aisam/Montezuma-Reduced-v0", obs_type=obs_type)
    raw = gym.make("ALE/MontezumaRevenge-v5", obs_type=obs_type)
    raw_set = list(raw.unwrapped._action_set)
    to_raw = np.array([raw_set.index(a) for a in REDUCED_ACTIONS])
    actions = np.random.default_rng(0).integers(0, 6, args.steps)
    ours.reset(seed=0)
    raw.reset(seed=0)
    run_ours = single_runner(ours, actions.tolist())
    wall, cpu = rounds(run_ours, single_runner(raw, to_raw[actions].tolist()), args.rounds)
    steps_per_s = args.steps / run_ours()[0]
    ours.close()
    raw.close()
    return wall, cpu, steps_per_s


def bench_vector(args: argparse.Namespace) -> tuple[list[float], list[float], float]:
    """Wall and CPU throughput ratios per round, and our env steps per second."""
    ours = gym.make_vec(
        "aisam/Montezuma-Reduced-v0",
        num_envs=args.num_envs,
        vectorization_mode="vector_entry_point",
    )
    raw = ale_py.vector_env.AtariVectorEnv(GAME, args.num_envs, **ours.unwrapped.ale_kwargs)
    raw_set = list(raw.ale.get_action_set())
    to_raw = np.array([raw_set.index(a) for a in REDUCED_ACTIONS])
    actions = np.random.default_rng(0).integers(0, 6, (args.steps // 4, args.num_envs))
    ours.reset(seed=0)
    raw.reset(seed=0)
    run_ours = vector_runner(ours, actions)
    wall, cpu = rounds(run_ours, vector_runner(raw, to_raw[actions]), args.rounds)
    steps_per_s = actions.size / run_ours()[0]
    ours.close()
    raw.close()
    return wall, cpu, steps_per_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="single-env steps per round")
    parser.add_argument("--rounds", type=int, default=15, help="alternating rounds")
    parser.add_argument("--num-envs", type=int, default=8, help="vector env size")
    parser.add_argument("--obs", nargs="+", default=["rgb", "grayscale", "ram"])
    args = parser.parse_args()
    print(
        f"aisam/Montezuma-Reduced-v0 vs raw ale-py {ale_py.__version__}, {args.rounds} rounds; "
        "ratio = our throughput / raw throughput (median, min, max over rounds)"
    )
    header = f"{'measurement':34} {'median [min-max]':>21}  target"
    print(header)
    print("-" * len(header))
    for obs_type in args.obs:
        wall, cpu, steps_per_s = bench_single(obs_type, args)
        for clock, ratios in (("wall", wall), ("CPU", cpu)):
            overhead = 1 / statistics.median(ratios) - 1
            print(
                f"{f'single, obs_type={obs_type}, {clock}':34} {spread(ratios):>21}  "
                f"overhead {overhead:+.1%} (<= 5%)"
            )
        print(f"{'':34} ({steps_per_s:,.0f} steps/s ours)")
    wall, cpu, steps_per_s = bench_vector(args)
    label = f"vector, num_envs={args.num_envs}"
    print(f"{label + ', wall':34} {spread(wall):>21}  >= 90% ({steps_per_s:,.0f} env steps/s ours)")
    print(f"{label + ', CPU':34} {spread(cpu):>21}")


if __name__ == "__main__":
    main()
