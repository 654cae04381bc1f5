"""Does a second value stream help PPO explore Montezuma's Revenge? (issue 19 §3; LearnMax: 20)

Same budget, same seeds, on ``aisam/Montezuma-Reduced-v0`` with ``running_jumps=True``
(8 actions) in the rooms vector env (84x84 grey 4-stacks, sticky actions 0.25, the room
of every env in ``info``), one row per agent:

- ``ppo``: SB3's PPO, no bonus;
- ``ppo_rnd``: PPO with RND mixed into the reward (``intrinsic_coef`` = ``--mixed-coef``,
  0.5 by default: IntrinsicPPO's intrinsic-to-extrinsic weight 1 : 2, so the two RND rows
  differ only in the streams);
- ``intrinsic_rnd``: IntrinsicPPO with RND in split mode (the RND recipe: gamma 0.999 /
  0.99, advantages 2 : 1, non-episodic intrinsic return, ``--warmup-rollouts`` random
  rollouts for the observation and return statistics);
- in both RND rows, RND's model as ``aisam train``'s Atari presets set it up
  (``aisam_agents.presets.RND_ATARI``): the newest frame through the RND paper's three
  convolutions, Adam at 1e-4, a quarter of each batch trained on;
- ``intrinsic_satiation``: IntrinsicPPO with the satiation bonus;
- ``learnmax`` (issue 20; run only when named in ``--rows``): LearnMax, no bonus (it plans
  toward what its world model can still learn), its world model a ``--learnmax-preset``
  (default ``small``) that tokenizes the frames with its VQ-VAE, its search
  ``--learnmax-horizon`` deep and ``--learnmax-width`` wide, trained
  ``--learnmax-train-ratio`` updates per env step from a replay of ``--learnmax-buffer``
  steps (:func:`new_learnmax` says why these defaults).

Per row and seed it appends to ``<out>/montezuma_study.csv`` every ``--log-every`` env
steps: the mean episodic score (the true game score, unclipped) and mean rooms per
episode over the last 100 episodes, the max score, the distinct rooms over the whole run,
the training env steps/s and the same vector env's random-action steps/s measured at the
start of the same call. Runs are resumable: each (row, seed) checkpoints every
``--checkpoint-minutes`` and when the call's ``--minutes`` are spent, and ``--resume``
continues from the checkpoint (the CSV keeps no rows past it, so no row is written twice).
LearnMax's checkpoint holds everything but its replay: a resumed LearnMax refills the replay
from the env (it trains again once it holds one window), so its world model trains on the
steps of the current call only. A LearnMax run stops at its deadline within one vector
step; the PPO rows stop between ``--log-every`` chunks. At the end of each call it writes
``montezuma_study.md`` (the table) and ``montezuma_study.png`` (score and rooms against env
steps).

    python examples/montezuma_study.py --steps 3000 --n-envs 2 --minutes 3   # CPU smoke
    python examples/montezuma_study.py --n-envs 16 --steps 30000000 --minutes 9 \\
        --device cuda --resume                               # one 10-minute GPU slice
    python examples/montezuma_study.py --rows learnmax --seeds 0 --n-envs 16 --minutes 9 \\
        --device cuda --resume                               # LearnMax, one GPU slice
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# one BLAS thread (set before numpy loads): the env workers use the cores, and a threaded
# BLAS fighting them made satiation's SimHash of a frame 60x slower on the 2-core box
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402

ENV_ID = "aisam/Montezuma-Reduced-v0"
#: row name -> (algorithm, bonus); the bonus is split for IntrinsicPPO, mixed for PPO
ROWS: dict[str, tuple[str, str]] = {
    "ppo": ("ppo", "none"),
    "ppo_rnd": ("ppo", "prediction-error"),
    "intrinsic_rnd": ("intrinsic_ppo", "prediction-error"),
    "intrinsic_satiation": ("intrinsic_ppo", "satiation"),
    "learnmax": ("learnmax", "none"),
}
#: the rows of issue 19 §3, run by default (so its planned slices keep their budget shares)
PPO_ROWS = [row for row, (algo, _) in ROWS.items() if algo != "learnmax"]
FIELDS = [
    "row", "seed", "env_steps", "episodes", "score_mean", "score_max", "rooms_per_episode",
    "rooms_per_episode_max", "rooms_run", "steps_per_s", "random_steps_per_s", "seconds",
]  # fmt: skip
CSV_NAME = "montezuma_study.csv"


@dataclass
class Progress:
    """What a (row, seed) run has reached, saved next to its checkpoint.

    Attributes:
        row, seed: which run.
        algo, env_id: what it trains (checked on resume).
        steps: env steps trained at the checkpoint.
        model: checkpoint file name (in the run's folder).
        rooms: distinct ``(level, room)`` pairs seen over the run.
        scores, rooms_per_episode: the last 100 episodes' scores and room counts.
        score_max, rooms_max: over the run.
        episodes: episodes finished.
        seconds: training wall time.
    """

    row: str
    seed: int
    algo: str
    env_id: str
    steps: int = 0
    model: str = ""
    rooms: list[list[int]] | None = None
    scores: list[float] | None = None
    rooms_per_episode: list[int] | None = None
    score_max: float = 0.0
    rooms_max: int = 0
    episodes: int = 0
    seconds: float = 0.0


def make_env(args: argparse.Namespace, row: str, seed: int) -> Any:
    """The row's SB3 env: the rooms vector env through the adapter, with its bonus."""
    import gymnasium as gym

    import aisam_envs  # noqa: F401  (registers the ids)
    from aisam_agents.presets import RND_ATARI
    from aisam_agents.vec_env import GymnasiumToSB3VecEnv
    from aisam_wrappers import make_bonus

    venv = gym.make_vec(
        ENV_ID, args.n_envs, vectorization_mode="vector_entry_point", ram_info=True,
        running_jumps=True, autoreset_mode="SameStep", num_workers=args.workers,
    )  # fmt: skip
    env = GymnasiumToSB3VecEnv(venv)
    env.seed(seed)
    algo, bonus = ROWS[row]
    if bonus == "none":
        return env
    split = algo == "intrinsic_ppo"
    coef = 1.0 if split else args.mixed_coef
    # RND as `aisam train`'s Atari presets set it up (the RND paper's settings on frames)
    rnd = {"model_config": RND_ATARI} if bonus == "prediction-error" else {}
    return make_bonus(bonus, env, intrinsic_coef=coef, seed=seed, split=split, **rnd)


def random_steps_per_s(args: argparse.Namespace, seconds: float) -> float:
    """Env steps/s of the same vector env (no adapter, no bonus) under random actions."""
    import gymnasium as gym

    import aisam_envs  # noqa: F401

    venv = gym.make_vec(
        ENV_ID, args.n_envs, vectorization_mode="vector_entry_point", ram_info=True,
        running_jumps=True, autoreset_mode="SameStep", num_workers=args.workers,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    venv.reset(seed=0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        venv.step(rng.integers(0, 8, size=args.n_envs))
        steps += args.n_envs
    rate = steps / (time.perf_counter() - start)
    venv.close()
    return rate


def new_model(args: argparse.Namespace, row: str, seed: int, env: Any) -> Any:
    """A fresh model for the row."""
    if ROWS[row][0] == "learnmax":
        return new_learnmax(args, seed, env)
    from aisam_agents.presets import rnd_ppo

    # every PPO row on the RND paper's PPO settings, as `aisam train`'s Atari presets give
    # them to intrinsic_ppo
    settings = {**rnd_ppo(args.n_envs, args.n_steps), "seed": seed, "device": args.device}
    if ROWS[row][0] == "ppo":
        from stable_baselines3 import PPO

        return PPO("CnnPolicy", env, gamma=0.99, **settings)
    from aisam_agents.intrinsic_ppo import IntrinsicPPO

    return IntrinsicPPO("CnnPolicy", env, warmup_rollouts=args.warmup_rollouts, **settings)


def new_learnmax(args: argparse.Namespace, seed: int, env: Any) -> Any:
    """LearnMax with the ``--learnmax-*`` world model, search and training schedule.

    The frames reach the world model as they come, ``(4, 84, 84)`` uint8: its VQ tokenizer
    reads a 3-axis uint8 Box whose last axis is not 1, 3 or 4 as a channels-first image (4
    channels: the stack) and resizes it to the preset's ``image_size`` (``small``: 64 pixels,
    4 x 4 tokens from 256 codes; 84 itself is no ``grid_size`` times a power of two, which the
    conv VQ-VAE needs), so no override is needed; ``--learnmax-override`` sets any field.

    Defaults: horizon 4 and width 8 are the planning benchmark's Atari-sized setting
    (docs/learnmax.md); train ratio 1/16 updates per env step, at 32 windows of 16
    transitions (``small``'s ``max_frames``), replays 32 transitions per env step, DreamerV3's
    train ratio for Atari (with 16 envs: one update per vector step); the replay holds
    100,000 steps (2.8 GB of frames, on the model's device).
    """
    from aisam_agents import LearnMax
    from aisam_agents.world_model import WorldModelConfig

    config = WorldModelConfig.preset(args.learnmax_preset, **args.learnmax_override)
    return LearnMax(
        "auto", env, config, horizon=args.learnmax_horizon, width=args.learnmax_width,
        train_ratio=args.learnmax_train_ratio, buffer_size=args.learnmax_buffer, seed=seed,
        device=args.device,
    )  # fmt: skip


def load_model(args: argparse.Namespace, folder: Path, progress: Progress, env: Any) -> Any:
    """The checkpointed model (and, for a mixed bonus, the bonus's state) into ``env``."""
    import torch

    from aisam_agents.errors import CheckpointError
    from aisam_agents.object_state import restore
    from aisam_agents.safe_load import safe_load
    from aisam_wrappers import find_bonus

    path = folder / progress.model
    if not path.is_file():
        raise CheckpointError(f"{path} is missing: the run's checkpoint was moved or deleted")
    try:
        if progress.algo == "ppo":
            from stable_baselines3 import PPO

            model = safe_load(PPO, path, env=env, device=args.device)
        elif progress.algo == "learnmax":
            from aisam_agents import LearnMax

            model = LearnMax.load(path, env=env, device=args.device)
        else:
            from aisam_agents.intrinsic_ppo import IntrinsicPPO

            model = IntrinsicPPO.load(path, env=env, device=args.device)
    except CheckpointError:
        raise
    except Exception as exc:  # SB3's load fails in many ways on a damaged zip
        raise CheckpointError(f"{path}: cannot be loaded ({exc})") from exc
    if model.num_timesteps != progress.steps:
        raise CheckpointError(
            f"{path} holds {model.num_timesteps} steps, its progress file says {progress.steps}"
        )
    mixer = find_bonus(env)
    if mixer is not None and not mixer.split:  # PPO does not save a mixed bonus: we do
        state = torch.load(folder / bonus_file(progress.model), weights_only=True)
        restore(mixer, state)
    return model


def model_file(algo: str, steps: int) -> str:
    """The checkpoint's file name: an SB3 zip, or LearnMax's ``torch.save`` file."""
    return f"model-{steps}.{'pt' if algo == 'learnmax' else 'zip'}"


def bonus_file(name: str) -> str:
    """The file beside checkpoint ``model-N.zip`` that holds a mixed bonus's state."""
    return name.replace("model-", "bonus-").replace(".zip", ".pt")


def read_progress(folder: Path, row: str, seed: int, algo: str) -> Progress | None:
    """The run's saved progress (``None``: none yet); an error if it is another run's."""
    from aisam_agents.errors import CheckpointError

    path = folder / "progress.json"
    if not path.exists():
        return None
    try:
        progress = Progress(**json.loads(path.read_text()))
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"{path} is damaged ({exc})") from exc
    saved = (progress.row, progress.seed, progress.algo, progress.env_id)
    if saved != (row, seed, algo, ENV_ID):
        raise CheckpointError(
            f"{folder} holds a run of {saved}, not {(row, seed, algo, ENV_ID)}: use another --out"
        )
    return progress


class Recorder:
    """SB3 callback: rooms and scores of the run's episodes, into its :class:`Progress`.

    With a ``stop_at`` (a ``time.perf_counter`` value) the callback ends ``learn`` after the
    first step past it: for LearnMax, which learns as it steps, so a chunk that would overrun
    the call's budget loses nothing by stopping (a PPO run stopped mid-rollout would drop it).
    """

    def __init__(self, progress: Progress, stop_at: float | None = None) -> None:
        from stable_baselines3.common.callbacks import BaseCallback

        self.progress = progress
        self.rooms = {tuple(r) for r in progress.rooms or []}
        recorder = self

        class _Callback(BaseCallback):
            def _on_step(self) -> bool:
                recorder.record(self.locals["infos"])
                return stop_at is None or time.perf_counter() < stop_at

        self.callback = _Callback()

    def record(self, infos: list[dict[str, Any]]) -> None:
        """One vector step's infos: rooms seen; at episode ends, score and rooms."""
        p = self.progress
        for info in infos:
            self.rooms.add((int(info["level"]), int(info["room"])))
            episode = info.get("episode")
            if episode is not None:
                rooms = int(info["rooms_visited"])
                p.scores = [*(p.scores or [])[-99:], float(episode["r"])]
                p.rooms_per_episode = [*(p.rooms_per_episode or [])[-99:], rooms]
                p.score_max = max(p.score_max, float(episode["r"]))
                p.rooms_max = max(p.rooms_max, rooms)
                p.episodes += 1

    def sync(self) -> None:
        """Writes the rooms seen so far into the progress (as sorted lists, for JSON)."""
        self.progress.rooms = sorted(list(r) for r in self.rooms)


def csv_row(p: Progress, steps_per_s: float, random_rate: float) -> dict[str, Any]:
    return {
        "row": p.row,
        "seed": p.seed,
        "env_steps": p.steps,
        "episodes": p.episodes,
        "score_mean": float(np.mean(p.scores)) if p.scores else float("nan"),
        "score_max": p.score_max,
        "rooms_per_episode": (
            float(np.mean(p.rooms_per_episode)) if p.rooms_per_episode else float("nan")
        ),
        "rooms_per_episode_max": p.rooms_max,
        "rooms_run": len(p.rooms or []),
        "steps_per_s": round(steps_per_s, 1),
        "random_steps_per_s": round(random_rate, 1),
        "seconds": round(p.seconds, 1),
    }


def read_csv(out: Path) -> list[dict[str, str]]:
    path = out / CSV_NAME
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def write_csv(out: Path, rows: list[dict[str, Any]]) -> None:
    """Writes the whole CSV (through a temporary file, so a crash leaves the old one)."""
    tmp = out / f"{CSV_NAME}.tmp"
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, out / CSV_NAME)


def checkpoint(out: Path, folder: Path, model: Any, p: Progress, rows: list[dict]) -> None:
    """Saves the model (and a mixed bonus), then the CSV rows, then the progress file that
    names them; the previous checkpoint's files go last. A crash at any point leaves a
    progress file naming a complete checkpoint, and rows past it are dropped on resume."""
    import torch

    from aisam_agents.object_state import encode
    from aisam_wrappers import find_bonus

    old_model = p.model
    p.steps, p.model = model.num_timesteps, model_file(p.algo, model.num_timesteps)
    model.save(folder / p.model)
    mixer = find_bonus(model.get_env())
    if mixer is not None and not mixer.split:
        torch.save(encode(mixer), folder / bonus_file(p.model))
    write_csv(out, [*read_csv(out), *rows])
    rows.clear()
    tmp = folder / "progress.json.tmp"
    tmp.write_text(json.dumps(vars(p)))
    os.replace(tmp, folder / "progress.json")
    if old_model and old_model != p.model:
        (folder / old_model).unlink(missing_ok=True)
        (folder / bonus_file(old_model)).unlink(missing_ok=True)


def run(args: argparse.Namespace, row: str, seed: int, deadline: float, rate: float) -> None:
    """Trains one (row, seed) run until ``args.steps`` or the deadline, checkpointing."""
    from aisam_agents.errors import CheckpointError

    out = Path(args.out)
    folder = out / f"{row}-seed{seed}"
    algo = ROWS[row][0]
    progress = read_progress(folder, row, seed, algo)
    if progress is not None and not args.resume:
        raise CheckpointError(f"{folder} holds a run already: pass --resume or another --out")
    if progress is not None and progress.steps >= args.steps:
        return
    folder.mkdir(parents=True, exist_ok=True)
    env = make_env(args, row, seed)
    try:
        if progress is None:
            progress = Progress(row, seed, algo, ENV_ID)
            model = new_model(args, row, seed, env)
        else:
            model = load_model(args, folder, progress, env)
        kept = [
            r
            for r in read_csv(out)
            if (r["row"], int(r["seed"])) != (row, seed) or int(r["env_steps"]) <= progress.steps
        ]
        write_csv(out, kept)  # rows past the checkpoint are redone, not duplicated
        recorder, rows = Recorder(progress, deadline if algo == "learnmax" else None), []
        last_save = time.perf_counter()
        while model.num_timesteps < args.steps and time.perf_counter() < deadline:
            start, before = time.perf_counter(), model.num_timesteps
            # to the next multiple of --log-every (a stopped LearnMax chunk ends off the grid)
            to_grid = args.log_every - model.num_timesteps % args.log_every
            chunk = min(to_grid, args.steps - model.num_timesteps)
            model.learn(chunk, callback=recorder.callback, reset_num_timesteps=False)
            seconds = time.perf_counter() - start
            progress.seconds += seconds
            progress.steps = model.num_timesteps
            recorder.sync()
            rows.append(csv_row(progress, (model.num_timesteps - before) / seconds, rate))
            print(json.dumps(rows[-1]), flush=True)
            now = time.perf_counter()
            if now - last_save >= args.checkpoint_minutes * 60 or now >= deadline:
                checkpoint(out, folder, model, progress, rows)
                last_save = now
        if rows or not progress.model:
            checkpoint(out, folder, model, progress, rows)
    finally:
        env.close()


def summary(out: Path) -> str:
    """Markdown table of each (row, seed)'s last CSV row, then mean ± std over seeds."""
    last: dict[tuple[str, str], dict[str, str]] = {}
    for r in read_csv(out):
        last[(r["row"], r["seed"])] = r
    lines = [
        "| row | seeds | env steps | mean score | max score | rooms / episode (max) "
        "| rooms over the run | env steps/s | random-action steps/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in ROWS:
        group = [r for (name, _), r in last.items() if name == row]
        if not group:
            continue

        def col(key: str, g: list[dict[str, str]] = group) -> np.ndarray:
            return np.array([float(r[key]) for r in g])

        lines.append(
            f"| {row} | {len(group)} | {col('env_steps').min():,.0f} | "
            f"{col('score_mean').mean():.1f} ± {col('score_mean').std():.1f} | "
            f"{col('score_max').max():.0f} | {col('rooms_per_episode').mean():.2f} "
            f"({col('rooms_per_episode_max').max():.0f}) | {col('rooms_run').mean():.1f} "
            f"(max {col('rooms_run').max():.0f}) | {col('steps_per_s').mean():,.0f} | "
            f"{col('random_steps_per_s').mean():,.0f} |"
        )
    return "\n".join(lines) + "\n"


def _mean(values: list[float]) -> float:
    """Mean of the finite values (a run with no finished episode has none): nan if none."""
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def plot(out: Path) -> Path:
    """Score and distinct rooms over the run against env steps, mean over seeds per row."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_csv(out)
    fig, (ax_score, ax_rooms) = plt.subplots(1, 2, figsize=(11, 4))
    for row in ROWS:
        steps = sorted({int(r["env_steps"]) for r in rows if r["row"] == row})
        if not steps:
            continue
        at = {s: [r for r in rows if (r["row"], int(r["env_steps"])) == (row, s)] for s in steps}
        score = [_mean([float(r["score_mean"]) for r in at[s]]) for s in steps]
        rooms = [np.mean([float(r["rooms_run"]) for r in at[s]]) for s in steps]
        ax_score.plot(steps, score, label=row)
        ax_rooms.plot(steps, rooms, label=row)
    ax_score.set(xlabel="env steps", ylabel="mean episodic score (last 100)")
    ax_rooms.set(xlabel="env steps", ylabel="distinct rooms over the run")
    ax_score.legend()
    fig.tight_layout()
    path = out / "montezuma_study.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from aisam_agents.presets import RND_PPO, RND_WARMUP_ROLLOUTS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", nargs="*", default=PPO_ROWS, choices=list(ROWS),
        help="default: the PPO rows (learnmax, issue 20, is asked for by name)",
    )  # fmt: skip
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=30_000_000, help="env steps per run")
    parser.add_argument("--n-envs", type=int, default=16)
    parser.add_argument("--n-steps", type=int, default=RND_PPO["n_steps"], help="per rollout")
    parser.add_argument("--workers", type=int, default=0, help="env worker processes (0: cores)")
    parser.add_argument("--mixed-coef", type=float, default=0.5, help="ppo_rnd's intrinsic_coef")
    parser.add_argument(
        "--warmup-rollouts", type=int, default=RND_WARMUP_ROLLOUTS, help="IntrinsicPPO's"
    )
    parser.add_argument("--log-every", type=int, default=None, help="env steps per CSV row")
    parser.add_argument("--minutes", type=float, default=9.0, help="budget of this call")
    parser.add_argument("--checkpoint-minutes", type=float, default=3.0)
    parser.add_argument("--random-seconds", type=float, default=5.0, help="random-action probe")
    parser.add_argument("--learnmax-preset", default="small", choices=["tiny", "small", "base"])
    parser.add_argument(
        "--learnmax-override", nargs="*", default=[], metavar="FIELD=VALUE",
        help="WorldModelConfig fields over the preset, values as JSON (n_layer=2 compile=true)",
    )  # fmt: skip
    parser.add_argument("--learnmax-horizon", type=int, default=4, help="search depth H")
    parser.add_argument("--learnmax-width", type=int, default=8, help="branches K kept")
    parser.add_argument(
        "--learnmax-train-ratio", type=float, default=1 / 16, help="updates per env step"
    )
    parser.add_argument("--learnmax-buffer", type=int, default=100_000, help="replay steps")
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--torch-threads", type=int, default=1,
        help="torch CPU threads (1: the env workers keep the other cores; more oversubscribe)",
    )  # fmt: skip
    parser.add_argument("--resume", action="store_true", help="continue the runs in --out")
    parser.add_argument("--out", default="runs/montezuma_study")
    args = parser.parse_args(argv)
    args.log_every = args.log_every or 8 * args.n_envs * args.n_steps
    args.learnmax_override = dict(_field(parser, item) for item in args.learnmax_override)
    return args


def _field(parser: argparse.ArgumentParser, item: str) -> tuple[str, Any]:
    """``"name=value"`` -> ``(name, value)``, the value read as JSON (else kept a string)."""
    name, sep, text = item.partition("=")
    if not sep or not name:
        parser.error(f"--learnmax-override takes FIELD=VALUE items, got {item!r}")
    try:
        return name, json.loads(text)
    except ValueError:
        return name, text


def main(argv: list[str] | None = None) -> str:
    """Runs (or continues) the study within ``--minutes``; returns the summary table."""
    import torch

    args = parse_args(argv)
    torch.set_num_threads(args.torch_threads)
    deadline = time.perf_counter() + args.minutes * 60
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rate = random_steps_per_s(args, args.random_seconds)
    print(f"random-action steps/s ({args.n_envs} envs): {rate:,.0f}", flush=True)
    jobs = [(row, seed) for seed in args.seeds for row in args.rows]
    for k, (row, seed) in enumerate(jobs):  # an equal share of what is left for each run
        share = (deadline - time.perf_counter()) / (len(jobs) - k)
        run(args, row, seed, time.perf_counter() + share, rate)
    text = summary(out)
    (out / "montezuma_study.md").write_text(text)
    plot(out)
    print(text)
    return text


if __name__ == "__main__":
    main()
