"""Steps/s of the table vector env with and without each intrinsic-reward wrapper.

Anchor: the bare numpy ``aisam/TransitionTable-v0`` vector env (4096 envs) in the same
run. Target (issue 6): satiation costs no more than the env step itself, i.e. the
wrapped env runs at >= 0.5x the bare env's steps/s. Run:

    python benchmarks/bench_wrappers.py [--num-envs 4096] [--steps 300]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_wrappers import EntropyBonus, PredictionErrorBonus, SatiationBonus


def steps_per_second(env: Any, steps: int, seed: int = 0) -> float:
    """Env steps (vector steps x num_envs) per second over ``steps`` vector steps."""
    rng = np.random.default_rng(seed)
    n = env.num_envs
    actions = rng.integers(0, env.single_action_space.n, size=(steps, n))
    env.reset(seed=seed)
    for a in actions[: max(1, steps // 10)]:  # warm-up
        env.step(a)
    start = time.perf_counter()
    for a in actions:
        env.step(a)
    return steps * n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-envs", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--n-states", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()

    def make() -> Any:
        return gym.make_vec(
            "aisam/TransitionTable-v0",
            num_envs=args.num_envs,
            vectorization_mode="vector_entry_point",
            n_states=args.n_states,
            kind="random",
        )

    cases: dict[str, Callable[[Any], Any]] = {
        "bare env (anchor)": lambda e: e,
        "satiation (default)": lambda e: SatiationBonus(e),
        "satiation, normalize=False": lambda e: SatiationBonus(e, normalize=False),
        "satiation, exponential+recovery": lambda e: SatiationBonus(
            e, curve="exponential", recovery_rate=0.01
        ),
        "satiation, episodic": lambda e: SatiationBonus(e, memory="episodic"),
        "satiation, per-action": lambda e: SatiationBonus(e, per_action=True),
        "entropy (count model)": lambda e: EntropyBonus(e),
        "prediction error (count)": lambda e: PredictionErrorBonus(e, model="count"),
        "prediction error (RND, torch CPU)": lambda e: PredictionErrorBonus(e),
        "prediction error (forward, torch CPU)": lambda e: PredictionErrorBonus(e, model="forward"),
    }
    anchor = 0.0
    print(f"| wrapper ({args.num_envs} envs, {args.n_states} states) | steps/s | vs bare env |")
    print("|---|---:|---:|")
    for name, wrap in cases.items():
        steps = args.steps if "torch" not in name else max(10, args.steps // 10)
        best = max(steps_per_second(wrap(make()), steps) for _ in range(args.repeats))
        anchor = anchor or best
        print(f"| {name} | {best:,.0f} | {best / anchor:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
