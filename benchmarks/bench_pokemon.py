"""aisam/PokemonRed-v0 steps/s against raw PyBoy ticking the same frames (target >= 90%).

The anchor is a bare ``PyBoy`` on the same ROM and start state doing exactly the
emulator work of one env step: press a button, tick ``press_frames`` frames unrendered,
release, tick the rest rendering only the last (not at all for ``ram`` observations).
The env adds what it adds on top: RAM decoding, reward, observation, ``info``, and the
``gym.make`` wrappers. Anchor and env alternate in short blocks so load drift hits both,
and are timed in CPU time of this thread (robust when other processes share the cores);
steps/s and ``ratio`` use median CPU time per block, ``wall`` is the same ratio in wall
time.

By default this runs the homebrew test ROM of ``tests/envs/pokemon/homebrew_rom.py``
(the real game is copyrighted); ``--rom`` runs your own Pokemon Red dump from power-on.

    python benchmarks/bench_pokemon.py [--block 50] [--blocks 60] [--rom PokemonRed.gb]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import gymnasium as gym

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_envs.pokemon.env import ACTION_MEANINGS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "envs" / "pokemon"))
from homebrew_rom import build_rom  # noqa: E402

ACTION_FREQ, PRESS_FRAMES = 24, 8


def make_anchor(rom: bytes, state: bytes, render: bool):
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


def block_time(step, n: int) -> tuple[float, float]:
    """(wall, CPU) seconds of this thread for ``n`` calls of ``step(action)``."""
    wall, cpu = time.perf_counter(), time.thread_time()
    for i in range(n):
        step(i % 7)
    return time.perf_counter() - wall, time.thread_time() - cpu


def bench_obs_type(rom_path: Path, unknown: bool, obs_type: str, args) -> dict[str, float]:
    env = gym.make(
        "aisam/PokemonRed-v0", rom_path=rom_path, allow_unknown_rom=unknown, obs_type=obs_type
    )
    env.reset(seed=0)
    for i in range(300):  # past the boot, into the program's (or game's) steady state
        env.step(i % 7)
    state = env.unwrapped.save_state()
    anchor, pyboy = make_anchor(env.unwrapped.rom.data, state, render=obs_type != "ram")
    env.unwrapped.load_state(state)
    raw_times, env_times = [], []
    for _ in range(args.blocks):  # alternate short blocks so load changes hit both
        raw_times.append(block_time(anchor, args.block))
        env_times.append(block_time(env.step, args.block))
    (raw_wall, raw_cpu), (env_wall, env_cpu) = (
        [statistics.median(column) for column in zip(*times, strict=True)]
        for times in (raw_times, env_times)
    )
    timings = {}
    for name, call in (
        ("save_state", env.unwrapped.save_state),
        ("load_state", lambda: env.unwrapped.load_state(state)),
        ("reset", env.reset),
    ):
        start = time.perf_counter()
        for _ in range(5):
            call()
        timings[name] = (time.perf_counter() - start) / 5 * 1000
    env.close()
    pyboy.stop(save=False)
    return {
        "env": args.block / env_cpu,
        "raw": args.block / raw_cpu,
        "ratio": raw_cpu / env_cpu,
        "wall": raw_wall / env_wall,
        **timings,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--block", type=int, default=50, help="steps per timed block")
    parser.add_argument("--blocks", type=int, default=60, help="alternating blocks per side")
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
            f"aisam/PokemonRed-v0 on {label}: action_freq={ACTION_FREQ}, "
            f"{args.blocks} alternating blocks of {args.block} steps"
        )
        header = (
            f"{'obs_type':8} {'env steps/s':>12} {'raw PyBoy':>10} {'ratio':>7} "
            f"{'wall':>6} {'save ms':>8} {'load ms':>8} {'reset ms':>9}"
        )
        print(header)
        print("-" * len(header))
        for obs_type in args.obs:
            r = bench_obs_type(rom_path, unknown, obs_type, args)
            print(
                f"{obs_type:8} {r['env']:12.0f} {r['raw']:10.0f} {r['ratio']:7.1%} "
                f"{r['wall']:6.1%} {r['save_state']:8.1f} {r['load_state']:8.1f} "
                f"{r['reset']:9.1f}"
            )


if __name__ == "__main__":
    main()
