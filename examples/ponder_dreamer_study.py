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

Part ``screen``: plain PPO alone on candidate ``clusters`` tables (:data:`SCREEN`), the way
the ``clusters`` table was chosen before any PonderDreamer run on it.

Part ``halting``: where the PonderNet actor's halting gradient comes from, with the default
``ponder_beta`` and with 0 (:func:`run_halting`).

Rows are appended to CSV files under ``--out`` as runs finish, and runs already there are
skipped, so the study can be stopped and resumed. ``--report`` writes the markdown tables
and the plot from the CSVs.

    python examples/ponder_dreamer_study.py --part screen --seeds 3
    python examples/ponder_dreamer_study.py --part efficiency --seeds 5
    python examples/ponder_dreamer_study.py --part parity --seeds 5
    python examples/ponder_dreamer_study.py --part halting --seeds 2
    python examples/ponder_dreamer_study.py --report
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path
from typing import Any

import numpy as np

from aisam_agents.studies.rows import append_rows

TASKS: dict[str, dict[str, Any]] = {
    "lock": {"n_states": 20, "n_actions": 2, "kind": "lock", "max_episode_steps": 100},
    # 6 rooms of 8 states on a ring; the reward state 33 is the farthest state from the
    # start (10 steps, in the fifth room, three doors away). Chosen by screening PPO alone
    # (``--part screen``) before any PonderDreamer run on it: plain PPO needs 4,096-9,216
    # steps, so the comparison can show a difference.
    "clusters": {
        "n_states": 48,
        "n_actions": 3,
        "kind": "clusters",
        "n_clusters": 6,
        "goal_states": [33],
        "max_episode_steps": 100,
    },
    # the first study's table: PPO solves it by its first check (512 steps), so it cannot
    # show a 10x gap; kept for the rows measured on it
    "clusters24": {
        "n_states": 24,
        "n_actions": 3,
        "kind": "clusters",
        "n_clusters": 3,
        "goal_states": [12],  # in the second room; the start (state 0) is in the first
        "max_episode_steps": 100,
    },
}
#: PonderDreamer's train ratio (replayed steps per env step) in the study: 256, within
#: DreamerV3's 64-1024; the agent's default of 16 is for quick CPU use
TRAIN_RATIO = 256
#: the first measurement's ratio (``--part halting`` uses it too)
R16_TRAIN_RATIO = 16
#: env steps per agent and task (a run stops early once its greedy policy solves the task);
#: ``ponder_dreamer[_mlp]_r<ratio>`` are measurements at other train ratios, run only when
#: named: 16 the first measurement, 1024 DreamerV3's ratio on Atari 100k
BUDGETS = {
    "ponder_dreamer": 4_000,
    "ponder_dreamer_mlp": 4_000,
    "ppo": 100_000,
    "ppo_satiation": 30_000,
    "ponder_dreamer_r16": 8_000,
    "ponder_dreamer_mlp_r16": 8_000,
    "ponder_dreamer_r1024": 4_000,
    "ponder_dreamer_mlp_r1024": 4_000,
}
DEFAULT_AGENTS = ["ponder_dreamer", "ponder_dreamer_mlp", "ppo", "ppo_satiation"]
DREAMER_KWARGS: dict[str, Any] = {"learning_starts": 100, "intrinsic_coef": 1.0}
PPO_KWARGS = {"n_steps": 128, "batch_size": 256, "ent_coef": 0.01}
SATIATION_COEF = 0.1
EASY_DISTANCE = 5
PARITY = {"n_bits": 6}
PARITY_STEPS = 4_000
PARITY_BUDGET = [PARITY_STEPS]  # --parity-steps sets it
EFFICIENCY_FIELDS = [
    "task", "agent", "seed", "budget", "solved", "steps_to_solve", "states_discovered",
    "ponder_easy", "ponder_hard", "seconds", "goal_visits", "model_goal_reward",
    "first_goal_visit",
]  # fmt: skip
CURVE_FIELDS = ["task", "agent", "seed", "env_steps", "greedy_return"]
PARITY_FIELDS = [
    "agent", "seed", "env_steps", "n_active", "accuracy", "ponder_steps", "model_accuracy",
    "seconds",
]  # fmt: skip
#: candidate rooms tables for ``clusters``, screened with plain PPO alone (``--part screen``):
#: the reward state is the farthest state from the start in each
SCREEN = {
    "clusters36": {"n_states": 36, "n_clusters": 4, "goal_states": [19]},
    "clusters48": {"n_states": 48, "n_clusters": 6, "goal_states": [33]},
    "clusters60": {"n_states": 60, "n_clusters": 6, "goal_states": [20]},
}
SCREEN_BUDGET = 30_000
SCREEN_FIELDS = ["table", "seed", "distance", "solved", "steps_to_solve", "seconds"]
#: ``--part halting``: PonderDreamer trained this many steps on the lock, then its actor's
#: loss taken apart on ``HALTING_BATCHES`` training batches, with the default β and β = 0
HALTING_STEPS = 3_000
DEFAULT_BETA = 0.01  # PonderDreamer's ponder_beta default
HALTING_BATCHES = 5
HALTING_FIELDS = [
    "task", "seed", "ponder_beta", "env_steps", "adv_abs_mean", "return_scale", "logp_spread",
    "grad_task", "grad_kl", "grad_task_std_adv", "kl", "expected_steps", "ponder_easy",
    "ponder_hard",
]  # fmt: skip


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

        base, _, suffix = agent.rpartition("_r")
        if not suffix.isdigit():
            base, suffix = agent, str(TRAIN_RATIO)
        actor = "mlp" if base.endswith("mlp") else "ponder"
        ratio = int(suffix)
        kwargs = {**DREAMER_KWARGS, "train_ratio": ratio}
        if task == "parity":
            kwargs["intrinsic_coef"] = 0.0
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
    task: str, agent_name: str, seed: int, eval_every: int, budget: int | None = None
) -> tuple[dict, list[dict]]:
    """One run: train until solved or out of budget (``BUDGETS[agent_name]`` unless
    given); its row and its curve."""
    import torch

    torch.set_num_threads(1)
    start = time.perf_counter()
    model = make_agent(task, agent_name, seed)
    budget = BUDGETS[agent_name] if budget is None else budget
    curve, solved_at, states = [], -1, set()
    from stable_baselines3.common.callbacks import BaseCallback

    table = make_env(task).unwrapped.table
    goal, visits, first_visit = int(np.flatnonzero(table.rewards > 0)[0]), [0], [-1]

    class States(BaseCallback):
        def _on_step(self) -> bool:
            seen = [int(i["state"]) for i in self.locals["infos"] if "state" in i]
            states.update(seen)
            visits[0] += seen.count(goal)
            if visits[0] and first_visit[0] < 0:
                first_visit[0] = self.num_timesteps
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
    easy = hard = model_reward = float("nan")
    if agent_name.startswith("ponder_dreamer"):
        easy, hard = ponder_by_difficulty(model, table)
        model_reward = goal_reward_predicted(model, table)
    row = dict(
        task=task, agent=agent_name, seed=seed, budget=budget, solved=int(solved_at > 0),
        steps_to_solve=solved_at, states_discovered=len(states), ponder_easy=easy,
        ponder_hard=hard, seconds=round(time.perf_counter() - start, 1),
        goal_visits=visits[0], first_goal_visit=first_visit[0], model_goal_reward=model_reward,
    )  # fmt: skip
    return row, curve


def goal_reward_predicted(agent: Any, table: Any) -> float:
    """The world model's predicted reward for the last step of a shortest path into the
    reward state, the path before it as history (1: it has learned where the reward is)."""
    import torch

    goal = int(np.flatnonzero(table.rewards > 0)[0])
    states, actions = optimal_histories(table, agent.context)[goal]
    with torch.no_grad():
        imag = agent.world_model.imagine(
            np.array([states[:-1]], np.int64),
            np.array([[actions[-1]]], np.int64),
            1,
            past_actions=np.array([actions[:-1]], np.int64),
        )
    return float(imag.rewards[0, 0])


def run_parity(agent_name: str, seed: int, n_eval: int = 3000) -> list[dict]:
    """One parity run: accuracy and expected ponder steps per number of active entries."""
    import torch

    from aisam_envs.parity import sample_parity

    torch.set_num_threads(1)
    start = time.perf_counter()
    model = make_agent("parity", agent_name, seed).learn(PARITY_BUDGET[0])
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
            # the world model's own answer: the action it predicts the higher reward for
            # (the actor learns only from these imagined rewards)
            predicted = [
                model.world_model.imagine(x, np.full((n_eval, 1), a), 1).rewards[:, 0].numpy()
                for a in (0, 1)
            ]
            model_answer = (predicted[1] > predicted[0]).astype(np.int64)
    seconds = round(time.perf_counter() - start, 1)
    return [
        dict(
            agent=agent_name,
            seed=seed,
            env_steps=model.num_timesteps,
            n_active=k,
            accuracy=float((actions[n_active == k] == parity[n_active == k]).mean()),
            ponder_steps=float(steps[n_active == k].mean()),
            model_accuracy=(
                float((model_answer == parity)[n_active == k].mean())
                if agent_name != "ponder_ppo"
                else ""
            ),
            seconds=seconds,
        )  # fmt: skip
        for k in range(1, PARITY["n_bits"] + 1)
    ]


def run_screen(seed: int, eval_every: int) -> list[dict]:
    """Plain PPO on each candidate table of :data:`SCREEN` (one seed)."""
    rows = []
    for name, params in SCREEN.items():
        TASKS[name] = {"n_actions": 3, "kind": "clusters", "max_episode_steps": 100, **params}
        goal = params["goal_states"][0]
        distance = int(_distances_to(make_env(name).unwrapped.table, goal)[0])
        row, _ = run_efficiency(name, "ppo", seed, eval_every, budget=SCREEN_BUDGET)
        rows.append(
            dict(
                table=name,
                seed=seed,
                distance=distance,
                solved=row["solved"],
                steps_to_solve=row["steps_to_solve"],
                seconds=row["seconds"],
            )
        )
    return rows


def run_halting(task: str, seed: int, beta: float) -> dict:
    """Where the actor's halting gradient comes from, after :data:`HALTING_STEPS` env steps.

    On fresh training batches: the mean ``|A|`` of the normalised advantages, the return
    scale, the halting-weighted spread (std over ponder steps) of ``log π_n(a)``, the norm of
    the halting head's gradient from the policy term, from ``β KL``, and from the policy term
    with advantages standardised per batch (as PPO does), the KL, the expected steps, and
    the ponder steps on easy and hard states (:func:`ponder_by_difficulty`).
    """
    import torch

    from aisam_agents.ponder_dreamer import PonderDreamer
    from aisam_agents.ponder_dreamer.networks import actor_loss
    from aisam_agents.ponder_dreamer.returns import lambda_returns

    torch.set_num_threads(1)
    kwargs = {**DREAMER_KWARGS, "train_ratio": R16_TRAIN_RATIO, "ponder_beta": beta}
    model = PonderDreamer("auto", make_env(task), seed=seed, device="cpu", **kwargs)
    model.learn(HALTING_STEPS)
    halt, mods, h = model.policy.actor.core.halt, model.policy, model.horizon

    def grad_norm(loss: torch.Tensor) -> float:
        model.actor_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        return float(torch.cat([halt.weight.grad.flatten(), halt.bias.grad]).norm())

    stats = []
    for _ in range(HALTING_BATCHES):
        batch = model.replay.sample(model.batch_size, model.window + 1)
        with torch.no_grad():
            imag = model._imagine(batch.obs, batch.actions, batch.is_first)
            x = model.state_inputs(imag.obs_tokens, imag.state_features)
            rewards = imag.rewards.float() + model.intrinsic_coef * imag.entropies.float()
            cont = 1.0 - imag.terminal_probs.float()
            values = mods.two_hot.decode(mods.critic(x))
            returns = lambda_returns(rewards, cont, values, model.gamma, model.lam)
            alive = torch.cumprod(torch.cat([torch.ones_like(cont[:, :1]), cont[:, :-1]], 1), 1)
            adv = ((returns - values[:, :h]) / mods.normalizer.scale).flatten()
        flat, actions = x[:, :h].flatten(0, 1), imag.actions.flatten()
        args = (alive.flatten(), model.ent_coef, model.lambda_p, model.ponder_beta)
        steps = mods.actor(flat)
        loss = actor_loss(steps, actions, adv, *args)
        standardised = (adv - adv.mean()) / (adv.std() + 1e-8)
        logp = steps.logits.log_softmax(-1).gather(
            -1, actions.expand(steps.logits.shape[0], -1)[..., None]
        )[..., 0]
        p = steps.trace.p.detach()
        mean = (p * logp).sum(0)
        spread = (p * (logp - mean) ** 2).sum(0).sqrt().mean()
        stats.append(
            [
                float(adv.abs().mean()),
                float(mods.normalizer.scale),
                float(spread.detach()),
                grad_norm(loss.policy),
                grad_norm(actor_loss(mods.actor(flat), actions, adv, *args).kl * beta),
                grad_norm(actor_loss(mods.actor(flat), actions, standardised, *args).policy),
                float(loss.kl),
                float(loss.expected_steps),
            ]
        )
    mean_stats = np.mean(stats, 0)
    easy, hard = ponder_by_difficulty(model, make_env(task).unwrapped.table)
    names = HALTING_FIELDS[4:12]
    return dict(
        task=task, seed=seed, ponder_beta=beta, env_steps=model.num_timesteps,
        **{k: float(f"{v:.4g}") for k, v in zip(names, mean_stats, strict=True)},
        ponder_easy=round(easy, 3), ponder_hard=round(hard, 3),
    )  # fmt: skip


def _read(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open() as f:
        return list(csv.DictReader(f))


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
        model = [r for r in prow if r["model_accuracy"]]
        if model:
            seeds = sorted({r["seed"] for r in model})
            lines.append("")
            for a in sorted({r["agent"] for r in model}):
                acc = [
                    np.mean([float(r["model_accuracy"]) for r in model if r["agent"] == a and
                             int(r["n_active"]) == k])
                    for k in sorted({int(r["n_active"]) for r in model})
                ]  # fmt: skip
                text = ", ".join(f"{v:.3f}" for v in acc)
                lines.append(f"world model's own answer under {a} (seeds {seeds}): {text}")
    for name, fields in (("screen", SCREEN_FIELDS), ("halting", HALTING_FIELDS)):
        table = _read(out / f"{name}.csv")
        if table:
            lines += ["", "| " + " | ".join(fields) + " |", "|---" * len(fields) + "|"]
            lines += ["| " + " | ".join(r[f] for f in fields) + " |" for r in table]
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
        for k, agent in enumerate(BUDGETS):  # one colour per agent across the panels
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
            ax.plot(grid, np.mean(curves, 0), marker=".", label=agent, color=f"C{k}")
        ax.set_xscale("log")
        ax.set_title(task)
        ax.set_xlabel("env steps")
        ax.set_ylabel("greedy return")
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "curves.png", dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--part", choices=("efficiency", "parity", "screen", "halting"), default="efficiency"
    )
    parser.add_argument(
        "--tasks", nargs="*", default=["lock", "clusters"], help=f"of {list(TASKS)}"
    )
    parser.add_argument("--agents", nargs="*", default=None)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--out", type=Path, default=Path("results/ponder_dreamer"))
    parser.add_argument("--report", action="store_true", help="only write the tables and plot")
    parser.add_argument(
        "--intrinsic-coef",
        type=float,
        default=None,
        help="PonderDreamer's intrinsic_coef on the tables (default: DREAMER_KWARGS's, 1.0)",
    )
    parser.add_argument(
        "--parity-steps", type=int, default=PARITY_STEPS, help="env steps of each parity run"
    )
    args = parser.parse_args()
    PARITY_BUDGET[0] = args.parity_steps
    if args.intrinsic_coef is not None:
        DREAMER_KWARGS["intrinsic_coef"] = args.intrinsic_coef
    args.out.mkdir(parents=True, exist_ok=True)
    if args.report:
        print(report(args.out))
        return
    if args.part == "efficiency":
        done = {(r["task"], r["agent"], r["seed"]) for r in _read(args.out / "efficiency.csv")}
        for seed in range(args.seeds):
            for task in args.tasks:
                for agent in args.agents or DEFAULT_AGENTS:
                    if (task, agent, str(seed)) in done:
                        continue
                    row, curve = run_efficiency(task, agent, seed, args.eval_every)
                    append_rows(args.out / "curves.csv", curve, CURVE_FIELDS)
                    append_rows(args.out / "efficiency.csv", [row], EFFICIENCY_FIELDS)
                    print(row, flush=True)
    elif args.part == "screen":
        done_seeds = {r["seed"] for r in _read(args.out / "screen.csv")}
        for seed in range(args.seeds):
            if str(seed) not in done_seeds:
                rows = run_screen(seed, args.eval_every)
                append_rows(args.out / "screen.csv", rows, SCREEN_FIELDS)
                print(rows, flush=True)
    elif args.part == "halting":
        done = {(r["seed"], r["ponder_beta"]) for r in _read(args.out / "halting.csv")}
        for seed in range(args.seeds):
            for beta in (DEFAULT_BETA, 0.0):
                if (str(seed), str(beta)) not in done:
                    row = run_halting("lock", seed, beta)
                    append_rows(args.out / "halting.csv", [row], HALTING_FIELDS)
                    print(row, flush=True)
    else:
        done = {(r["agent"], r["seed"]) for r in _read(args.out / "parity.csv")}
        for seed in range(args.seeds):
            for agent in args.agents or ["ponder_dreamer", "ponder_dreamer_mlp", "ponder_ppo"]:
                if (agent, str(seed)) not in done:
                    rows = run_parity(agent, seed)
                    append_rows(args.out / "parity.csv", rows, PARITY_FIELDS)
                    print(rows, flush=True)


if __name__ == "__main__":
    main()
