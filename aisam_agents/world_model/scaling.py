"""``aisam scaling``: how well world models of each size learn tables of each size.

Every point of the sweep trains a fresh :class:`WorldModel` on uniformly sampled
transitions of one ``aisam_envs`` transition table and evaluates it on every
(state, action) pair: next-state accuracy (the most likely successor predicted) and
loss (cross-entropy against the true successor distribution, nats). Rows go to a CSV
against parameters, tokens seen and parameters per bit of table (a deterministic
S x A table holds S * A * log2(S) bits), and a matplotlib figure summarises them.
The learning rate is given for a width of 64 and scaled by ``64 / n_embd`` for wider
models (Adam moves every weight by about the learning rate, so wider layers need smaller
steps: at one shared rate the wider models of the sweep learn *worse* than narrow ones).
Points run one after another here, or as Ray tasks on a cluster (``--ray-address``).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from aisam_agents.errors import InvalidConfigError, require_extra
from aisam_agents.world_model.config import WorldModelConfig
from aisam_agents.world_model.data import all_pairs, fit_table
from aisam_agents.world_model.model import WorldModel
from aisam_envs.table.tables import TransitionTable, make_table

logger = logging.getLogger(__name__)

# name -> (n_layer, n_head, n_embd)
MODEL_SIZES: dict[str, tuple[int, int, int]] = {
    "xs": (1, 2, 32),
    "s": (2, 4, 64),
    "m": (4, 4, 128),
    "l": (6, 8, 256),
    "xl": (8, 8, 512),
}
REFERENCE_WIDTH = 64  # the width at which a point's learning_rate applies unscaled


@dataclass(frozen=True)
class SweepPoint:
    """One training run of the sweep."""

    n_states: int
    model: str
    n_actions: int = 6
    kind: str = "random"
    steps: int = 300
    batch_size: int = 256
    learning_rate: float = 3e-3
    evals: int = 5
    seed: int = 0
    device: str = "auto"


def evaluate(model: WorldModel, table: TransitionTable, chunk: int = 4096) -> tuple[float, float]:
    """Accuracy of the most likely successor and mean cross-entropy (nats) over all pairs."""
    states, actions = all_pairs(table)
    hits, loss = 0.0, 0.0
    for lo in range(0, states.size, chunk):
        s, a = states[lo : lo + chunk], actions[lo : lo + chunk]
        logp = model.predict_next(s, a).logits[:, 0].log_softmax(-1).cpu().numpy()
        succ, prob = table.next_states[s, a], table.probs[s, a]
        best = succ[np.arange(s.size), prob.argmax(-1)]
        hits += float((logp.argmax(-1) == best).sum())
        loss -= float((prob * np.take_along_axis(logp, succ.astype(np.int64), -1)).sum())
    return hits / states.size, loss / states.size


def run_point(point: SweepPoint) -> list[dict[str, Any]]:
    """Trains and evaluates one point; one row per evaluation."""
    if point.model not in MODEL_SIZES:
        raise InvalidConfigError(
            f"unknown model size {point.model!r}; choose from {sorted(MODEL_SIZES)}"
        )
    n_layer, n_head, n_embd = MODEL_SIZES[point.model]
    lr = point.learning_rate * min(1.0, REFERENCE_WIDTH / n_embd)
    table = make_table(point.kind, point.n_states, point.n_actions, seed=point.seed)
    config = WorldModelConfig(
        n_layer=n_layer,
        n_head=n_head,
        n_embd=n_embd,
        max_frames=1,
        learning_rate=lr,
        seed=point.seed,
        device=point.device,
    )
    model = WorldModel(spaces.Discrete(point.n_states), spaces.Discrete(point.n_actions), config)
    rng = np.random.default_rng(point.seed)
    bits = point.n_states * point.n_actions * math.log2(point.n_states)
    eval_at = set(
        np.linspace(point.steps / point.evals, point.steps, point.evals).round().astype(int)
    )
    rows, done = [], 0
    for step in sorted(eval_at):
        train_loss = fit_table(
            model,
            table,
            step - done,
            point.batch_size,
            lr,
            rng,
            first_step=done,
            total_steps=point.steps,
        )
        done = step
        accuracy, loss = evaluate(model, table)
        rows.append(
            {
                **dataclasses.asdict(point),
                "n_layer": n_layer,
                "n_embd": n_embd,
                "lr": lr,
                "params": model.num_params(),
                "params_total": model.num_params(False),
                "table_bits": bits,
                "params_per_bit": model.num_params() / bits,
                "step": step,
                "tokens_seen": step * point.batch_size * model.transformer.block_len,
                "train_loss": train_loss,
                "loss": loss,
                "accuracy": accuracy,
            }
        )
    logger.info(
        "S=%d model=%s: accuracy %.4f loss %.4f",
        point.n_states,
        point.model,
        rows[-1]["accuracy"],
        rows[-1]["loss"],
    )
    return rows


def sweep(
    points: list[SweepPoint],
    ray_address: str | None = None,
    gpus_per_run: float = 0.0,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Runs every point, locally in order or as Ray tasks when ``ray_address`` is given."""
    if ray_address is None:
        results = []
        for point in _progress(points, progress):
            results.append(run_point(point))
    else:
        ray = require_extra("ray", "ray")
        ray.init(address=ray_address, ignore_reinit_error=True, log_to_driver=False)
        task = ray.remote(num_gpus=gpus_per_run)(run_point)
        results = ray.get([task.remote(p) for p in points])
    return [row for rows in results for row in rows]


def _progress(points: list[SweepPoint], enabled: bool) -> Any:
    if not enabled:
        return points
    from tqdm import tqdm

    return tqdm(points, desc="scaling sweep", unit="run")


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    """Writes the rows (all with the same keys) to ``path``."""
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    """Final accuracy against parameters per table bit, and loss against tokens seen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(11, 4.2))
    tables = sorted({r["n_states"] for r in rows})
    for n_states in tables:
        mine = [r for r in rows if r["n_states"] == n_states]
        final = {r["model"]: r for r in mine if r["step"] == r["steps"]}
        pts = sorted(final.values(), key=lambda r: r["params"])
        ax_acc.plot(
            [r["params_per_bit"] for r in pts],
            [r["accuracy"] for r in pts],
            "o-",
            label=f"S={n_states}",
        )
        for model in sorted({r["model"] for r in mine}):
            curve = [r for r in mine if r["model"] == model]
            ax_loss.plot(
                [r["tokens_seen"] for r in curve],
                [r["loss"] for r in curve],
                alpha=0.8,
                label=f"S={n_states} {model}",
            )
    ax_acc.set(
        xscale="log",
        xlabel="non-embedding parameters / table bits",
        ylabel="next-state accuracy",
        title="capacity",
    )
    ax_loss.set(
        xscale="log",
        yscale="log",
        xlabel="tokens seen",
        ylabel="loss (nats)",
        title="learning curves",
    )
    ax_acc.legend(fontsize=7)
    ax_loss.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``aisam scaling``."""
    parser.add_argument(
        "--states", type=int, nargs="+", default=[64, 256, 1024], help="table sizes S to sweep"
    )
    parser.add_argument(
        "--models",
        nargs="+",
        default=["xs", "s", "m"],
        choices=sorted(MODEL_SIZES),
        help="model sizes to sweep",
    )
    parser.add_argument("--actions", type=int, default=6, help="actions per state")
    parser.add_argument("--kind", default="random", help="table kind (random, stochastic, ...)")
    parser.add_argument("--steps", type=int, default=300, help="training steps per run")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument(
        "--lr", type=float, default=3e-3, help="peak learning rate at width 64 (x 64 / wider)"
    )
    parser.add_argument("--evals", type=int, default=5, help="evaluations per run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=Path("scaling"), help="output folder")
    parser.add_argument(
        "--ray-address",
        default=None,
        help="run the points as Ray tasks on this cluster ('auto', 'local', host:port)",
    )
    parser.add_argument("--gpus-per-run", type=float, default=0.0, help="GPUs per Ray task")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Runs the sweep and writes ``scaling.csv`` and ``scaling.png`` into ``--out``."""
    if args.steps < 1 or args.evals < 1 or args.evals > args.steps:
        raise InvalidConfigError("--steps must be >= 1 and --evals in [1, --steps]")
    if args.batch_size < 1 or not 0.0 < args.lr < math.inf:
        raise InvalidConfigError(
            f"--batch-size must be >= 1 and --lr finite and > 0, got {args.batch_size} and "
            f"{args.lr}"
        )
    if args.out.exists() and not args.out.is_dir():  # found out now, not after the sweep
        raise InvalidConfigError(f"--out {args.out} exists and is not a folder")
    points = [
        SweepPoint(
            n_states=s,
            model=m,
            n_actions=args.actions,
            kind=args.kind,
            steps=args.steps,
            batch_size=args.batch_size,
            learning_rate=args.lr,
            evals=args.evals,
            seed=args.seed,
            device=args.device,
        )
        for s in args.states
        for m in args.models
    ]
    rows = sweep(points, args.ray_address, args.gpus_per_run, progress=not args.no_progress)
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(rows, args.out / "scaling.csv")
    plot(rows, args.out / "scaling.png")
    print(f"wrote {args.out / 'scaling.csv'} and {args.out / 'scaling.png'}")
    for r in rows:
        if r["step"] == r["steps"]:
            print(
                f"S={r['n_states']:>7} model={r['model']:>3} params={r['params']:>9} "
                f"params/bit={r['params_per_bit']:8.3f} accuracy={r['accuracy']:.4f} "
                f"loss={r['loss']:.4f}"
            )
    return 0
