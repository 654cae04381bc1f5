"""PonderDreamer study: sample efficiency on transition tables, adaptive computation on parity.

Part ``efficiency``: on ``aisam/TransitionTable-v0`` of kind ``lock`` (a combination lock,
reward at the end of the chain) and kind ``clusters`` (rooms joined by doors, a reward
state in another room), the env steps each agent needs until its greedy policy solves the
task (one deterministic episode with the goal's reward; checked every ``--eval-every``
steps; a run stops once solved), for PonderDreamer (PonderNet actor and the same-size MLP
actor), PPO and PPO with a satiation bonus. At the end of each PonderDreamer run, the
actor's expected ponder steps on every state, fed the optimal path to it as history, split
into easy states (the reward state at most ``EASY_DISTANCE`` steps away, so imagined
rollouts see the reward itself) and hard ones (farther: only the critic's bootstrapped
values reach them).

Part ``parity``: on ``aisam/Parity-v0`` (a contextual bandit: the parity of a {-1, 0, 1}
vector), PonderDreamer against PonderPPO at equal env steps: accuracy and expected ponder
steps per number of active entries.

Rows are appended to CSV files under ``--out`` as runs finish, and runs already there are
skipped, so the study can be stopped and resumed. ``--report`` writes the markdown tables
and the plot from the CSVs.

    python examples/ponder_dreamer_study.py --part efficiency --seeds 3
    python examples/ponder_dreamer_study.py --part parity --seeds 2
    python examples/ponder_dreamer_study.py --report
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path
from typing import Any

import numpy as np

TASKS: dict[str, dict[str, Any]] = {
    "lock": {"n_states": 20, "n_actions": 2, "kind": "lock", "max_episode_steps": 100},
    "clusters": {
        "n_states": 24,
        "n_actions": 3,
        "kind": "clusters",
        "n_clusters": 3,
        "goal_states": [12],  # in the second room; the start (state 0) is in the first
        "max_episode_steps": 100,
    },
}
#: env steps per agent and task (a run stops early once its greedy policy solves the task)
BUDGETS = {
    "ponder_dreamer": 8_000,
    "ponder_dreamer_mlp": 8_000,
    "ppo": 100_000,
    "ppo_satiation": 30_000,
}
DREAMER_KWARGS: dict[str, Any] = {"train_ratio": 16, "learning_starts": 100, "intrinsic_coef": 1.0}
PPO_KWARGS = {"n_steps": 128, "batch_size": 256, "ent_coef": 0.01}
SATIATION_COEF = 0.1
EASY_DISTANCE = 5
PARITY = {"n_bits": 6}
PARITY_STEPS = 4_000
EFFICIENCY_FIELDS = [
    "task", "agent", "seed", "budget", "solved", "steps_to_solve", "states_discovered",
    "ponder_easy", "ponder_hard", "seconds",
]  # fmt: skip
CURVE_FIELDS = ["task", "agent", "seed", "env_steps", "greedy_return"]
PARITY_FIELDS = ["agent", "seed", "env_steps", "n_active", "accuracy", "ponder_steps", "seconds"]


def make_env(task: str) -> Any:
    import gymnasium as gym

    import aisam_envs  # noqa: F401  (registers the ids)

    if task == "parity":
        return gym.make("aisam/Parity-v0", **PARITY)
    return gym.make("aisam/TransitionTable-v0", **TASKS[task])


def make_agent(task: str, agent: str, seed: int) -> Any:
    """The agent ``agent`` on a fresh env of ``task``."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    if agent.startswith("ponder_dreamer"):
        from aisam_agents.ponder_dreamer import PonderDreamer

        actor = "mlp" if agent.endswith("mlp") else "ponder"
        kwargs = DREAMER_KWARGS if task != "parity" else {**DREAMER_KWARGS, "intrinsic_coef": 0.0}
        return PonderDreamer("auto", make_env(task), actor=actor, seed=seed, device="cpu", **kwargs)
    if agent == "ponder_ppo":
        from aisam_agents.ponder_ppo import PonderPPO

        return PonderPPO("MlpPolicy", make_env(task), seed=seed, device="cpu", **PPO_KWARGS)
    venv = make_vec_env(lambda: make_env(task), n_envs=1, seed=seed)
    if agent == "ppo_satiation":
        from aisam_wrappers import SatiationBonus

        venv = SatiationBonus(venv, intrinsic_coef=SATIATION_COEF)
    return PPO("MlpPolicy", venv, seed=seed, device="cpu", **PPO_KWARGS)


def greedy_return(model: Any, task: str) -> float:
    """Return of one deterministic episode (the tables' start and transitions are fixed)."""
    from stable_baselines3.common.evaluation import evaluate_policy

    mean, _ = evaluate_policy(
        model, make_env(task), n_eval_episodes=1, deterministic=True, warn=False
    )
    return float(mean)


def optimal_histories(table: Any, context: int) -> dict[int, tuple[list[int], list[int]]]:
    """For each reachable state: the states and actions of a shortest path from the start
    to it, the state last (at most ``context`` frames)."""
    start = int(table.start_states[0])
    paths: dict[int, tuple[list[int], list[int]]] = {start: ([start], [])}
    frontier = [start]
    while frontier:
        nxt = []
        for s in frontier:
            if table.terminals[s]:
                continue
            for a in range(table.n_actions):
                t = int(table.next_states[s, a, 0])
                if t not in paths:
                    states, actions = paths[s]
                    paths[t] = (states + [t], actions + [a])
                    nxt.append(t)
        frontier = nxt
    return {
        s: (st[-context:], ac[len(ac) - len(st[-context:]) + 1 :]) for s, (st, ac) in paths.items()
    }


def ponder_by_difficulty(agent: Any, table: Any) -> tuple[float, float]:
    """Mean expected ponder steps on easy and hard states (see the module docstring)."""
    import torch

    from aisam_agents.ponder_dreamer.history import History, history_features

    goal = int(np.flatnonzero(table.rewards > 0)[0])
    back = _distances_to(table, goal)
    easy, hard = [], []
    for s, (states, actions) in optimal_histories(table, agent.context).items():
        if table.terminals[s] or back[s] < 0:
            continue
        k = len(states) - 1
        history = History(
            np.array([states[:k]], np.int64), np.array([actions], np.int64), np.array([k])
        )
        with torch.no_grad():
            features = history_features(agent.world_model, history)
            x = agent.state_inputs(agent.world_model.tokenize(np.array([s])), features)
            steps = float(agent.policy.actor(x).expected_steps[0])
        (easy if back[s] <= EASY_DISTANCE else hard).append(steps)
    return float(np.mean(easy)) if easy else float("nan"), float(np.mean(hard)) if hard else float(
        "nan"
    )


def _distances_to(table: Any, goal: int) -> np.ndarray:
    """Fewest steps from each state to ``goal`` (-1: never)."""
    dist = np.full(table.n_states, -1, np.int64)
    dist[goal] = 0
    changed = True
    while changed:
        changed = False
        succ = dist[table.next_states[:, :, 0]]  # (S, A)
        best = np.where(succ >= 0, succ + 1, np.iinfo(np.int64).max).min(1)
        update = (~table.terminals) & (best < np.iinfo(np.int64).max) & ((dist < 0) | (best < dist))
        if update.any():
            dist[update] = best[update]
            changed = True
    return dist


def run_efficiency(
    task: str, agent_name: str, seed: int, eval_every: int
) -> tuple[dict, list[dict]]:
    """One run: train until solved or out of budget; its row and its curve."""
    import torch

    torch.set_num_threads(1)
    start = time.perf_counter()
    model = make_agent(task, agent_name, seed)
    budget, curve, solved_at, states = BUDGETS[agent_name], [], -1, set()
    from stable_baselines3.common.callbacks import BaseCallback

    class States(BaseCallback):
        def _on_step(self) -> bool:
            states.update(int(i["state"]) for i in self.locals["infos"] if "state" in i)
            return True

    done = 0
    while done < budget:
        model.learn(eval_every, callback=States(), reset_num_timesteps=done == 0)
        done = model.num_timesteps
        ret = greedy_return(model, task)
        curve.append(
            dict(task=task, agent=agent_name, seed=seed, env_steps=done, greedy_return=ret)
        )
        if ret > 0:
            solved_at = done
            break
    easy = hard = float("nan")
    if agent_name.startswith("ponder_dreamer"):
        easy, hard = ponder_by_difficulty(model, make_env(task).unwrapped.table)
    row = dict(
        task=task, agent=agent_name, seed=seed, budget=budget, solved=int(solved_at > 0),
        steps_to_solve=solved_at, states_discovered=len(states), ponder_easy=easy,
        ponder_hard=hard, seconds=round(time.perf_counter() - start, 1),
    )  # fmt: skip
    return row, curve


def run_parity(agent_name: str, seed: int, n_eval: int = 3000) -> list[dict]:
    """One parity run: accuracy and expected ponder steps per number of active entries."""
    import torch

    from aisam_envs.parity import sample_parity

    torch.set_num_threads(1)
    start = time.perf_counter()
    model = make_agent("parity", agent_name, seed).learn(PARITY_STEPS)
    rng = np.random.default_rng(10_000 + seed)
    x, parity, n_active = sample_parity(rng, n_eval, PARITY["n_bits"], 1, PARITY["n_bits"])
    with torch.no_grad():
        if agent_name == "ponder_ppo":
            obs = torch.as_tensor(x)
            actions = model.predict(x, deterministic=True)[0]
            steps = model.policy.unroll(obs).expected_steps.numpy()
        else:
            actions = model.predict(x, deterministic=True)[0]
            features = torch.zeros(n_eval, model.world_model.config.n_embd)
            inputs = model.state_inputs(model.world_model.tokenize(x), features)
            steps = model.policy.actor(inputs).expected_steps.numpy()
    seconds = round(time.perf_counter() - start, 1)
    return [
        dict(
            agent=agent_name,
            seed=seed,
            env_steps=model.num_timesteps,
            n_active=k,
            accuracy=float((actions[n_active == k] == parity[n_active == k]).mean()),
            ponder_steps=float(steps[n_active == k].mean()),
            seconds=seconds,
        )  # fmt: skip
        for k in range(1, PARITY["n_bits"] + 1)
    ]


def _read(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open() as f:
        return list(csv.DictReader(f))


def _append(path: Path, fields: list[str], rows: list[dict]) -> None:
    new = not path.exists()
    with path.open("a", newline="") as f:
        writer = csv.DictWriter(f, fields)
        if new:
            writer.writeheader()
        writer.writerows(rows)


def report(out: Path) -> str:
    """Markdown tables of the CSVs under ``out``, and the plot ``curves.png``."""
    lines = []
    rows = _read(out / "efficiency.csv")
    if rows:
        lines += [
            "| task | agent | seeds solved | env steps to solve, per seed (>: unsolved in budget) "
            "| states discovered | ponder steps easy / hard |",
            "|---|---|---|---|---|---|",
        ]
        for task in TASKS:
            for agent in BUDGETS:
                group = [r for r in rows if r["task"] == task and r["agent"] == agent]
                if not group:
                    continue
                solved = [r for r in group if r["solved"] == "1"]
                per_seed = sorted(
                    (int(r["steps_to_solve"]), "")
                    if r["solved"] == "1"
                    else (int(r["budget"]), ">")
                    for r in group
                )
                text = ", ".join(f"{mark}{steps:,}" for steps, mark in per_seed)
                easy = [
                    float(r["ponder_easy"]) for r in group if r["ponder_easy"] not in ("", "nan")
                ]
                hard = [
                    float(r["ponder_hard"]) for r in group if r["ponder_hard"] not in ("", "nan")
                ]
                ponder = f"{np.mean(easy):.2f} / {np.mean(hard):.2f}" if easy and hard else "–"
                disc = np.mean([int(r["states_discovered"]) for r in group])
                cells = [task, agent, f"{len(solved)}/{len(group)}", text, f"{disc:.1f}", ponder]
                lines.append("| " + " | ".join(cells) + " |")
        _plot(out)
    prow = _read(out / "parity.csv")
    if prow:
        agents = sorted({r["agent"] for r in prow})
        lines += [
            "",
            "| active entries | "
            + " | ".join(f"{a} accuracy | {a} ponder steps" for a in agents)
            + " |",
        ]
        lines.append("|---" * (1 + 2 * len(agents)) + "|")
        for k in sorted({int(r["n_active"]) for r in prow}):
            cells = []
            for a in agents:
                g = [r for r in prow if r["agent"] == a and int(r["n_active"]) == k]
                cells += [
                    f"{np.mean([float(r['accuracy']) for r in g]):.3f}",
                    f"{np.mean([float(r['ponder_steps']) for r in g]):.2f}",
                ]
            lines.append(f"| {k} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _plot(out: Path) -> None:
    """Greedy return against env steps, one line per agent (mean over seeds; a run that
    solved keeps its last return), one panel per task."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = _read(out / "curves.csv")
    fig, axes = plt.subplots(1, len(TASKS), figsize=(5 * len(TASKS), 3.5))
    for ax, task in zip(np.atleast_1d(axes), TASKS, strict=True):
        for agent in BUDGETS:
            runs: dict[str, list[tuple[int, float]]] = {}
            for r in rows:
                if r["task"] == task and r["agent"] == agent:
                    runs.setdefault(r["seed"], []).append(
                        (int(r["env_steps"]), float(r["greedy_return"]))
                    )
            if not runs:
                continue
            grid = np.unique([s for run in runs.values() for s, _ in run])
            curves = []
            for run in runs.values():
                steps, rets = np.array(run).T
                idx = np.searchsorted(steps, grid, side="right") - 1
                curves.append(np.where(idx >= 0, rets[np.clip(idx, 0, None)], 0.0))
            ax.plot(grid, np.mean(curves, 0), marker=".", label=agent)
        ax.set_xscale("log")
        ax.set_title(task)
        ax.set_xlabel("env steps")
        ax.set_ylabel("greedy return")
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "curves.png", dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("efficiency", "parity"), default="efficiency")
    parser.add_argument("--tasks", nargs="*", default=list(TASKS))
    parser.add_argument("--agents", nargs="*", default=None)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--out", type=Path, default=Path("results/ponder_dreamer"))
    parser.add_argument("--report", action="store_true", help="only write the tables and plot")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.report:
        print(report(args.out))
        return
    if args.part == "efficiency":
        done = {(r["task"], r["agent"], r["seed"]) for r in _read(args.out / "efficiency.csv")}
        for seed in range(args.seeds):
            for task in args.tasks:
                for agent in args.agents or list(BUDGETS):
                    if (task, agent, str(seed)) in done:
                        continue
                    row, curve = run_efficiency(task, agent, seed, args.eval_every)
                    _append(args.out / "curves.csv", CURVE_FIELDS, curve)
                    _append(args.out / "efficiency.csv", EFFICIENCY_FIELDS, [row])
                    print(row, flush=True)
    else:
        done = {(r["agent"], r["seed"]) for r in _read(args.out / "parity.csv")}
        for seed in range(args.seeds):
            for agent in args.agents or ["ponder_dreamer", "ponder_dreamer_mlp", "ponder_ppo"]:
                if (agent, str(seed)) not in done:
                    rows = run_parity(agent, seed)
                    _append(args.out / "parity.csv", PARITY_FIELDS, rows)
                    print(rows, flush=True)


if __name__ == "__main__":
    main()
