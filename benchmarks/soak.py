"""Soak: long runs of every env, bonus and the default training job, with resident memory
and open file descriptors sampled, to catch leaks that short tests cannot see.

Each workload runs in a fresh subprocess (so one workload's memory never counts against
another's) in ``--samples`` equal chunks; after each chunk the process samples its
resident set size (``VmRSS``) and open descriptors (``/proc/self/fd``). The first
``--warmup`` fraction of the chunks is warm-up (caches, compiled kernels, allocator
pools); the goal is that afterwards resident memory grows by at most 2 % or 16 MiB,
whichever is larger, and that open files do not grow. ``--scale`` multiplies every
workload's length (1.0: the full soak of the issue; ``tests/test_soak.py`` runs 0.001
with 8 samples; docs/reliability.md reports the scale it ran).

    python benchmarks/soak.py                      # the full soak (over an hour on 2 cores)
    python benchmarks/soak.py --scale 0.01 --only table-vector satiation
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

MIB = 2**20
ROOT = Path(__file__).resolve().parents[1]
#: steps at --scale 1 (env steps; vector workloads count every env's step)
WORKLOADS: dict[str, int] = {
    "table-single": 1_000_000,
    "table-vector": 100_000_000,
    "satiation": 10_000_000,
    "prediction-error": 10_000_000,
    "entropy": 10_000_000,
    "parity": 1_000_000,
    "montezuma-single": 200_000,
    "montezuma-vector": 200_000,
    "textworld": 10_000,
    "pokemon": 200_000,
    "train": 1_000_000,
}


@dataclass(frozen=True)
class SoakResult:
    """One workload's samples and verdict."""

    name: str
    steps: int
    rss_mib: list[float]
    fds: list[int]
    warmup: int
    seconds: float

    @property
    def growth_mib(self) -> float:
        """How much resident memory rose after warm-up: the highest sample of the later half
        minus the highest of the earlier half. A leak raises every later peak; allocator
        noise (samples swinging by some MiB around a flat level, as RND's batches do) does
        not count, as it would in the last sample minus the lowest."""
        after = self.rss_mib[self.warmup :]
        half = len(after) // 2
        return max(after[half:]) - max(after[:half])

    @property
    def ok(self) -> bool:
        """The goal: RSS grows <= max(2 %, 16 MiB) after warm-up, open files do not grow."""
        base = min(self.rss_mib[self.warmup :])
        fds_after = self.fds[self.warmup :]
        return self.growth_mib <= max(0.02 * base, 16.0) and fds_after[-1] <= fds_after[0]


def sample() -> tuple[float, int]:
    """This process's resident memory (MiB) and open file descriptors."""
    with open("/proc/self/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return rss / 1024, len(os.listdir("/proc/self/fd"))


def _stepper(name: str, tmp: Path) -> tuple[Callable[[int], None], int, Callable[[], None]]:
    """``(run(n_steps), env steps per call unit, close)`` of one workload."""
    import gymnasium as gym
    import numpy as np

    import aisam_envs  # noqa: F401  (registers the ids)

    rng = np.random.default_rng(0)
    if name in ("table-single", "parity", "montezuma-single", "textworld", "pokemon"):
        env = _single_env(name, tmp, gym)
        env.reset(seed=0)

        def run_single(n: int) -> None:
            for _ in range(n):
                _, _, term, trunc, _ = env.step(env.action_space.sample())
                if term or trunc:
                    env.reset()

        env.action_space.seed(0)
        return run_single, 1, env.close
    if name == "train":
        return _train_stepper(tmp)
    n_envs = 4096 if name != "montezuma-vector" else 4
    kwargs = {"kind": "stochastic"} if name != "montezuma-vector" else {}
    env_id = (
        "aisam/Montezuma-Reduced-v0" if name == "montezuma-vector" else "aisam/TransitionTable-v0"
    )
    venv = gym.make_vec(env_id, num_envs=n_envs, vectorization_mode="vector_entry_point", **kwargs)
    if name in ("satiation", "prediction-error", "entropy"):
        from aisam_wrappers import make_bonus

        venv = make_bonus(name, venv, intrinsic_coef=0.1, seed=0)
    venv.reset(seed=0)
    n_actions = int(venv.single_action_space.n)

    def run_vector(n: int) -> None:
        for _ in range(n):
            venv.step(rng.integers(0, n_actions, n_envs))

    return run_vector, n_envs, venv.close


def _single_env(name: str, tmp: Path, gym: object) -> object:
    if name == "table-single":
        return gym.make("aisam/TransitionTable-v0", kind="stochastic")
    if name == "parity":
        return gym.make("aisam/Parity-v0")
    if name == "montezuma-single":
        return gym.make("aisam/Montezuma-Reduced-v0")
    if name == "textworld":
        return _TextWorldRotation(tmp)
    sys.path.insert(0, str(ROOT / "tests" / "envs"))
    from homebrew_rom import build_rom

    rom = tmp / "homebrew.gb"
    rom.write_bytes(build_rom())
    return gym.make("aisam/PokemonRed-v0", rom_path=rom, allow_unknown_rom=True)


class _TextWorldRotation:
    """TextWorld across 50 generated games: a new game (seed) at every reset."""

    def __init__(self, tmp: Path) -> None:
        import gymnasium as gym

        os.environ.setdefault("AISAM_CACHE_DIR", str(tmp / "cache"))
        self._gym, self._seed, self.env = gym, 0, None
        self._open()

    def _open(self) -> None:
        if self.env is not None:
            self.env.close()
        self.env = self._gym.make(
            "aisam/TextWorld-v0", obs_type="tokens", action_mode="index", game_seed=self._seed % 50
        )
        self.action_space = self.env.action_space

    def reset(self, seed: int | None = None) -> object:
        self._seed += 1
        self._open()
        return self.env.reset(seed=seed)

    def step(self, action: int) -> tuple:
        return self.env.step(action)

    def close(self) -> None:
        self.env.close()


def _train_stepper(tmp: Path) -> tuple[Callable[[int], None], int, Callable[[], None]]:
    """The default ``aisam train`` job (PPO + satiation on the lock table), learned in
    chunks of one rollout with the run's callbacks (metrics, checkpoints): its env, bonus,
    model and logger live as long as the run."""
    import torch

    from aisam_agents.train import TrainConfig, build_run

    torch.set_num_threads(1)  # as `aisam train` runs: small policies train fastest so
    run = build_run(TrainConfig(out=str(tmp / "train"), progress_bar=False, eval_freq=0))
    per_call = run.model.n_steps * run.model.n_envs

    def learn(n: int) -> None:
        run.learn(n * per_call)

    return learn, per_call, run.close


def soak_one(name: str, steps: int, samples: int, warmup: float) -> SoakResult:
    """Runs one workload in this process and returns its samples."""
    import time

    with tempfile.TemporaryDirectory() as folder:
        run, per_call, close = _stepper(name, Path(folder))
        calls = max(1, steps // per_call // samples)
        rss, fds = [], []
        start = time.perf_counter()
        try:
            for _ in range(samples):
                run(calls)
                r, f = sample()
                rss.append(r)
                fds.append(f)
        finally:
            close()
        seconds = time.perf_counter() - start
    return SoakResult(name, calls * per_call * samples, rss, fds, int(samples * warmup), seconds)


def soak(
    names: list[str], scale: float, samples: int, warmup: float
) -> Iterator[SoakResult | tuple[str, str]]:
    """Each workload in a subprocess of its own; yields its result, or ``(name, error)``."""
    for name in names:
        steps = max(int(WORKLOADS[name] * scale), 1)
        cmd = [sys.executable, __file__, "--child", name, str(steps), str(samples), str(warmup)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            yield name, (proc.stderr.strip().splitlines() or ["failed"])[-1]
            continue
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        yield SoakResult(**data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="workload length factor (1.0)")
    parser.add_argument("--samples", type=int, default=20, help="samples per workload (20)")
    parser.add_argument("--warmup", type=float, default=0.25, help="warm-up fraction (0.25)")
    parser.add_argument("--only", nargs="*", choices=sorted(WORKLOADS), help="workloads to run")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        name, steps, samples, warmup = args.child
        result = soak_one(name, int(steps), int(samples), float(warmup))
        print(json.dumps(asdict(result)))
        return 0
    print(
        f"{'workload':18} {'steps':>12} {'s':>7} {'RSS MiB start..end':>20} {'growth':>8} fds  ok"
    )
    failed = False
    for result in soak(args.only or list(WORKLOADS), args.scale, args.samples, args.warmup):
        if isinstance(result, tuple):
            print(f"{result[0]:18} skipped: {result[1]}")
            continue
        r = result
        rss = f"{min(r.rss_mib[r.warmup :]):.0f}..{r.rss_mib[-1]:.0f}"
        fds = f"{r.fds[r.warmup]}->{r.fds[-1]}"
        print(
            f"{r.name:18} {r.steps:12,} {r.seconds:7.0f} {rss:>20} {r.growth_mib:7.1f}M "
            f"{fds:>6} {'yes' if r.ok else 'NO'}"
        )
        failed |= not r.ok
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
