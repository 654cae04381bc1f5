"""Does each intrinsic bonus help PPO explore? A fixed-budget study on transition tables.

SB3 PPO with each bonus (satiation; prediction error with RND and with the exact
count-model surprise; entropy of the Dirichlet count model) against plain PPO, on
``aisam/TransitionTable-v0`` of kind ``lock`` (a combination lock: one right action
per state, every other one sends you back to the start; reward at the end) and kind
``clusters`` (rooms joined by single doors; reward in the farthest room), several
seeds each, the same step budget and hyperparameters for all. Reports distinct
states discovered and episodes solved (positive extrinsic return) during training,
as a markdown table (``--out``, default ``bonus_study.md``).

    python examples/bonus_study.py                    # full study (5 seeds)
    python examples/bonus_study.py --seeds 2 --steps 5000   # quick look
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

TASKS: dict[str, dict[str, Any]] = {
    "lock": {"n_states": 12, "n_actions": 3, "kind": "lock"},
    "clusters": {
        "n_states": 160,
        "n_actions": 4,
        "kind": "clusters",
        "n_clusters": 8,
        "goal_states": [80],  # in the room opposite the start's, four doors away
    },
}
BONUSES = ("none", "satiation", "prediction-error", "entropy")
#: intrinsic coefficient of each bonus (chosen on seeds 100-104, reported on 0-4)
COEFS = {"none": 0.0, "satiation": 0.1, "prediction-error": 0.1, "entropy": 0.1}
#: settings studied per bonus by default: RND and the exact count-model surprise
VARIANTS = {"prediction-error": ["{}", '{"model": "count"}']}
PPO_KWARGS = {"n_steps": 128, "batch_size": 256, "ent_coef": 0.01}


def run_one(
    task: str, bonus: str, coef: float, seed: int, steps: int, n_envs: int, kwargs: str
) -> dict[str, Any]:
    """One training run; returns its task, bonus, seed and exploration numbers."""
    import torch

    torch.set_num_threads(1)  # tiny networks: one thread per run, runs in parallel
    from aisam_agents.train import TrainConfig, train

    config = TrainConfig(
        env_kwargs=TASKS[task],
        algo_kwargs=PPO_KWARGS,
        bonus=bonus,
        bonus_coef=coef,
        bonus_kwargs=json.loads(kwargs),
        total_steps=steps,
        n_envs=n_envs,
        seed=seed,
        eval_freq=0,
        out=f"runs/bonus_study/{task}-{bonus}-{coef}-{seed}",
        device="cpu",
        progress_bar=False,
    )
    result = train(config)
    row = {k: v for k, v in asdict(result).items() if k != "model_path"}
    return {"task": task, "bonus": bonus, "coef": coef, "kwargs": kwargs, "seed": seed, **row}


def _order(key: tuple[str, str, float, str]) -> tuple[int, int, float, str]:
    return list(TASKS).index(key[0]), BONUSES.index(key[1]), key[2], key[3]


def table(rows: list[dict[str, Any]], steps: int, seeds: int) -> str:
    """Markdown table: mean +- std over seeds per task and bonus."""
    lines = [
        f"PPO, {steps:,} env steps per run, {seeds} seeds (mean ± std; solved = "
        "training episodes with positive extrinsic return).",
        "",
        "| task | bonus | coef | states discovered | episodes solved | seeds that solved "
        "| steps to first solve |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    keys = sorted({(r["task"], r["bonus"], r["coef"], r["kwargs"]) for r in rows}, key=_order)
    for task, bonus, coef, kwargs in keys:
        group = [
            r
            for r in rows
            if (r["task"], r["bonus"], r["coef"], r["kwargs"]) == (task, bonus, coef, kwargs)
        ]
        label = bonus if kwargs == "{}" else f"{bonus} {kwargs}"
        states = np.array([r["states_discovered"] for r in group], dtype=float)
        solved = np.array([r["episodes_solved"] for r in group], dtype=float)
        first = [r["first_solve_step"] for r in group if r["first_solve_step"] >= 0]
        first_text = f"{np.median(first):,.0f} (median of {len(first)})" if first else "never"
        lines.append(
            f"| {task} ({TASKS[task]['n_states']} states) | {label} | {coef:g} | "
            f"{states.mean():.1f} ± {states.std():.1f} | {solved.mean():.1f} ± "
            f"{solved.std():.1f} | {len(first)}/{len(group)} | {first_text} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40_000, help="env steps per run")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--tasks", nargs="*", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--bonuses", nargs="*", default=list(BONUSES), choices=BONUSES)
    parser.add_argument(
        "--bonus-kwargs", nargs="*", default=None, metavar="JSON",
        help="bonus settings to sweep, e.g. '{\"model\": \"forward\"}' (default: VARIANTS)",
    )  # fmt: skip
    parser.add_argument(
        "--coefs", nargs="*", type=float, default=None,
        help="intrinsic coefficients to sweep (default: each bonus's in COEFS)",
    )  # fmt: skip
    parser.add_argument("--n-envs", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="parallel runs")
    parser.add_argument("--out", default="bonus_study.md")
    args = parser.parse_args()
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    jobs = [
        (task, bonus, coef, seed, args.steps, args.n_envs, kwargs)
        for task in args.tasks
        for bonus in args.bonuses
        for coef in ([0.0] if bonus == "none" else args.coefs or [COEFS[bonus]])
        for kwargs in (
            ["{}"] if bonus == "none" else args.bonus_kwargs or VARIANTS.get(bonus, ["{}"])
        )
        for seed in seeds
    ]
    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(run_one, *zip(*jobs, strict=True)))
    text = table(rows, args.steps, args.seeds)
    text += f"\n{len(jobs)} runs in {time.perf_counter() - start:.0f} s ({args.workers} workers).\n"
    Path(args.out).write_text(text)
    Path(args.out).with_suffix(".json").write_text(json.dumps(rows, indent=1))
    print(text)


if __name__ == "__main__":
    main()
