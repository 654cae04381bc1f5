"""LearnMax against a random policy and PPO with intrinsic rewards on tables with ground truth.

Every agent's transitions train the same world-model config at the same train ratio (for
LearnMax its own model; for the others an :class:`OnlineLearner` fed by a callback), and
every ``--eval-every`` env steps the model is scored against the table's ground truth over
ALL (state, action) pairs: the accuracy of its most likely next state, and for stochastic
tables the mean KL(true || predicted) in nats. Also logged: states discovered, and the
share of steps spent in the noisy-TV states (``noisy_tv`` table).

Rows are appended to ``--csv`` as they are measured; a (table, agent, seed) run that
already reached its budget is skipped, so the script can be stopped and rerun.

    python examples/learnmax_study.py --tables lock clusters --agents learnmax random \
        --seeds 0 --steps 20000 --eval-every 1000
    python examples/learnmax_study.py --plot   # the figure and the results table from the CSV
"""

from __future__ import annotations

import argparse
import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_agents.intrinsic_ppo import IntrinsicPPO
from aisam_agents.learnmax import LearnMax
from aisam_agents.learnmax.learner import OnlineLearner
from aisam_agents.studies.rows import append_rows
from aisam_agents.world_model import WorldModel, WorldModelConfig
from aisam_wrappers import PredictionErrorBonus, SatiationBonus

RESULTS = Path(__file__).resolve().parent.parent / "results" / "learnmax"
FIELDS = ["table", "agent", "seed", "env_steps", "accuracy", "kl", "discovered", "noisy_share",
          "wall_s"]  # fmt: skip


@dataclass(frozen=True)
class Table:
    """A study table: ``gym.make`` keyword arguments."""

    kwargs: dict[str, Any]
    max_episode_steps: int


TABLES = {
    "lock": Table(dict(n_states=200, n_actions=3, kind="lock"), 400),
    "clusters": Table(dict(n_states=1000, n_actions=4, kind="clusters", n_clusters=8), 400),
    "random": Table(dict(n_states=1000, n_actions=6, kind="random"), 400),
    "noisy_tv": Table(dict(n_states=200, n_actions=4, kind="noisy_tv", n_tv=4, n_noise=64), 200),
}
AGENTS = ("learnmax", "learnmax_infogain_full", "learnmax_disagreement", "learnmax_entropy",
          "learnmax_frontier", "learnmax_frontier_c1", "random", "ppo_rnd", "ppo_satiation",
          "intrinsic_ppo")  # fmt: skip
CRITERIA = {"learnmax": "infogain", "learnmax_infogain_full": "infogain_full",
            "learnmax_disagreement": "disagreement", "learnmax_entropy": "entropy",
            "learnmax_frontier": "infogain", "learnmax_frontier_c1": "infogain",
            "random": "infogain"}  # fmt: skip
# LearnMax settings other than the defaults, per agent (the random policy: epsilon 1, the
# same learner without a search)
SETTINGS: dict[str, dict[str, Any]] = {
    "learnmax_frontier": dict(leaf_value="frontier", discount=0.99, prior_count=0.01, epsilon=0.0),
    "learnmax_frontier_c1": dict(leaf_value="frontier", discount=0.99, epsilon=0.0),
    "random": dict(epsilon=1.0),
}
N_ENVS = 8
TRAIN_RATIO = 0.25


def make_env(table: str, n_envs: int, seed: int) -> Any:
    spec = TABLES[table]
    return make_vec_env(
        "aisam/TransitionTable-v0",
        n_envs,
        seed=seed,
        env_kwargs=dict(spec.kwargs, max_episode_steps=spec.max_episode_steps),
    )


@torch.no_grad()
def score_model(model: WorldModel, truth: Any) -> tuple[float, float]:
    """Accuracy of the most likely next state over all (s, a), and the mean KL(true ||
    predicted) in nats (0 for a perfect model of a deterministic table)."""
    s, a = truth.n_states, truth.n_actions
    states = np.repeat(np.arange(s), a)
    actions = np.tile(np.arange(a), s)
    logp = []
    for lo in range(0, s * a, 4096):
        dist = model.predict_next(states[lo : lo + 4096], actions[lo : lo + 4096])
        logp.append(dist.logits[:, 0].log_softmax(-1).cpu().numpy())
    logq = np.concatenate(logp).reshape(s, a, s)
    true = np.zeros((s, a, s))
    idx = np.indices(truth.next_states.shape)
    np.add.at(true, (idx[0], idx[1], truth.next_states), truth.probs)
    accuracy = float((logq.argmax(-1) == true.argmax(-1)).mean())
    kl = np.where(true > 0, true * (np.log(np.where(true > 0, true, 1)) - logq), 0).sum(-1)
    return accuracy, float(kl.mean())


class Probe(BaseCallback):
    """Feeds ``learner`` (if any), tracks visited states, and appends an evaluation row
    every ``every`` env steps."""

    def __init__(
        self,
        key: dict[str, Any],
        model: WorldModel,
        learner: OnlineLearner | None,
        truth: Any,
        every: int,
        writer: Any,
        n_tv: int,
    ) -> None:
        super().__init__()
        self.key, self.wm, self.learner, self.truth = key, model, learner, truth
        self.every, self.writer, self.n_tv = every, writer, n_tv
        self.seen = np.zeros(truth.n_states, dtype=bool)
        self.seen[truth.start_states] = True
        self.steps = self.noisy = 0
        self.next_eval, self.start = every, time.time()

    def _on_step(self) -> bool:
        loc = self.locals
        states = np.array([info["state"] for info in loc["infos"]])
        self.seen[states] = True
        self.noisy += int(((states >= 1) & (states <= self.n_tv)).sum()) if self.n_tv else 0
        self.steps += len(states)
        if self.learner is not None:  # PPO's locals: obs acted in is model._last_obs
            dones = loc["dones"]
            truncated = np.array([i.get("TimeLimit.truncated", False) for i in loc["infos"]])
            acts = np.asarray(loc["actions"]).reshape(-1)
            self.learner.observe(self.model._last_obs, acts, loc["rewards"], dones,
                                 dones & ~truncated)  # fmt: skip
        if self.steps >= self.next_eval:
            self.next_eval += self.every
            self.evaluate()
        return True

    def evaluate(self) -> None:
        acc, kl = score_model(self.wm, self.truth)
        row = dict(self.key, env_steps=self.steps, accuracy=round(acc, 4), kl=round(kl, 4),
                   discovered=int(self.seen.sum()),
                   noisy_share=round(self.noisy / max(self.steps, 1), 4),
                   wall_s=round(time.time() - self.start, 1))  # fmt: skip
        self.writer(row)


def run(
    table: str, agent: str, seed: int, steps: int, every: int, writer: Any, buffer: int = 100_000
) -> None:
    """One (table, agent, seed) run, writing its rows; ``buffer``: the world model's replay
    in steps, for every agent alike (LearnMax's own, the other agents' probe learner)."""
    venv = make_env(table, N_ENVS, seed)
    truth = venv.envs[0].unwrapped.table
    n_tv = TABLES[table].kwargs.get("n_tv", 0)
    key = dict(table=table, agent=agent, seed=seed)
    wm_config = WorldModelConfig.preset("tiny", device="cpu", seed=seed)
    if agent in CRITERIA:
        model = LearnMax("auto", venv, wm_config, criterion=CRITERIA[agent], seed=seed,
                         device="cpu", train_ratio=TRAIN_RATIO, buffer_size=buffer,
                         **SETTINGS.get(agent, {}))  # fmt: skip
        probe = Probe(key, model.model, None, truth, every, writer, n_tv)
        model.learn(steps, callback=probe)
        return
    wm = WorldModel(venv.observation_space, venv.action_space, wm_config)
    learner = OnlineLearner(wm, None, venv.observation_space, venv.action_space, N_ENVS,
                            buffer, 32, TRAIN_RATIO, 64, 1e-3, seed)  # fmt: skip
    probe = Probe(key, wm, learner, truth, every, writer, n_tv)
    if agent == "intrinsic_ppo":  # RND as a second stream, the recipe's two value heads
        wrapped = PredictionErrorBonus(venv, model="rnd", split=True)
        ppo = IntrinsicPPO("MlpPolicy", wrapped, n_steps=128, batch_size=256, seed=seed,
                           device="cpu")  # fmt: skip
        ppo.learn(steps, callback=probe)
        return
    if agent == "ppo_rnd":
        wrapped = PredictionErrorBonus(venv, model="rnd")
    else:
        wrapped = SatiationBonus(venv)
    ppo = PPO("MlpPolicy", wrapped, n_steps=128, batch_size=256, seed=seed, device="cpu")
    ppo.learn(steps, callback=probe)


def done_runs(path: Path, steps: int) -> set[tuple[str, str, int]]:
    """Runs whose rows already reach ``steps``."""
    if not path.exists():
        return set()
    with path.open() as f:
        return {(r["table"], r["agent"], int(r["seed"])) for r in csv.DictReader(f)
                if int(r["env_steps"]) >= steps}  # fmt: skip


def plot(path: Path, out: Path) -> None:
    """Accuracy against env steps, one line per agent (mean over seeds), a panel per table."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with path.open() as f:
        rows = list(csv.DictReader(f))
    tables = sorted({r["table"] for r in rows})
    fig, axes = plt.subplots(1, len(tables), figsize=(4.5 * len(tables), 3.5), squeeze=False)
    for ax, table in zip(axes[0], tables, strict=True):
        for agent in AGENTS:
            sel = [r for r in rows if r["table"] == table and r["agent"] == agent]
            if not sel:
                continue
            xs = sorted({int(r["env_steps"]) for r in sel})
            ys = [np.mean([float(r["accuracy"]) for r in sel if int(r["env_steps"]) == x])
                  for x in xs]  # fmt: skip
            ax.plot(xs, ys, label=agent, color=f"C{AGENTS.index(agent)}")
        ax.set_title(table)
        ax.set_xlabel("env steps")
        ax.set_ylabel("model accuracy (all s, a)")
        ax.axhline(0.95, color="grey", lw=0.5, ls="--")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def summary(path: Path) -> str:
    """The docs' results table: per (table, agent), mean over seeds at the last common
    budget, and the env step by which every seed's accuracy had reached 0.95."""
    with path.open() as f:
        rows = list(csv.DictReader(f))
    lines = [
        "| table | agent | seeds | env steps | accuracy | KL (nats) | states found | "
        "noisy-TV share | steps to 95% |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for table in TABLES:
        for agent in AGENTS:
            sel = [r for r in rows if r["table"] == table and r["agent"] == agent]
            if not sel:
                continue
            seeds = sorted({r["seed"] for r in sel})
            last = min(max(int(r["env_steps"]) for r in sel if r["seed"] == s) for s in seeds)
            end = [r for r in sel if int(r["env_steps"]) == last]
            mean = {k: np.mean([float(r[k]) for r in end]) for k in FIELDS[4:8]}
            hits = [[int(r["env_steps"]) for r in sel if r["seed"] == s
                     and float(r["accuracy"]) >= 0.95] for s in seeds]  # fmt: skip
            reached = f"> {last}"
            if all(hits):
                reached = str(max(min(h) for h in hits))
            elif any(hits):
                reached = f"> {last} ({sum(map(bool, hits))}/{len(seeds)} seeds reached)"
            lines.append(
                f"| {table} | {agent} | {len(seeds)} | {last} | {mean['accuracy']:.3f} | "
                f"{mean['kl']:.2f} | {mean['discovered']:.0f} | {mean['noisy_share']:.3f} | "
                f"{reached} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=list(TABLES), choices=list(TABLES))
    parser.add_argument("--agents", nargs="+", default=list(AGENTS), choices=AGENTS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--eval-every", type=int, default=1000)
    parser.add_argument("--csv", type=Path, default=RESULTS / "study.csv")
    parser.add_argument("--buffer-size", type=int, default=100_000,
                        help="world-model replay in steps, every agent alike (1000000: "
                        "a run of up to 1M steps keeps every transition)")  # fmt: skip
    parser.add_argument("--plot", action="store_true", help="only draw the figure and table")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    if not args.plot:
        finished = done_runs(args.csv, args.steps)
        for table in args.tables:
            for agent in args.agents:
                for seed in args.seeds:
                    if (table, agent, seed) in finished:
                        continue
                    rows: list[dict[str, Any]] = []
                    run(table, agent, seed, args.steps, args.eval_every, rows.append,
                        args.buffer_size)  # fmt: skip
                    append_rows(args.csv, rows, FIELDS)  # a run's rows, once complete
                    last = rows[-1] if rows else {}
                    print(table, agent, seed, last, flush=True)
    plot(args.csv, args.csv.with_suffix(".png"))
    print(summary(args.csv))


if __name__ == "__main__":
    main()
