"""Does RND's error single out what random play rarely sees in Montezuma? (issue 19, CPU)

An exploration bonus can only lead an agent out of the first room if its error stays high
on what the agent has not seen while it falls on what the agent sees all the time. This
probe trains RND models on random play in the rooms vector env, as the study's env gives
it (``running_jumps=True``, 84x84 grey 4-stacks, sticky actions), then scores frames it
never trained on:

- ``held-out``: random play with other seeds (room 1);
- ``key``: the scripted exit (:data:`aisam_envs.montezuma.FIRST_ROOM_EXIT`) from the step
  after the key is picked up to the door: room 1, at places random play rarely reaches,
  holding the key;
- ``room 2``: random play after the scripted exit, once the newest four frames are all in
  room 2.

and reports, per model and number of passes over the training frames, the median error of
each set and its ratio to ``held-out``'s. Models: ``mlp`` is the study's RND before the
convolutions (``encoder="mlp"``, otherwise :class:`ModelConfig`'s defaults: an MLP over the
flattened 4-stack, Adam at 1e-2, every row of each batch); ``cnn-defaults`` is what the
defaults give on frames now (``encoder="auto"``: the convolutions over all four frames, Adam
at 1e-2, every row); ``cnn`` is ``aisam_agents.presets.RND_ATARI`` (the RND paper's: the
newest frame through the convolutions, Adam at 1e-4, a quarter of each batch). Each
trains on batches of ``--batch`` transitions (one vector step of the study's 128 envs)
after folding every training frame into its observation statistics (the study's warm-up).

    python examples/rnd_rooms_probe.py --out results/montezuma/rnd_rooms_probe.csv
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")  # the env workers keep the other cores
import numpy as np  # noqa: E402

ENV_ID = "aisam/Montezuma-Reduced-v0"
FIELDS = ["model", "passes", "updates", "set", "frames", "median_error", "ratio", "seconds"]


def rooms_env(n: int, **kwargs: Any) -> Any:
    import gymnasium as gym

    import aisam_envs  # noqa: F401  (registers the ids)

    return gym.make_vec(
        ENV_ID, n, vectorization_mode="vector_entry_point", ram_info=True, running_jumps=True,
        **kwargs,
    )  # fmt: skip


def random_frames(n_envs: int, steps: int, seed: int) -> np.ndarray:
    """``(steps * n_envs, 4, 84, 84)`` observations of uniformly random play."""
    env = rooms_env(n_envs)
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(steps):
        obs, *_ = env.step(rng.integers(0, 8, n_envs))
        frames.append(obs.copy())
    env.close()
    return np.concatenate(frames)


def scripted_frames(seed: int, room2_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """The exit's frames holding the key in room 1, and room 2's after it."""
    from aisam_envs.montezuma import FIRST_ROOM_EXIT, script_actions

    env = rooms_env(1, noop_max=0, use_fire_reset=False, repeat_action_probability=0.0)
    env.reset(seed=seed)
    key, room2, in_room2 = [], [], 0
    for action in script_actions(FIRST_ROOM_EXIT):
        obs, _, _, _, info = env.step(np.array([action]))
        if info["inventory"][0] and info["room"][0] == 1:
            key.append(obs[0].copy())
    rng = np.random.default_rng(seed)
    for _ in range(room2_steps):
        obs, _, terminated, truncated, info = env.step(rng.integers(0, 8, 1))
        in_room2 = in_room2 + 1 if info["room"][0] == 2 else 0
        if in_room2 >= 4:  # the whole stack shows room 2
            room2.append(obs[0].copy())
        if terminated[0] or truncated[0]:
            break
    env.close()
    return np.stack(key), np.stack(room2)


def probe(args: argparse.Namespace) -> list[dict[str, Any]]:
    import torch
    from gymnasium import spaces

    from aisam_agents.presets import RND_ATARI
    from aisam_wrappers import Transitions
    from aisam_wrappers.models import ModelConfig, RNDModel

    torch.set_num_threads(args.torch_threads)
    train = random_frames(args.n_envs, args.steps, seed=args.seed)
    held_out = random_frames(args.n_envs, args.held_out_steps, seed=args.seed + 1000)
    key, room2 = scripted_frames(args.seed, args.room2_steps)
    sets = {"held-out": held_out, "key": key, "room 2": room2}
    print({name: len(x) for name, x in {"train": train, **sets}.items()}, flush=True)
    space = spaces.Box(0, 255, train.shape[1:], np.uint8)
    configs = {"mlp": {"encoder": "mlp"}, "cnn-defaults": {}, "cnn": RND_ATARI}
    rows = []
    for name in args.models:
        model = RNDModel(space, None, ModelConfig(device="cpu", seed=args.seed, **configs[name]))
        for start in range(0, len(train), args.batch):
            model.observe(Transitions(None, None, train[start : start + args.batch]))
        rng = np.random.default_rng(args.seed)
        t0, updates, done = time.perf_counter(), 0, 0
        for passes in args.passes:
            for _ in range(passes - done):
                order = rng.permutation(len(train))
                for start in range(0, len(order) - args.batch + 1, args.batch):
                    batch = train[np.sort(order[start : start + args.batch])]
                    model.update(Transitions(None, None, batch))
                    updates += 1
            done = passes
            errors = {
                s: np.median(model.prediction_error(Transitions(None, None, x)))
                for s, x in sets.items()
            }
            for s, x in sets.items():
                rows.append({
                    "model": name, "passes": passes, "updates": updates, "set": s,
                    "frames": len(x), "median_error": float(errors[s]),
                    "ratio": float(errors[s] / errors["held-out"]),
                    "seconds": round(time.perf_counter() - t0, 1),
                })  # fmt: skip
                print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    models = ["mlp", "cnn-defaults", "cnn"]
    parser.add_argument("--models", nargs="*", default=models, choices=models)
    parser.add_argument("--n-envs", type=int, default=16)
    parser.add_argument("--steps", type=int, default=1250, help="vector steps of training play")
    parser.add_argument("--held-out-steps", type=int, default=125)
    parser.add_argument("--room2-steps", type=int, default=400, help="random steps after exit")
    parser.add_argument("--batch", type=int, default=128, help="transitions per update")
    parser.add_argument("--passes", type=int, nargs="*", default=[1, 4, 16])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--torch-threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("rnd_rooms_probe.csv"))
    args = parser.parse_args()
    rows = probe(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
