"""Adaptive computation in RL: PonderPPO vs plain PPO (same parameter count) on aisam/Parity-v0.

Each question of ``aisam/Parity-v0`` is a vector with ``k`` non-zero (+1/-1) entries; the
agent answers the parity of the +1 entries (reward 1 if right). ``k`` is the question's
difficulty. For every seed this trains PonderPPO and a PPO whose MLP is sized to the same
number of parameters, then reports per difficulty ``k``: accuracy (deterministic actions)
and, for PonderPPO, the expected number of ponder steps ``Σ n p_n``. Runs go in parallel
processes, one CPU thread each.

    python examples/ponder_rl.py --n-bits 6 --timesteps 300000 --seeds 0 1 2 --workers 2 \
        --lambda-p 0.25 --beta 0.05 --out runs/ponder_rl

Writes ``results.json`` (curves, per-difficulty numbers), ``table.md`` and
``steps_vs_difficulty.png`` under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

EVAL_PER_K = 1000


def common_kwargs(args: argparse.Namespace) -> dict:
    """PPO hyperparameters shared by both agents."""
    return dict(n_steps=args.n_steps, batch_size=args.batch_size, n_epochs=args.n_epochs,
                learning_rate=args.lr, ent_coef=args.ent_coef,
                device="cpu", verbose=0)  # fmt: skip


def n_params(model: torch.nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def matched_width(args: argparse.Namespace, target: int) -> int:
    """Hidden width ``w`` of PPO's ``[w, w]`` actor and critic MLPs closest to ``target``."""
    d = args.n_bits
    counts = {w: 2 * (d * w + w + w * w + w) + (2 * w + 2) + (w + 1) for w in range(4, 1025)}
    return min(counts, key=lambda w: abs(counts[w] - target))


def build(algo: str, seed: int, args: argparse.Namespace):
    """The model of ``algo`` (``ponder_ppo`` or ``ppo``) on a fresh vector env."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    import aisam_envs  # noqa: F401  (registers aisam/Parity-v0)
    from aisam_agents.ponder_ppo import PonderPPO

    env = make_vec_env("aisam/Parity-v0", n_envs=args.n_envs, seed=seed,
                       env_kwargs={"n_bits": args.n_bits})  # fmt: skip
    ponder_kwargs = dict(hidden_dim=args.hidden, max_steps=args.max_steps)
    if algo == "ponder_ppo":
        return PonderPPO("MlpPolicy", env, lambda_p=args.lambda_p, ponder_beta=args.beta,
                         policy_kwargs=ponder_kwargs, seed=seed, **common_kwargs(args))  # fmt: skip
    probe = PonderPPO("MlpPolicy", env, policy_kwargs=ponder_kwargs, device="cpu")
    w = matched_width(args, n_params(probe.policy))
    arch = dict(pi=[w, w], vf=[w, w])
    return PPO("MlpPolicy", env, policy_kwargs={"net_arch": arch}, seed=seed, **common_kwargs(args))


def evaluate(model, args: argparse.Namespace, seed: int) -> dict:
    """Per-difficulty accuracy (deterministic actions) and expected ponder steps."""
    from aisam_agents.ponder.policy import PonderActorCriticPolicy
    from aisam_envs.parity import sample_parity

    rng = np.random.default_rng(10_000 + seed)
    acc, steps = [], []
    for k in range(1, args.n_bits + 1):
        x, parity, _ = sample_parity(rng, EVAL_PER_K, args.n_bits, k, k)
        actions, _ = model.predict(x, deterministic=True)
        acc.append(float((actions == parity).mean()))
        if isinstance(model.policy, PonderActorCriticPolicy):
            with torch.no_grad():
                trace = model.policy.unroll(torch.as_tensor(x))
            steps.append(float(trace.expected_steps.mean()))
    return {"accuracy_by_k": acc, "accuracy": float(np.mean(acc)), "steps_by_k": steps}


def run_one(job: tuple[str, int, argparse.Namespace]) -> dict:
    """Train one agent, evaluating every ``eval_every`` steps."""
    algo, seed, args = job
    torch.set_num_threads(1)
    model = build(algo, seed, args)
    curve, start = [], time.perf_counter()
    while model.num_timesteps < args.timesteps and time.perf_counter() - start < args.minutes * 60:
        model.learn(args.eval_every, reset_num_timesteps=False)
        ev = evaluate(model, args, seed)
        curve.append({"timesteps": model.num_timesteps, "accuracy": ev["accuracy"],
                      "expected_steps": float(np.mean(ev["steps_by_k"] or [0.0]))})  # fmt: skip
    final = evaluate(model, args, seed)
    return {"algo": algo, "seed": seed, "params": n_params(model.policy), "curve": curve,
            "timesteps": model.num_timesteps, "seconds": time.perf_counter() - start,
            **final}  # fmt: skip


def summarise(results: list[dict], args: argparse.Namespace) -> str:
    """A markdown table: accuracy and ponder steps per difficulty, mean over seeds."""
    ks = list(range(1, args.n_bits + 1))
    lines = ["| agent | params | accuracy (all k) | " + " | ".join(f"k={k}" for k in ks) + " |",
             "|---" * (len(ks) + 3) + "|"]  # fmt: skip
    notes = [""]
    for algo in args.algos:
        rows = [r for r in results if r["algo"] == algo]
        acc = np.mean([r["accuracy_by_k"] for r in rows], axis=0)
        sd = np.std([r["accuracy"] for r in rows])
        cells = " | ".join(f"{a:.2f}" for a in acc)
        mean = np.mean([r["accuracy"] for r in rows])
        lines.append(f"| {algo} accuracy | {rows[0]['params']} | {mean:.3f} ± {sd:.3f} | {cells} |")
        if algo == "ponder_ppo":
            st = " | ".join(f"{s:.2f}" for s in np.mean([r["steps_by_k"] for r in rows], axis=0))
            lines.append(f"| ponder_ppo expected steps | | | {st} |")
            rho = [spearman(np.arange(len(ks)), np.asarray(r["steps_by_k"])) for r in rows]
            notes.append(
                "Spearman(k, expected steps) per seed: " + ", ".join(f"{v:.2f}" for v in rho)
            )
    return "\n".join(lines + notes)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Rank correlation of two 1-D arrays (ties broken by order)."""
    ra, rb = a.argsort().argsort(), b.argsort().argsort()
    return float(np.corrcoef(ra, rb)[0, 1])


def plot(results: list[dict], args: argparse.Namespace, path: Path) -> None:
    """Steps vs difficulty and accuracy vs difficulty, mean over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ks = np.arange(1, args.n_bits + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ponder = [r for r in results if r["algo"] == "ponder_ppo"]
    if ponder:
        ax1.plot(ks, np.mean([r["steps_by_k"] for r in ponder], axis=0), "o-")
    ax1.set(xlabel="active bits k (difficulty)", ylabel="expected ponder steps", title="PonderPPO")
    for algo in args.algos:
        rows = [r for r in results if r["algo"] == algo]
        ax2.plot(ks, np.mean([r["accuracy_by_k"] for r in rows], axis=0), "o-", label=algo)
    ax2.set(xlabel="active bits k (difficulty)", ylabel="accuracy", title="return per question")
    ax2.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-bits", type=int, default=6)
    parser.add_argument("--timesteps", type=int, default=300_000)
    parser.add_argument("--eval-every", type=int, default=32_768)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-envs", type=int, default=16)
    parser.add_argument("--n-steps", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--n-epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--ent-coef", type=float, default=0.0)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--max-steps", type=int, default=8)
    parser.add_argument("--lambda-p", type=float, default=0.25)
    parser.add_argument("--beta", type=float, default=0.05)
    parser.add_argument("--minutes", type=float, default=60.0, help="wall-clock cap per run")
    parser.add_argument("--algos", nargs="+", choices=["ponder_ppo", "ppo"],
                        default=["ponder_ppo", "ppo"])  # fmt: skip
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--out", type=Path, default=Path("runs/ponder_rl"))
    args = parser.parse_args()
    jobs = [(algo, seed, args) for seed in args.seeds for algo in args.algos]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(run_one, jobs))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(
        {"config": vars(args), "results": results}, indent=1, default=str))  # fmt: skip
    plot(results, args, args.out / "steps_vs_difficulty.png")
    table = summarise(results, args)
    (args.out / "table.md").write_text(table + "\n")
    print(table)
    for r in results:
        print(f"{r['algo']} seed {r['seed']}: {r['timesteps']} steps in {r['seconds']:.0f}s")


if __name__ == "__main__":
    main()
