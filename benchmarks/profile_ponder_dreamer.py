"""Where PonderDreamer's time goes on the Atari-100k protocol: acting vs the parts of one
training step (world model, imagination, actor-critic), then the top CUDA kernels.

    python benchmarks/profile_ponder_dreamer.py --device cuda --fill 400 --reps 20 --compare-graphs

Prints one JSON line of medians (milliseconds) and, with ``--profile``, torch.profiler's
table of the heaviest ops over a few training steps.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
from _timing import interleaved, synced

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
T = TypeVar("T")


def timed(fn: Callable[[], T], device: torch.device) -> tuple[float, T]:
    """Milliseconds ``fn`` takes (device synchronised) and its result."""
    seconds, out = synced(fn, device)
    return 1e3 * seconds, out


def main(argv: list[str] | None = None) -> None:
    from atari100k import make_env
    from stable_baselines3.common.vec_env import DummyVecEnv

    from aisam_agents.ponder_dreamer import PonderDreamer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env-id", default="ALE/Pong-v5")
    parser.add_argument("--world-model", default="small")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--fill", type=int, default=400, help="env steps acted, no training")
    parser.add_argument("--reps", type=int, default=20, help="training steps timed")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--compare-early-exit", action="store_true",
        help="also time imagination and acting with PonderCore's per-step early exit forced on",
    )  # fmt: skip
    parser.add_argument(
        "--compare-graphs", action="store_true",
        help="also time acting with its CUDA graph against the same kernels launched eagerly",
    )  # fmt: skip
    args = parser.parse_args(argv)

    env = DummyVecEnv([lambda: make_env(args.env_id)])
    agent = PonderDreamer(
        "auto", env, world_model=args.world_model, learning_starts=10**9, seed=0,
        device=args.device,
    )  # fmt: skip
    device = agent.device
    t0 = time.perf_counter()
    agent.learn(args.fill)
    act_ms = 1e3 * (time.perf_counter() - t0) / args.fill
    env.reset()
    t0 = time.perf_counter()
    for _ in range(args.fill):
        env.step(env.action_space.sample()[None])
    env_ms = 1e3 * (time.perf_counter() - t0) / args.fill

    parts: dict[str, list[float]] = {k: [] for k in ("sample", "world_model", "imagine",
                                                      "actor_critic", "train")}  # fmt: skip
    for _ in range(args.reps):
        ms, batch = timed(lambda: agent.replay.sample(agent.batch_size, agent.window + 1), device)
        parts["sample"].append(ms)
        parts["world_model"].append(timed(partial(agent._train_world_model, batch), device)[0])
        ms, imag = timed(partial(agent._imagine, batch.obs, batch.actions, batch.is_first), device)
        parts["imagine"].append(ms)
        parts["actor_critic"].append(timed(partial(agent._train_actor_critic, imag), device)[0])
        parts["train"].append(timed(agent.train, device)[0])
    obs, history = np.asarray(agent._last_obs), agent._history
    act = partial(agent._act, obs, history, False)
    result = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "act_step_ms": round(act_ms, 2),
        "act_ms": round(statistics.median(timed(act, device)[0] for _ in range(args.reps)), 2),
        "env_step_ms": round(env_ms, 2),
        **{f"{k}_ms": round(statistics.median(v[2:] or v), 2) for k, v in parts.items()},
    }
    print(json.dumps(result), flush=True)
    if args.compare_graphs:
        print(json.dumps(compare_graphs(agent, act, device, args.reps)), flush=True)
    if args.compare_early_exit:  # acting eagerly: its graph has no host syncs to save
        imagine = partial(agent._imagine, batch.obs, batch.actions, batch.is_first)
        print(json.dumps(compare_early_exit(agent.policy.actor, imagine, act, device, args.reps)))
    if args.profile:
        from torch.profiler import ProfilerActivity, profile

        activities = [ProfilerActivity.CPU]
        if device.type == "cuda":
            activities.append(ProfilerActivity.CUDA)
        with profile(activities=activities) as prof:
            for _ in range(3):
                agent.train()
            agent.learning_starts = 10**9
            agent.learn(20, reset_num_timesteps=False)
        sort = "cuda_time_total" if device.type == "cuda" else "cpu_time_total"
        print(prof.key_averages().table(sort_by=sort, row_limit=30), flush=True)
    if device.type == "cuda":
        print(json.dumps({"host_syncs_per_train_step": host_syncs(agent.train)}), flush=True)


def compare_early_exit(
    actor: torch.nn.Module,
    imagine: Callable[[], object],
    act: Callable[[], object],
    device: torch.device,
    rounds: int,
) -> dict[str, float]:
    """Medians (ms) of ``imagine`` and ``act`` with the actor's ``PonderCore`` as it runs on
    ``device`` and with its per-step early exit forced on (the GPU's behaviour before it was
    switched off there), in interleaved rounds; and the ratios early-exit / default."""
    from aisam_agents.ponder import PonderCore

    core = actor.core

    def forced(fn: Callable[[], object]) -> float:
        core.forward = partial(PonderCore.forward, core, early_exit=True)
        try:
            return timed(fn, device)[0]
        finally:
            del core.forward

    out: dict[str, float] = {}
    for name, fn in (("imagine", imagine), ("act", act)):
        default, early = interleaved(
            [lambda f=fn: timed(f, device)[0], partial(forced, fn)], rounds
        )
        out[f"{name}_ms"], out[f"{name}_early_exit_ms"] = (
            round(statistics.median(v), 2) for v in (default, early)
        )
        out[f"{name}_ratio"] = round(out[f"{name}_early_exit_ms"] / out[f"{name}_ms"], 3)
    return out


def compare_graphs(
    agent: object, act: Callable[[], object], device: torch.device, rounds: int
) -> dict[str, float]:
    """Medians (ms) of ``act`` replaying its CUDA graph and launching the same kernels one
    by one (``cuda_graphs`` off), in interleaved rounds; and the ratio eager / graph. Exits
    if acting never took the graph, rather than report eager against eager."""

    def run(graphs: bool) -> float:
        agent.cuda_graphs = graphs
        return timed(act, device)[0]

    before = agent.cuda_graphs
    try:
        graph, eager = interleaved([partial(run, True), partial(run, False)], rounds)
    finally:
        agent.cuda_graphs = before
    if not agent._graphs:
        raise SystemExit("acting took no graph (a CPU device, or a history shorter than 15)")
    out = {
        k: round(statistics.median(v), 2) for k, v in (("act_ms", graph), ("act_eager_ms", eager))
    }
    return {**out, "act_ratio": round(out["act_eager_ms"] / out["act_ms"], 3)}


def host_syncs(fn: Callable[[], object]) -> dict[str, int]:
    """How often ``fn`` waits for the GPU, by the aisam line that asked (CUDA's sync
    debug mode)."""
    where: Counter[str] = Counter()

    def record(*_: object, **__: object) -> None:
        frames = [f for f in traceback.extract_stack() if "aisam" in f.filename]
        where[f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"] += 1

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = record
        torch.cuda.set_sync_debug_mode("warn")
        try:
            fn()
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return dict(where.most_common())


if __name__ == "__main__":
    main()
