"""Benchmark of ``aisam/TextWorld-v0``: steps/s against raw ``textworld.gym``, and generation time.

Both envs play the same game with the same information requested (description,
inventory, admissible commands, score, max score, moves, won, lost) and the same
command sequence: a seeded random pick among the admissible commands, episodes of at
most ``--episode-steps`` steps. Each round runs every env once; the table shows the
median steps/s over rounds and the median of the per-round ratios to the anchor
(target >= 0.90), counting resets and, separately, the step calls alone (raw
``textworld.gym`` reloads the game on every reset, which this env does not).
Generation times are for a cold cache (a fresh temporary ``AISAM_CACHE_DIR``), then a
warm one (the cached game found again).

Run:  python benchmarks/bench_textworld.py [--steps 500] [--rounds 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import textworld
import textworld.gym

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_envs.textworld.games import GameSpec, game_path

ANCHOR = "textworld.gym (anchor)"
INFOS = ("description", "inventory", "admissible_commands", "score", "max_score", "moves",
         "won", "lost")  # fmt: skip

GAMES: dict[str, GameSpec] = {
    "custom w3 o5 q2": GameSpec(world_size=3, nb_objects=5, quest_length=2, game_seed=1),
    "custom w5 o10 q5 (defaults)": GameSpec(),
    "tw-simple dense": GameSpec(challenge="tw-simple"),
    "tw-cooking recipe1 take1": GameSpec(challenge="tw-cooking", settings={"take": 1}),
    "tw-coin_collector level1": GameSpec(challenge="tw-coin_collector"),
    "tw-treasure_hunter level1": GameSpec(challenge="tw-treasure_hunter"),
}


def play(reset: Callable[[], list[str]], step: Callable[[str], tuple[list[str], bool]],
         n_steps: int, episode_steps: int, seed: int) -> tuple[float, float]:  # fmt: skip
    """Steps/s of ``n_steps`` seeded random admissible commands: with resets, and steps only."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, 2**31, size=n_steps)
    in_steps = 0.0
    start = time.perf_counter()
    commands, t = reset(), 0
    for k in range(n_steps):
        tick = time.perf_counter()
        commands, done = step(commands[picks[k] % len(commands)])
        in_steps += time.perf_counter() - tick
        t += 1
        if done or t == episode_steps:
            commands, t = reset(), 0
    return n_steps / (time.perf_counter() - start), n_steps / in_steps


def aisam_player(path: str, **kwargs: Any) -> tuple[Callable, Callable]:
    env = gym.make("aisam/TextWorld-v0", game_file=path, max_episode_steps=None, **kwargs)
    index = kwargs.get("action_mode") == "index"
    state: dict[str, list[str]] = {}

    def reset() -> list[str]:
        state["cmds"] = env.reset(seed=0)[1]["admissible_commands"]
        return state["cmds"]

    def step(command: str) -> tuple[list[str], bool]:
        action = state["cmds"].index(command) if index else command
        _, _, terminated, truncated, info = env.step(action)
        state["cmds"] = info["admissible_commands"]
        return state["cmds"], terminated or truncated

    return reset, step


def raw_player(path: str) -> tuple[Callable, Callable]:
    infos = textworld.EnvInfos(**dict.fromkeys(INFOS, True))
    env = textworld.gym.make(textworld.gym.register_game(path, infos, max_episode_steps=None))

    def reset() -> list[str]:
        return env.reset()[1]["admissible_commands"]

    def step(command: str) -> tuple[list[str], bool]:
        _, _, done, info = env.step(command)
        return info["admissible_commands"], done

    return reset, step


def bench_steps(path: str, n_steps: int, rounds: int, episode_steps: int) -> None:
    """Prints median steps/s and the median of the per-round ratios to the anchor.

    Each round runs every env once, in an order that rotates from round to round, so
    a slow spell of a shared machine hits all of them alike.
    """
    players = {
        ANCHOR: raw_player(path),
        "aisam text": aisam_player(path),
        "aisam index + tokens": aisam_player(path, action_mode="index", obs_type="tokens"),
    }
    names = list(players)
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            reset, step = players[name]
            rates[name].append(play(reset, step, n_steps, episode_steps, seed=r))
    print(f"\nsteps/s on {path}")
    print(f"({n_steps} steps x {rounds} rounds; ratio: median of the per-round ratios)")
    head = f"{'env':<24}{'steps/s':>9}{'ratio':>7}{'min':>7}{'max':>7}"
    print(f"{'':<24}{'with resets':^30}{'steps only (no resets)':^30}")
    print(head + head[24:])
    for name, values in rates.items():
        row = f"{name:<24}"
        for col in (0, 1):
            mine = [v[col] for v in values]
            ratios = [v / a[col] for v, a in zip(mine, rates[ANCHOR], strict=True)]
            row += f"{statistics.median(mine):>9.1f}{statistics.median(ratios):>7.3f}"
            row += f"{min(ratios):>7.3f}{max(ratios):>7.3f}"
        print(row)


def bench_generation() -> dict[str, str]:
    """Prints cold/warm generation times (cache in ``$AISAM_CACHE_DIR``); returns the paths."""
    print(f"{'game':<30}{'cold s':>8}{'warm ms':>9}{'max_score':>10}{'walkthrough':>12}")
    paths = {}
    for name, spec in GAMES.items():
        start = time.perf_counter()
        paths[name] = str(game_path(spec))
        cold = time.perf_counter() - start
        start = time.perf_counter()
        game_path(spec)
        warm = time.perf_counter() - start
        env = gym.make("aisam/TextWorld-v0", game_file=paths[name])
        info = env.reset(seed=0)[1]
        env.close()
        print(f"{name:<30}{cold:>8.2f}{warm * 1e3:>9.2f}{info['max_score']:>10}"
              f"{len(info.get('walkthrough', [])):>12}")  # fmt: skip
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--episode-steps", type=int, default=50)
    parser.add_argument("--game", default="custom w5 o10 q5 (defaults)", choices=sorted(GAMES))
    args = parser.parse_args()
    print(f"textworld {textworld.__version__}, gymnasium {gym.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["AISAM_CACHE_DIR"] = tmp  # a cold cache: every game is generated here
        paths = bench_generation()
        bench_steps(paths[args.game], args.steps, args.rounds, args.episode_steps)


if __name__ == "__main__":
    main()
