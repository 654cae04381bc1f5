"""``aisam bench``: steps per second of every installed environment, single and vector.

Each env runs random actions (valid ones, where ``info["action_mask"]`` says which)
for a fixed wall-clock budget; episodes are reset as they end.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from aisam_envs import ENVS, EnvEntry, extra_installed
from aisam_envs.catalog import format_table
from aisam_envs.errors import AisamError


@dataclass(frozen=True)
class BenchResult:
    """Throughput of one env id: steps/s of one env and of ``num_envs`` in a vector env."""

    id: str
    single: float | None
    vector: float | None
    num_envs: int
    vector_mode: str
    note: str = ""


def _random_action(space: gym.Space[Any], info: dict[str, Any], rng: np.random.Generator) -> Any:
    mask = info.get("action_mask")
    if mask is not None:
        return int(rng.choice(np.flatnonzero(mask)))
    return space.sample()


def single_steps_per_second(env: gym.Env[Any, Any], seconds: float, seed: int = 0) -> float:
    """Steps/s of ``env`` under random actions for about ``seconds``."""
    rng = np.random.default_rng(seed)
    env.action_space.seed(seed)
    _, info = env.reset(seed=seed)
    steps, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(100):
            _, _, terminated, truncated, info = env.step(
                _random_action(env.action_space, info, rng)
            )
            steps += 1
            if terminated or truncated:
                _, info = env.reset()
    return steps / elapsed


def vector_steps_per_second(env: gym.vector.VectorEnv, seconds: float, seed: int = 0) -> float:
    """Env-steps/s (calls x num_envs) of ``env`` under random actions for about ``seconds``."""
    _, info = env.reset(seed=seed)
    masked = "action_mask" in info
    env.action_space.seed(seed)
    batch = [env.action_space.sample() for _ in range(64)]  # pre-drawn: time the env only
    rng = np.random.default_rng(seed)
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for i in range(64):
            if masked:
                valid = info["action_mask"]
                action = np.array([rng.choice(np.flatnonzero(m)) for m in valid])
            else:
                action = batch[i]
            _, _, _, _, info = env.step(action)
            calls += 1
    return calls * env.num_envs / elapsed


def bench_entry(entry: EnvEntry, seconds: float, num_envs: int | None = None) -> BenchResult:
    """Measures one registered env; a missing extra or ROM becomes a note, not a crash."""
    n = num_envs or entry.bench_num_envs
    mode = "vector_entry_point" if entry.vector_entry_point else "sync"
    if not extra_installed(entry):
        return BenchResult(
            entry.id, None, None, n, mode, f'needs pip install "aisam[{entry.extra}]"'
        )
    try:
        single_env = gym.make(entry.id, **entry.bench_kwargs)
        try:
            single = single_steps_per_second(single_env, seconds)
        finally:
            single_env.close()
        vec_env = gym.make_vec(entry.id, n, vectorization_mode=mode, **entry.bench_kwargs)
        try:
            vector = vector_steps_per_second(vec_env, seconds)
        finally:
            vec_env.close()
    except AisamError as exc:
        first_sentence = str(exc).split(". ")[0]  # keeps the table readable
        return BenchResult(entry.id, None, None, n, mode, first_sentence)
    return BenchResult(entry.id, single, vector, n, mode)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``aisam bench``."""
    parser.add_argument("ids", nargs="*", help="env ids to measure (default: all registered)")
    parser.add_argument("--seconds", type=float, default=1.0, help="time budget per measurement")
    parser.add_argument("--num-envs", type=int, default=None, help="vector size (default: per env)")


def run(args: argparse.Namespace) -> int:
    """Prints a table of steps/s, one row per env id."""
    known = {e.id: e for e in ENVS}
    unknown = [i for i in args.ids if i not in known]
    if unknown:
        print(f"aisam bench: unknown ids {unknown}; registered: {sorted(known)}")
        return 2
    rows = []
    for entry in [known[i] for i in args.ids] or ENVS:
        r = bench_entry(entry, args.seconds, args.num_envs)
        fmt = lambda x: "-" if x is None else f"{x:,.0f}"  # noqa: E731
        rows.append([r.id, fmt(r.single), fmt(r.vector), f"{r.num_envs} ({r.vector_mode})", r.note])
        print(f"measured {r.id}", flush=True)
    print(format_table(["id", "single steps/s", "vector steps/s", "num_envs (mode)", "note"], rows))
    return 0
