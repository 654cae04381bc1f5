"""PonderDreamer on the Atari-100k protocol, in resumable slices (issue 21's GPU item).

The protocol of the transformer-world-model agents it is compared with (IRIS, STORM,
DreamerV3 on Atari 100k): ``ALE/Pong-v5`` by default, sticky actions 0.25, the full action
set (18), up to 30 no-op starts, frame skip 4 with the last two frames max-pooled
(gymnasium's ``AtariPreprocessing``; the id's own frame skip is replaced by it), 64x64 RGB
frames, which the world model's VQ tokenizer codes; no end of episode at a lost life; 100k
agent steps (400k frames). The agent is ``PonderDreamer`` with its defaults but for the
world model (``--world-model``, default ``small``, the GPU preset) and the train ratio
(``--train-ratio``, default 64 replayed steps per env step, one training step per 4 env
steps with ``small``'s 16 x 16 windows: DreamerV3 uses 1024 on Atari 100k, which a 10-minute
command cannot afford at this model's speed).

Each call trains until ``--minutes`` are spent or ``--steps`` are reached, then saves the
agent (model, actor, critic, normalisers, counters), its replay (beside it: large, kept on
the machine, so that calls on one machine continue with the whole replay; a run resumed
without it refills it from the env) under new names, then ``progress.json``, which names
them. The CSV gets a row
every ``--log-every`` env steps (mean score of the last 10 training episodes, env steps/s)
and, once ``--steps`` are reached, one ``eval`` row: the mean score of ``--eval-episodes``
episodes of the trained policy, sampling its actions as in training. ``--resume`` continues
the run in ``--out``; without it an existing run is an error and nothing is overwritten.

    python examples/atari100k.py --device cuda --minutes 9 --out runs/atari100k --resume
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from aisam_agents.studies.rows import append_rows

FIELDS = ["env_id", "seed", "kind", "env_steps", "episodes", "score_mean", "score_last",
          "steps_per_s", "seconds"]  # fmt: skip
CSV_NAME = "atari100k.csv"
#: seconds kept at the end of a call for saving the agent and its replay
SAVE_MARGIN = 30.0


def make_env(env_id: str) -> Any:
    """``env_id`` on the Atari-100k protocol (see the module docstring)."""
    import ale_py
    import gymnasium as gym

    gym.register_envs(ale_py)
    env = gym.make(env_id, frameskip=1, full_action_space=True, repeat_action_probability=0.25)
    return gym.wrappers.AtariPreprocessing(
        env, noop_max=30, frame_skip=4, screen_size=64, grayscale_obs=False
    )


def new_agent(args: argparse.Namespace, env: Any) -> Any:
    from aisam_agents.ponder_dreamer import PonderDreamer

    return PonderDreamer(
        "auto", env, world_model=args.world_model, train_ratio=args.train_ratio,
        seed=args.seed, device=args.device, cuda_graphs=args.cuda_graphs,
    )  # fmt: skip


def stop_at(deadline: float) -> Any:
    """A callback that collects episode scores and stops ``learn`` at ``deadline``."""
    from stable_baselines3.common.callbacks import BaseCallback

    class Recorder(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.scores: list[float] = []

        def _on_step(self) -> bool:
            self.scores += [
                float(i["episode"]["r"]) for i in self.locals["infos"] if "episode" in i
            ]
            return time.monotonic() < deadline

    return Recorder()


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Trains (and at the end evaluates) one run for this call's budget; its progress."""
    from aisam_agents.errors import CheckpointError
    from aisam_agents.ponder_dreamer import PonderDreamer

    start = time.monotonic()
    deadline = start + 60 * args.minutes - SAVE_MARGIN
    folder = args.out / f"{args.env_id.replace('/', '_')}-seed{args.seed}"
    progress_file = folder / "progress.json"
    env = make_env(args.env_id)
    if progress_file.exists():
        if not args.resume:
            raise CheckpointError(f"{folder} holds a run: pass --resume, or another --out")
        progress = json.loads(progress_file.read_text())
        if (progress["env_id"], progress["seed"]) != (args.env_id, args.seed):
            raise CheckpointError(
                f"{folder} holds a run of {progress['env_id']}, seed {progress['seed']}"
            )
        agent = PonderDreamer.load(
            folder / progress["model"], env=env, device=args.device, cuda_graphs=args.cuda_graphs
        )
        if progress["replay"] and (folder / progress["replay"]).exists():
            agent.load_replay_buffer(folder / progress["replay"])
    else:
        folder.mkdir(parents=True, exist_ok=True)
        progress = {"env_id": args.env_id, "seed": args.seed, "steps": 0, "scores": [],
                    "seconds": 0.0, "evaluated_at": -1, "model": "", "replay": ""}  # fmt: skip
        agent = new_agent(args, env)
    old_files = [progress["model"], progress["replay"]]
    rows = []
    while progress["steps"] < args.steps and time.monotonic() < deadline:
        recorder, t0 = stop_at(deadline), time.monotonic()
        chunk = min(args.log_every, args.steps - progress["steps"])
        agent.learn(chunk, callback=recorder, reset_num_timesteps=progress["steps"] == 0)
        seconds = time.monotonic() - t0
        steps = agent.num_timesteps - progress["steps"]
        progress["steps"], progress["seconds"] = agent.num_timesteps, progress["seconds"] + seconds
        progress["scores"] += recorder.scores
        rows.append(row(args, "train", progress, progress["scores"][-10:], steps / seconds))
        print(json.dumps(rows[-1]), flush=True)
    if progress["steps"] >= args.steps and progress["evaluated_at"] != progress["steps"]:
        from stable_baselines3.common.evaluation import evaluate_policy
        from stable_baselines3.common.monitor import Monitor

        scores, _ = evaluate_policy(
            agent, Monitor(make_env(args.env_id)), args.eval_episodes, deterministic=False,
            return_episode_rewards=True,
        )  # fmt: skip
        progress["evaluated_at"] = progress["steps"]
        rows.append(row(args, "eval", progress, scores, float("nan")))
        print(json.dumps(rows[-1]), flush=True)
    # new files under new names, then the CSV rows, then the progress that names the files:
    # a call that dies before the progress is written leaves the last call's run intact
    # (its CSV may then hold rows that the next call writes again)
    progress["model"] = f"agent-{progress['steps']}.pt"
    agent.save(folder / progress["model"])
    progress["replay"] = f"replay-{progress['steps']}.pt" if args.save_replay else ""
    if args.save_replay:
        agent.save_replay_buffer(folder / progress["replay"])
    append_rows(args.out / CSV_NAME, rows, FIELDS)
    progress_file.write_text(json.dumps(progress))
    for name in old_files:
        if name and name not in (progress["model"], progress["replay"]):
            (folder / name).unlink(missing_ok=True)
    return progress


def row(
    args: argparse.Namespace, kind: str, progress: dict[str, Any], scores: list[float],
    steps_per_s: float,
) -> dict[str, Any]:  # fmt: skip
    return {
        "env_id": args.env_id, "seed": args.seed, "kind": kind, "env_steps": progress["steps"],
        "episodes": len(progress["scores"]),
        "score_mean": float(np.mean(scores)) if len(scores) else float("nan"),
        "score_last": float(scores[-1]) if len(scores) else float("nan"),
        "steps_per_s": round(steps_per_s, 1), "seconds": round(progress["seconds"], 1),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env-id", default="ALE/Pong-v5")
    parser.add_argument("--steps", type=int, default=100_000, help="agent steps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--world-model", default="small", help="a WorldModel preset")
    parser.add_argument("--train-ratio", type=float, default=64.0)
    parser.add_argument("--log-every", type=int, default=5_000, help="env steps per CSV row")
    parser.add_argument("--eval-episodes", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=9.0, help="budget of this call")
    parser.add_argument("--no-save-replay", dest="save_replay", action="store_false")
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--cuda-graphs",
        action="store_true",
        help="act from a CUDA graph (PonderDreamer's cuda_graphs)",
    )
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("runs/atari100k"))
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
