"""The worker side of :class:`~aisam_envs.montezuma_rooms.MontezumaRoomsVectorEnv`.

A worker process owns a few emulators (:class:`Game`), each with ``AtariVectorEnv``'s
preprocessing, writing its observation and RAM state into its rows of the shared arrays.
It waits for one-byte commands on a socket (:data:`STEP`, :data:`RESET`, :data:`CLOSE`) and
answers :data:`OK`, or :data:`FAILED` and the traceback of what failed (:func:`read_failure`).
Plain ``os.read``/``os.write`` of single bytes on the socket's descriptor: one system call
each way per worker and step (``Connection.send_bytes``' framing takes two, plus Python).
"""

from __future__ import annotations

import contextlib
import os
import signal
import struct
import traceback
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode

from aisam_envs._quiet import quiet_ale
from aisam_envs.errors import require_extra
from aisam_envs.montezuma import RAM_INVENTORY, RAM_LEVEL, RAM_ROOM, RAM_X, RAM_Y

ale_py = require_extra("ale_py", "atari")
cv2 = require_extra("cv2", "atari")

INFO_KEYS: tuple[str, ...] = (
    "room",
    "x",
    "y",
    "level",
    "lives",
    "inventory",
    "rooms_visited",
    "episode_frame_number",
    "frame_number",
)
"""The int32 per-env ``info`` keys, in the column order of the shared info block."""

STEP, RESET, CLOSE, OK, FAILED = b"s", b"r", b"c", b"k", b"f"
"""The commands a worker takes, and its two answers."""

Layout = dict[str, tuple[tuple[int, ...], str]]
"""Shared array name -> (shape, dtype)."""

_SCREEN = (210, 160)


class Game:
    """One emulator with ``AtariVectorEnv``'s preprocessing, writing into shared rows.

    Args:
        cfg: the env's settings (the dict built by :class:`MontezumaRoomsVectorEnv`).
        obs: its ``(stack_num, H, W)`` row of the shared observations.
        info: its ``(len(INFO_KEYS),)`` row of the shared info block.
        seed: entropy for its first unseeded reset.
    """

    def __init__(self, cfg: dict[str, Any], obs: np.ndarray, info: np.ndarray, seed: int) -> None:
        self.ale = ale = ale_py.ALEInterface()
        ale.setFloat("repeat_action_probability", cfg["repeat_action_probability"])
        ale.setInt("max_num_frames_per_episode", cfg["max_num_frames_per_episode"])
        self.cfg, self.obs, self.info = cfg, obs, info
        self.actions = [getattr(ale_py.Action, name) for name in cfg["actions"]]
        self.frameskip, self.episodic_life = cfg["frameskip"], cfg["episodic_life"]
        # cv2's (width, height), or None when the frames keep the screen's size
        self.size = None if obs.shape[1:] == _SCREEN else (obs.shape[2], obs.shape[1])
        self.raw = np.zeros((2, *_SCREEN), np.uint8)  # the last two frames of a skip
        self.ram = np.zeros(128, np.uint8)
        self.visited: set[tuple[int, int]] = set()
        self.lives = 0
        self.done = True  # as in ale-py: a step before any reset is a reset
        self._seed(seed)

    def _seed(self, seed: int) -> None:
        """Seeds the ALE (sticky actions) and the no-op draws, as ``AtariEnv.seed_game``."""
        np_seed, ale_seed = np.random.SeedSequence(seed).generate_state(2)
        self.rng = np.random.default_rng(int(np_seed))
        self.ale.setInt("random_seed", int(np.int32(ale_seed)))
        self.ale.loadROM(self.cfg["rom"])

    def reset(self, seed: int | None) -> None:
        """New episode: ``seed`` reseeds first; then no-ops (and FIRE), the stack filled."""
        ale, cfg = self.ale, self.cfg
        if seed is not None:
            self._seed(seed)
        ale.reset_game()
        fire = cfg["use_fire_reset"]
        noops = int(self.rng.integers(cfg["noop_max"])) + 1 - fire if cfg["noop_max"] else 0
        for _ in range(noops):
            ale.act(ale_py.Action.NOOP)
            if ale.game_over():
                ale.reset_game()
        if fire:
            ale.act(ale_py.Action.FIRE)
        self.raw[0] = 0
        ale.getScreenGrayscale(self.raw[1])
        self._push_frame()
        self.obs[:-1] = 0  # as ale-py 0.12's vector env: only the newest frame is set
        self.lives = ale.lives()
        self.visited.clear()
        self.done = False
        self._write_info()

    def step(self, action: int) -> tuple[float, bool, bool]:
        """Plays ``action`` for ``frameskip`` frames (fewer if the game ends); returns the raw
        reward, terminated and truncated."""
        ale, raw, lives = self.ale, self.raw, self.lives
        played, reward, over = self.actions[action], 0, False
        for skip in range(self.frameskip, 0, -1):
            reward += ale.act(played)
            over = ale.game_over()  # with truncation: the frame cap also stops the skip
            if self.episodic_life and 0 < ale.lives() < lives:
                over = True
            if skip <= 2:
                ale.getScreenGrayscale(raw[2 - skip])
            if over:
                break
        self._push_frame()
        terminated = ale.game_over(with_truncation=False) or (
            self.episodic_life and 0 < ale.lives() < lives
        )
        truncated = not terminated and ale.game_truncated()
        self.lives = ale.lives()
        self.done = terminated or truncated
        self._write_info()
        return float(reward), terminated, truncated

    def _push_frame(self) -> None:
        """Max-pools the last two frames, resizes, and appends to the stack (newest last)."""
        if self.cfg["maxpool"]:
            np.maximum(self.raw[0], self.raw[1], out=self.raw[0])
        else:
            self.raw[0] = self.raw[1]
        self.obs[:-1] = self.obs[1:]
        if self.size is None:
            self.obs[-1] = self.raw[0]
        else:
            cv2.resize(self.raw[0], self.size, dst=self.obs[-1], interpolation=cv2.INTER_AREA)

    def _write_info(self) -> None:
        ale, ram, info = self.ale, self.ram, self.info
        ale.getRAM(ram)
        room, level = int(ram[RAM_ROOM]), int(ram[RAM_LEVEL])
        self.visited.add((level, room))
        info[:] = (
            room,
            ram[RAM_X],
            ram[RAM_Y],
            level,
            self.lives,
            ram[RAM_INVENTORY],
            len(self.visited),
            ale.getEpisodeFrameNumber(),
            ale.getFrameNumber(),
        )


def views(buffers: dict[str, Any], layout: Layout) -> dict[str, np.ndarray]:
    """Numpy views of the shared buffers, by name."""
    return {
        name: np.frombuffer(buffers[name], dtype=dtype).reshape(shape)
        for name, (shape, dtype) in layout.items()
    }


def worker(
    conn: Connection,
    envs: range,
    buffers: dict[str, Any],
    layout: Layout,
    cfg: dict[str, Any],
    seeds: Sequence[int],
) -> None:
    """Worker process: steps or resets its ``envs`` on each command, replies ``OK`` (or
    ``FAILED`` and the traceback of what failed, then stops)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    cv2.setNumThreads(1)
    quiet_ale(ale_py)
    fd = conn.fileno()
    try:
        a = views(buffers, layout)
        games = {i: Game(cfg, a["obs"][i], a["info"][i], seeds[i]) for i in envs}
        os.write(fd, OK)  # loaded
        same_step = cfg["autoreset_mode"] == AutoresetMode.SAME_STEP
        while True:
            command = os.read(fd, 1)
            if command in (CLOSE, b""):  # b"": the main process is gone
                return
            if command == RESET:
                for i, game in games.items():
                    if a["reset_mask"][i]:
                        game.reset(int(a["seeds"][i]) if a["seeded"][i] else None)
            else:
                for i, game in games.items():
                    if game.done and not same_step:  # NEXT_STEP: this step is the reset
                        game.reset(None)
                        a["raw_reward"][i], a["terminated"][i], a["truncated"][i] = 0, 0, 0
                        continue
                    reward, terminated, truncated = game.step(int(a["actions"][i]))
                    a["raw_reward"][i], a["terminated"][i], a["truncated"][i] = (
                        reward, terminated, truncated,
                    )  # fmt: skip
                    a["final"][i] = game.done and same_step
                    if a["final"][i]:
                        a["final_obs"][i] = a["obs"][i]
                        a["final_info"][i] = a["info"][i]
                        game.reset(None)
            os.write(fd, OK)
    except BaseException:  # report anything, then stop: the main process raises it
        message = traceback.format_exc().encode()
        with contextlib.suppress(OSError):  # unless the main process is gone
            _write_all(fd, FAILED + struct.pack("<I", len(message)) + message)


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data) :]


def read_failure(fd: int) -> str:
    """The traceback a worker sent after :data:`FAILED` (a 4-byte length, then the text)."""
    data = b""
    while len(data) < 4 or len(data) < 4 + struct.unpack("<I", data[:4])[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return data[4:].decode(errors="replace")
