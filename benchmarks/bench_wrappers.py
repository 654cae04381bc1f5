"""Steps/s of the table vector env with and without each intrinsic-reward wrapper.

Anchor: the bare numpy ``aisam/TransitionTable-v0`` vector env (4096 envs, 10k states)
in the same run, timed in rounds interleaved with the wrapped env so that load drift
hits both alike. Target (issue 6): satiation costs no more than the env step itself,
i.e. ``bonus cost / env step = t_wrapped / t_bare - 1 <= 1`` (wrapped at >= 0.5x the
bare env's steps/s). Run:

    python benchmarks/bench_wrappers.py [--num-envs 4096] [--steps 200] [--rounds 9]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_wrappers import EntropyBonus, PredictionErrorBonus, SatiationBonus

sys.path.insert(0, str(Path(__file__).parent))
from _timing import interleaved  # noqa: E402

CASES: dict[str, Callable[[Any], Any]] = {
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


def stepper(env: Any, steps: int, seed: int = 0) -> Callable[[], float]:
    """A timer: ``steps`` vector steps of ``env`` per call, returning the seconds taken."""
    rng = np.random.default_rng(seed)
    actions = rng.integers(0, env.single_action_space.n, size=(steps, env.num_envs))
    env.reset(seed=seed)
    for a in actions[: max(1, steps // 10)]:  # warm-up (and numba compilation)
        env.step(a)

    def timer() -> float:
        start = time.perf_counter()
        for a in actions:
            env.step(a)
        return time.perf_counter() - start

    return timer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-envs", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=200, help="vector steps per round")
    parser.add_argument("--n-states", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (median)")
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args()

    def make() -> Any:
        return gym.make_vec(
            "aisam/TransitionTable-v0",
            num_envs=args.num_envs,
            vectorization_mode="vector_entry_point",
            n_states=args.n_states,
            kind="random",
        )

    print(f"| wrapper ({args.num_envs} envs, {args.n_states} states) | steps/s | bare env "
          "steps/s | wrapped / bare | bonus cost / env step |")  # fmt: skip
    print("|---|---:|---:|---:|---:|")
    for name, wrap in CASES.items():
        if args.only not in name:
            continue
        steps = args.steps if "torch" not in name else max(10, args.steps // 10)
        bare, wrapped = stepper(make(), steps), stepper(wrap(make()), steps)
        t_bare, t_wrapped = interleaved([bare, wrapped], args.rounds)
        ratios = [b / w for b, w in zip(t_bare, t_wrapped, strict=True)]
        ratio = statistics.median(ratios)
        rate = steps * args.num_envs / statistics.median(t_wrapped)
        anchor = steps * args.num_envs / statistics.median(t_bare)
        spread = f"{ratio:.2f}x [{min(ratios):.2f}-{max(ratios):.2f}]"
        cost = 1 / ratio - 1
        print(f"| {name} | {rate:,.0f} | {anchor:,.0f} | {spread} | {cost:.2f} |", flush=True)


if __name__ == "__main__":
    main()
