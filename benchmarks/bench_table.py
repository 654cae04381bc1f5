"""Throughput of aisam/TransitionTable-v0 against its anchors, measured in one run.

Anchors (issue 2):
* a bare numpy table-gather loop ``s = T[a * S + s]`` over the same number of envs —
  the limit for a vector env (target: within 4x of it, and >= 100M env-steps/s);
* gymnasium's ``FrozenLake-v1`` in ``SyncVectorEnv`` (target: >= 1000x faster);
* on a GPU, the same gather loop in torch (1M envs; aim >= 1e9 env-steps/s).

Each pair is timed in alternating rounds and the medians compared, so machine noise
hits both sides. CPU measurements count the process's CPU time (one core: numpy runs
these ops single-threaded), so other load on the machine does not inflate them; GPU
measurements count wall-clock time between device synchronisations.
Run: ``python benchmarks/bench_table.py [--rounds 5] [--torch]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one CPU core

import gymnasium as gym
import numpy as np
from _timing import interleaved

import aisam_envs  # noqa: F401
from aisam_envs.table.tables import make_table

ID = "aisam/TransitionTable-v0"


def rate(
    fn: Callable[[], None],
    steps_per_call: int,
    seconds: float,
    sync: Callable[[], None] | None = None,
) -> float:
    """Env-steps/s of ``fn`` repeated for about ``seconds``: CPU time without ``sync``,
    wall-clock time between ``sync()`` calls (a GPU) with it."""
    clock = time.process_time if sync is None else time.perf_counter
    sync = sync or (lambda: None)
    fn()
    sync()
    calls, start = 0, clock()
    while clock() - start < seconds:
        for _ in range(20):
            fn()
        calls += 20
    sync()
    return calls * steps_per_call / (clock() - start)


def paired(a: Callable[[], float], b: Callable[[], float], rounds: int) -> tuple[float, float]:
    """Medians of ``a()`` and ``b()`` over alternating rounds."""
    ra, rb = interleaved([a, b], rounds)
    return statistics.median(ra), statistics.median(rb)


def vector(
    backend: str, n: int, n_states: int, rounds: int, seconds: float
) -> dict[str, float | str]:
    """Our vector env against a bare gather loop on the same table, on ``backend``.

    numpy is timed in CPU time; torch on CUDA (when there is one) in synchronised wall time.
    """
    state = np.zeros(n, dtype=np.int64)
    if backend == "numpy":
        device, sync = "cpu", None
        actions = np.random.default_rng(0).integers(0, 4, size=(64, n))
    else:
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
        sync = torch.cuda.synchronize if device == "cuda" else None
        actions = torch.randint(0, 4, (64, n), device=device)
    kwargs = {} if backend == "numpy" else {"backend": backend, "device": device}
    env = gym.make_vec(ID, n, vectorization_mode="vector_entry_point", n_states=n_states, **kwargs)
    env.reset(seed=0)
    # the anchor's table: flat int64 indexed by a * S + s, on the backend's device
    flat = env.unwrapped.table.next_states[:, :, 0].T.reshape(-1).astype(np.int64)
    if backend != "numpy":
        flat, state = torch.as_tensor(flat, device=device), torch.as_tensor(state, device=device)
    it = {"i": 0}

    def env_step() -> None:
        it["i"] = (it["i"] + 1) & 63
        env.step(actions[it["i"]])

    def gather_step() -> None:
        nonlocal state
        it["i"] = (it["i"] + 1) & 63
        state = flat[actions[it["i"]] * n_states + state]

    ours, anchor = paired(
        lambda: rate(env_step, n, seconds, sync),
        lambda: rate(gather_step, n, seconds, sync),
        rounds,
    )
    return {"ours": ours, "anchor": anchor, "device": device}


def frozen_lake(n: int, rounds: int, seconds: float) -> dict[str, float]:
    lake = gym.make_vec("FrozenLake-v1", n, vectorization_mode="sync")
    ours = gym.make_vec(ID, n, vectorization_mode="vector_entry_point", n_states=16)
    lake.reset(seed=0)
    ours.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 4, size=n)

    r_ours, r_lake = paired(
        lambda: rate(lambda: ours.step(actions), n, seconds),
        lambda: rate(lambda: lake.step(actions), n, seconds),
        rounds,
    )
    return {"ours": r_ours, "anchor": r_lake}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.5, help="per timed round")
    parser.add_argument("--torch", action="store_true", help="also the torch backend, 1M envs")
    parser.add_argument("--skip-numpy", action="store_true", help="only the torch measurement")
    args = parser.parse_args()

    print("| measurement | aisam env-steps/s | anchor | anchor env-steps/s | ratio |")
    print("|---|---|---|---|---|")
    if not args.skip_numpy:
        for n in (4096, 65536):
            r = vector("numpy", n, 1024, args.rounds, args.seconds)
            print(
                f"| numpy vector, {n} envs, 1024x4 random table | {r['ours']:.3e} | bare numpy "
                f"gather | {r['anchor']:.3e} | anchor/ours = {r['anchor'] / r['ours']:.2f}x |"
            )
        n = 4096
        r = frozen_lake(n, max(3, args.rounds // 2), args.seconds)
        print(
            f"| numpy vector, {n} envs, 16 states | {r['ours']:.3e} | FrozenLake-v1 SyncVectorEnv "
            f"| {r['anchor']:.3e} | ours/anchor = {r['ours'] / r['anchor']:.0f}x |"
        )
        start = time.perf_counter()
        table = make_table("random", 10_000_000, 8, seed=0)
        print(
            f"| build 10M x 8 random table | {time.perf_counter() - start:.2f} s | - | - | "
            f"{table.next_states.nbytes / 2**20:.0f} MiB int32 |"
        )
    if args.torch:
        r = vector("torch", 1_000_000, 1024, args.rounds, args.seconds)
        print(
            f"| torch vector ({r['device']}), 1M envs | {r['ours']:.3e} | bare torch gather | "
            f"{r['anchor']:.3e} | anchor/ours = {r['anchor'] / r['ours']:.2f}x |"
        )


if __name__ == "__main__":
    main()
