"""``aisam/PokemonRed-v0``: Pokemon Red on a headless PyBoy, shaped for exploration research.

One action = ``action_freq`` emulated frames (default 24): the button is held for the
first ``press_frames`` (default 8) and released for the rest, as the established Pokemon
RL environments do, so one directional action walks about one tile. The screen is only
rendered on the last frame of an action, and not at all for ``obs_type="ram"`` without
``render_mode``. Episodes never terminate (a blackout sends the player to a Pokemon
Center); the registration truncates them.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from aisam_envs._quiet import quiet_sdl
from aisam_envs._render import check_render_mode
from aisam_envs.errors import (
    InvalidConfigError,
    ResetNeededError,
    check_action,
    check_int,
    reject_unknown_keywords,
    require_extra,
)
from aisam_envs.pokemon.ram import (
    WRAM_END,
    WRAM_START,
    GameState,
    decode_work_ram,
    read_game_state,
    read_work_ram,
)
from aisam_envs.pokemon.rewards import REWARD_TERMS, RewardConfig, RewardTracker
from aisam_envs.pokemon.rom import load_rom

__all__ = ["ACTION_MEANINGS", "OBS_TYPES", "PokemonRedEnv"]

#: The actions, in index order. SELECT and NOOP are left out, as in the established
#: Pokemon RL environments: SELECT does almost nothing in the game and a NOOP lets a
#: policy stall (every action still advances ``action_freq`` frames).
ACTION_MEANINGS: tuple[str, ...] = ("DOWN", "LEFT", "RIGHT", "UP", "A", "B", "START")
_BUTTONS = {"DOWN": "ARROW_DOWN", "LEFT": "ARROW_LEFT", "RIGHT": "ARROW_RIGHT", "UP": "ARROW_UP"}

#: Observation types and their shapes (all uint8).
OBS_TYPES: dict[str, tuple[int, ...]] = {
    "screen": (72, 80, 1),  # grayscale, every other row and column
    "rgb": (144, 160, 3),
    "ram": (WRAM_END - WRAM_START,),  # work RAM 0xC000-0xDFFF
}

StateSource = str | os.PathLike[str] | bytes


@reject_unknown_keywords
class PokemonRedEnv(gym.Env[np.ndarray, int]):
    """Pokemon Red (or Blue) in PyBoy, with RAM-decoded ``info`` and itemised shaped reward.

    Args:
        rom_path: the user's ROM; ``None`` reads ``AISAM_POKEMON_ROM``. Verified by SHA-1.
        allow_unknown_rom: run a ROM that is not a known Red/Blue dump (tests, homebrew).
        init_state: a PyBoy save state (file path or bytes) to start every episode from,
            e.g. one saved after the intro; ``None`` starts at power-on.
        obs_type: ``"screen"`` (72, 80, 1) grayscale (every other row and column, so
            pixels keep the 4 Game Boy shades), ``"rgb"`` (144, 160, 3) or ``"ram"``
            (8192,) work RAM 0xC000-0xDFFF; uint8, a fresh writable array each step.
            ``"rgb"`` arrays are views of their own (144, 160, 4) RGBA copy, so not
            C-contiguous (``np.ascontiguousarray`` them if a library insists).
        action_freq: emulated frames per action.
        press_frames: frames the button is held at the start of an action (< action_freq).
        reward_config: a :class:`RewardConfig` or ``{term: weight}`` dict.
        render_mode: ``None`` or ``"rgb_array"`` (the (144, 160, 3) screen).

    ``info`` holds the decoded game variables (:meth:`GameState.as_info`: ``x``, ``y``,
    ``map_id``, ``badges``, ``party_size``, ``levels``, ``hp``, ``max_hp``,
    ``hp_fraction``, ``money``, ``event_flags``, ``pokedex_seen``, ``pokedex_caught``),
    ``reward_terms`` (``{term: reward}`` of this step) and ``tiles_seen``.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 60}

    def __init__(
        self,
        rom_path: str | os.PathLike[str] | None = None,
        *,
        allow_unknown_rom: bool = False,
        init_state: StateSource | None = None,
        obs_type: str = "screen",
        action_freq: int = 24,
        press_frames: int = 8,
        reward_config: RewardConfig | Mapping[str, float] | None = None,
        render_mode: str | None = None,
    ) -> None:
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        action_freq, press_frames = _check_config(obs_type, action_freq, press_frames)
        self.reward_config = RewardConfig.create(reward_config)
        quiet_sdl()
        pyboy = require_extra("pyboy", "pokemon")
        window_event = require_extra("pyboy.utils", "pokemon").WindowEvent
        self.rom = load_rom(rom_path, allow_unknown=allow_unknown_rom)
        self.obs_type = obs_type
        self.action_freq = action_freq
        self.press_frames = press_frames
        self.action_space = gym.spaces.Discrete(len(ACTION_MEANINGS))
        self.observation_space = gym.spaces.Box(0, 255, OBS_TYPES[obs_type], np.uint8)
        names = [_BUTTONS.get(m, f"BUTTON_{m}") for m in ACTION_MEANINGS]
        self._press = [getattr(window_event, f"PRESS_{n}") for n in names]
        self._release = [getattr(window_event, f"RELEASE_{n}") for n in names]
        self._render_last = obs_type != "ram" or render_mode == "rgb_array"
        self._pyboy = pyboy.PyBoy(
            io.BytesIO(self.rom.data), window="null", sound_emulated=False, cgb=False
        )
        self._pyboy.set_emulation_speed(0)
        self._screen = self._pyboy.screen.ndarray  # (144, 160, 4) RGBA view, updated in place
        self._rewards = RewardTracker(self.reward_config)
        self._needs_reset = True
        self.metadata = {**self.metadata, "render_fps": 60 / action_freq}  # game time
        if init_state is None:
            self._initial_state = self.save_state()  # power-on
        else:
            self._initial_state = _read_state(init_state)
            self.load_state(self._initial_state)  # fails early on a bad state

    # -- gymnasium API -------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Restarts from ``init_state`` (or ``options["state"]``, bytes from :meth:`save_state`).

        The emulator is deterministic: ``seed`` only seeds ``self.np_random``.
        """
        super().reset(seed=seed)
        state = (options or {}).get("state", self._initial_state)
        self.load_state(state)
        obs, game = self._observe()
        self._rewards.reset(game)
        self._needs_reset = False
        return obs, self._info(game, dict.fromkeys(REWARD_TERMS, 0.0))

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Holds the button for ``press_frames``, releases it for the rest of ``action_freq``."""
        if self._needs_reset:
            raise ResetNeededError(
                "Call reset() before step() (and after close(), make a new env)."
            )
        index = check_action(action, len(ACTION_MEANINGS), ACTION_MEANINGS)
        pyboy = self._pyboy
        pyboy.send_input(self._press[index])
        pyboy.tick(self.press_frames, False, False)
        pyboy.send_input(self._release[index])
        pyboy.tick(self.action_freq - self.press_frames, self._render_last, False)
        obs, game = self._observe()
        reward, terms = self._rewards.step(game)
        return obs, reward, False, False, self._info(game, terms)

    def render(self) -> np.ndarray | None:
        """The last rendered frame, (144, 160, 3) uint8, for ``render_mode="rgb_array"``."""
        if self.render_mode != "rgb_array":
            return None
        return self._screen[:, :, :3].copy()

    def close(self) -> None:
        """Stops the emulator (without writing any save file); idempotent."""
        if getattr(self, "_pyboy", None) is not None:
            self._pyboy.stop(save=False)
            self._pyboy = None
        self._needs_reset = True

    # -- Go-Explore-style state access ---------------------------------------------------

    def save_state(self) -> bytes:
        """The complete emulator state, as bytes (also a valid ``init_state`` file)."""
        buffer = io.BytesIO()
        self._emulator().save_state(buffer)
        return buffer.getvalue()

    def load_state(self, state: bytes) -> None:
        """Restores an emulator state from :meth:`save_state` in the running episode.

        The episode's reward memory (tiles seen, maxima) is kept; the next step is
        rewarded relative to the restored state. Use ``reset(options={"state": ...})``
        to start a fresh episode from it instead. If the bytes are not a state, the error
        leaves the episode ended: call ``reset()``.
        """
        pyboy = self._emulator()
        if not isinstance(state, (bytes, bytearray, memoryview)):
            raise InvalidConfigError(
                f"A state must be bytes from save_state(), got {type(state).__name__}"
            )
        try:
            pyboy.load_state(io.BytesIO(state))
        except Exception as exc:  # PyBoy raises assorted errors on foreign data
            self._needs_reset = True  # the emulator may hold half a state
            raise InvalidConfigError(
                f"Not a PyBoy save state of this emulator version ({exc!r}); use bytes from "
                "save_state() or a file written by PyBoy.save_state."
            ) from None
        if not self._needs_reset:
            self._rewards.rebase(read_game_state(pyboy.memory))

    def get_action_meanings(self) -> list[str]:
        """Button names of the actions, by index."""
        return list(ACTION_MEANINGS)

    @property
    def pyboy(self) -> Any:
        """The underlying ``pyboy.PyBoy`` (read memory, take screenshots; do not tick it)."""
        return self._pyboy

    @property
    def game_state(self) -> GameState:
        """The decoded game variables now."""
        return read_game_state(self._pyboy.memory)

    # -- internals -----------------------------------------------------------------------

    def _emulator(self) -> Any:
        if self._pyboy is None:
            raise gym.error.ClosedEnvironmentError("The environment is closed: make a new one.")
        return self._pyboy

    def _observe(self) -> tuple[np.ndarray, GameState]:
        """The observation and the decoded game state, reading each byte of RAM once."""
        if self.obs_type == "ram":
            wram = read_work_ram(self._pyboy.memory)  # decoded from the same copy
            return np.frombuffer(wram, np.uint8), decode_work_ram(wram)
        game = read_game_state(self._pyboy.memory)
        if self.obs_type == "screen":
            return self._screen[::2, ::2, :1].copy(), game  # DMG palette: R = G = B
        # a copy of the whole RGBA frame (one memcpy) viewed without alpha: 10x faster
        # than gathering the three channels into a contiguous (144, 160, 3) array
        return self._screen.copy()[:, :, :3], game

    def _info(self, game: GameState, terms: dict[str, float]) -> dict[str, Any]:
        info = game.as_info()
        info["reward_terms"] = terms
        info["tiles_seen"] = self._rewards.tiles_seen
        return info


def _check_config(obs_type: str, action_freq: int, press_frames: int) -> tuple[int, int]:
    """Checks the options; returns ``action_freq`` (frames per action, >= 2) and
    ``press_frames`` (frames the button is held, fewer than ``action_freq``) as Python ints."""
    if obs_type not in OBS_TYPES:
        raise InvalidConfigError(f"obs_type must be one of {list(OBS_TYPES)}, got {obs_type!r}")
    action_freq = check_int("action_freq", action_freq, 2)
    return action_freq, check_int("press_frames", press_frames, 1, action_freq - 1)


def _read_state(init_state: StateSource) -> bytes:
    if isinstance(init_state, (bytes, bytearray)):
        return bytes(init_state)
    try:
        return Path(init_state).read_bytes()
    except OSError as exc:
        raise InvalidConfigError(
            f"Cannot read init_state {str(init_state)!r} ({exc.strerror}): give the path of a "
            "PyBoy save-state file, e.g. one written from env.unwrapped.save_state()."
        ) from None
    except TypeError:
        raise InvalidConfigError(
            f"init_state must be a file path or bytes, got {type(init_state).__name__}"
        ) from None
