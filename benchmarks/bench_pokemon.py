"""aisam/PokemonRed-v0 steps/s against raw PyBoy ticking the same frames (target >= 90%).

The anchor is a bare ``PyBoy`` on the same ROM and start state doing exactly the
emulator work of one env step: press a button, tick ``press_frames`` frames unrendered,
release, tick the rest rendering only the last (not at all for ``ram`` observations).
The env adds what it adds on top: RAM decoding, reward, observation, ``info`` and the
``gym.make`` wrappers.

Anchor and env run in alternating blocks of ``--block`` steps (``--pairs`` pairs per
round, the order flipped every pair) so load drift hits both sides; each block is timed
in process CPU time (robust when other jobs share the cores) and in wall time. A round's
ratio is anchor time / env time over its blocks; the table gives the median over
``--rounds`` rounds and their range, and ``overhead`` is the env's extra CPU time per
step (median).

By default this runs the homebrew test ROM of ``tests/envs/homebrew_rom.py``
(the real game is copyrighted); ``--rom`` runs your own Pokemon Red dump from power-on.

    python benchmarks/bench_pokemon.py [--rounds 7] [--pairs 10] [--block 40] [--rom PATH]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_envs.pokemon.env import ACTION_MEANINGS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "envs"))
from _timing import interleaved, spread  # noqa: E402
from homebrew_rom import build_rom  # noqa: E402

ACTION_FREQ, PRESS_FRAMES = 24, 8


def make_anchor(rom: bytes, state: bytes, render: bool) -> tuple[Callable[[int], None], object]:
    """A bare PyBoy that does one env step's emulator work per call."""
    from pyboy import PyBoy
    from pyboy.utils import WindowEvent

    pyboy = PyBoy(io.BytesIO(rom), window="null", sound_emulated=False, cgb=False)
    pyboy.set_emulation_speed(0)
    pyboy.load_state(io.BytesIO(state))
    names = [f"BUTTON_{m}" if m in ("A", "B", "START") else f"ARROW_{m}" for m in ACTION_MEANINGS]
    press = [getattr(WindowEvent, f"PRESS_{n}") for n in names]
    release = [getattr(WindowEvent, f"RELEASE_{n}") for n in names]

    def step(action: int) -> None:
        pyboy.send_input(press[action])
        pyboy.tick(PRESS_FRAMES, False, False)
        pyboy.send_input(release[action])
        pyboy.tick(ACTION_FREQ - PRESS_FRAMES, render, False)

    return step, pyboy


def block_time(step: Callable[[int], object], n: int) -> tuple[float, float]:
    """(CPU, wall) seconds for ``n`` calls of ``step(action)``, cycling the 7 actions."""
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(n):
        step(i % 7)
    return time.process_time() - cpu, time.perf_counter() - wall


def paired_rounds(
    anchor: Callable[[int], None], env_step: Callable[[int], object], args: argparse.Namespace
) -> dict[str, list[float]]:
    """Per round: CPU and wall ratios (anchor / env), env and anchor steps/s, overhead."""
    out: dict[str, list[float]] = {"cpu": [], "wall": [], "env": [], "raw": [], "us": []}
    for _ in range(args.rounds):
        raw, env = interleaved(
            [lambda: block_time(anchor, args.block), lambda: block_time(env_step, args.block)],
            args.pairs,
        )
        (raw_cpu, raw_wall), (env_cpu, env_wall) = (
            [sum(column) for column in zip(*times, strict=True)] for times in (raw, env)
        )
        steps = args.pairs * args.block
        out["cpu"].append(raw_cpu / env_cpu)
        out["wall"].append(raw_wall / env_wall)
        out["env"].append(steps / env_cpu)
        out["raw"].append(steps / raw_cpu)
        out["us"].append((env_cpu - raw_cpu) / steps * 1e6)
    return out


def bench_obs_type(
    rom_path: Path, unknown: bool, obs_type: str, args: argparse.Namespace
) -> dict[str, float | list[float]]:
    env = gym.make(
        "aisam/PokemonRed-v0", rom_path=rom_path, allow_unknown_rom=unknown, obs_type=obs_type
    )
    env.reset(seed=0)
    for i in range(300):  # past the boot, into the program's (or game's) steady state
        env.step(i % 7)
    state = env.unwrapped.save_state()
    anchor, pyboy = make_anchor(env.unwrapped.rom.data, state, render=obs_type != "ram")
    env.unwrapped.load_state(state)
    result: dict[str, float | list[float]] = dict(paired_rounds(anchor, env.step, args))
    for name, call in (
        ("save_state", env.unwrapped.save_state),
        ("load_state", lambda: env.unwrapped.load_state(state)),
        ("reset", env.reset),
    ):
        start = time.perf_counter()
        for _ in range(5):
            call()
        result[name] = (time.perf_counter() - start) / 5 * 1000
    env.close()
    pyboy.stop(save=False)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="rounds (median and range)")
    parser.add_argument("--pairs", type=int, default=10, help="anchor/env block pairs a round")
    parser.add_argument("--block", type=int, default=40, help="steps per timed block")
    parser.add_argument("--rom", type=Path, default=None, help="your Pokemon Red ROM")
    parser.add_argument("--obs", nargs="+", default=["screen", "rgb", "ram"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rom_path, unknown = args.rom, False
        if rom_path is None:
            rom_path, unknown = Path(tmp) / "homebrew.gb", True
            rom_path.write_bytes(build_rom())
        label = "homebrew test ROM" if unknown else str(rom_path)
        print(
            f"aisam/PokemonRed-v0 on {label}: action_freq={ACTION_FREQ}; {args.rounds} rounds "
            f"of {args.pairs} alternating pairs of {args.block}-step blocks; "
            "ratio = raw PyBoy time / env time, median [min-max] over rounds"
        )
        header = (
            f"{'obs_type':8} {'env steps/s':>12} {'raw PyBoy':>10} {'ratio (CPU)':>19} "
            f"{'ratio (wall)':>19} {'overhead us':>12} {'save ms':>8} {'load ms':>8} "
            f"{'reset ms':>9}"
        )
        print(header)
        print("-" * len(header))
        for obs_type in args.obs:
            r = bench_obs_type(rom_path, unknown, obs_type, args)
            print(
                f"{obs_type:8} {statistics.median(r['env']):12.0f} "
                f"{statistics.median(r['raw']):10.0f} {spread(r['cpu'], '.1%'):>19} "
                f"{spread(r['wall'], '.1%'):>19} {statistics.median(r['us']):12.0f} "
                f"{r['save_state']:8.1f} {r['load_state']:8.1f} {r['reset']:9.1f}"
            )


if __name__ == "__main__":
    main()
