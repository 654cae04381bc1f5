"""``aisam/Montezuma-Reduced-v0``: Montezuma's Revenge on ale-py with six actions.

Montezuma's "minimal" ALE action set is all 18 joystick combinations; this env keeps
the six that learnmax used, ``NOOP, FIRE, UP, RIGHT, LEFT, DOWN`` (:data:`ACTION_NAMES`),
and maps them explicitly onto ALE actions (:data:`REDUCED_ACTIONS`). Note that ``FIRE``
alone jumps straight up: the running jumps of ``RIGHTFIRE``/``LEFTFIRE`` are not in
the set (see ``docs/montezuma.md``).

Two classes, both thin subclasses of ale-py's own so that every option passes through:

- :class:`MontezumaReducedEnv` (``AtariEnv``): one emulator; ``info`` adds the game
  state decoded from RAM (:func:`decode_ram`) and ``rooms_visited``.
- :class:`MontezumaReducedVectorEnv` (``AtariVectorEnv``): ale-py's threaded C++ vector
  env with its preprocessing (84x84 grayscale, frame stack, ...); ale-py exposes no RAM
  there, so its ``info`` is ale-py's (``lives``, ``frame_number``, ...).

RAM map (ALE's ``getRAM()`` is the console's 128 bytes at ``0x80-0xFF``; index =
address - ``0x80``). Verified in ``tests/envs/test_montezuma.py`` by scripted play:

====================  =======  =====  ==================================================
info key              address  index  meaning
====================  =======  =====  ==================================================
``room``              0x83     3      room number, 0-23; the game starts in room 1
``x``                 0xAA     42     player x, grows to the right (about 0-152)
``y``                 0xAB     43     player y, grows *upwards* (235 on the start ledge)
``level``             0xB9     57     level (pyramid), 0-based
``lives``             0xBA     58     spare lives in the low 3 bits; ``lives`` is that + 1
                                      (``info["lives"]`` is ``ale.lives()``: the same, but
                                      0 once the game is over)
``inventory``         0xC1     65     bit mask, one bit per HUD slot (:data:`INVENTORY_BITS`)
====================  =======  =====  ==================================================
"""

from __future__ import annotations

import inspect
from typing import Any, Literal

import numpy as np
from gymnasium import spaces, utils
from gymnasium.vector.utils import batch_space

from aisam_envs.errors import (
    InvalidActionError,
    InvalidConfigError,
    check_action,
    require_extra,
)

ale_py = require_extra("ale_py", "atari")  # a missing ale-py names the "atari" extra
from ale_py.env import AtariEnv  # noqa: E402
from ale_py.vector_env import AtariVectorEnv  # noqa: E402

__all__ = [
    "ACTION_NAMES",
    "GAME",
    "INVENTORY_BITS",
    "REDUCED_ACTIONS",
    "MontezumaReducedEnv",
    "MontezumaReducedVectorEnv",
    "decode_ram",
]

GAME = "montezuma_revenge"

ACTION_NAMES: tuple[str, ...] = ("NOOP", "FIRE", "UP", "RIGHT", "LEFT", "DOWN")
"""Meaning of reduced actions 0..5 (``FIRE`` is the jump)."""

REDUCED_ACTIONS: tuple[Any, ...] = (
    ale_py.Action.NOOP,
    ale_py.Action.FIRE,
    ale_py.Action.UP,
    ale_py.Action.RIGHT,
    ale_py.Action.LEFT,
    ale_py.Action.DOWN,
)
"""The ALE action that reduced action ``i`` plays."""

N_ACTIONS = len(REDUCED_ACTIONS)

RAM_ROOM = 0x83 - 0x80
RAM_X = 0xAA - 0x80
RAM_Y = 0xAB - 0x80
RAM_LEVEL = 0xB9 - 0x80
RAM_LIVES = 0xBA - 0x80
RAM_INVENTORY = 0xC1 - 0x80

INVENTORY_BITS: tuple[tuple[int, str], ...] = (
    (0x80, "torch"),
    (0x40, "sword"),
    (0x20, "sword"),
    (0x10, "key"),
    (0x08, "key"),
    (0x04, "key"),
    (0x02, "key"),
    (0x01, "amulet"),
)
"""Bits of the inventory byte (0xC1) in HUD order, left to right."""

_INVENTORY: tuple[tuple[str, ...], ...] = tuple(
    tuple(name for bit, name in INVENTORY_BITS if byte & bit) for byte in range(256)
)

DEFAULT_MAX_FRAMES = 108_000  # ALE v5: 30 minutes of play at 60 frames/s

_OBS_TYPES = ("rgb", "grayscale", "ram")
_RENDER_MODES = (None, "rgb_array", "human")
_VECTOR_OPTIONS = frozenset(inspect.signature(AtariVectorEnv.__init__).parameters) - {
    "self",
    "game",
    "num_envs",
    "frameskip",
    "repeat_action_probability",
    "max_num_frames_per_episode",
    "full_action_space",
    "continuous",
    "continuous_action_threshold",
}


def decode_ram(ram: np.ndarray | bytes) -> dict[str, Any]:
    """Montezuma's state from the 128-byte RAM (see the module's RAM map).

    Args:
        ram: ``(128,)`` uint8, as returned by ``ale.getRAM()``.

    Returns:
        ``room``, ``x``, ``y``, ``level``, ``lives`` (ints) and ``inventory`` (tuple of
        item names, e.g. ``("key",)``).
    """
    b = ram.tobytes() if isinstance(ram, np.ndarray) else bytes(ram)  # 3x faster than bytes()
    return {
        "room": b[RAM_ROOM],
        "x": b[RAM_X],
        "y": b[RAM_Y],
        "level": b[RAM_LEVEL],
        "lives": (b[RAM_LIVES] & 0x7) + 1,
        "inventory": _INVENTORY[b[RAM_INVENTORY]],
    }


def _refuse_other_action_spaces(full_action_space: bool, continuous: bool) -> None:
    if full_action_space or continuous:
        raise InvalidConfigError(
            "aisam/Montezuma-Reduced-v0 has its own 6-action space (NOOP, FIRE, UP, RIGHT, "
            "LEFT, DOWN); full_action_space=True and continuous=True are not supported. "
            'Use gym.make("ALE/MontezumaRevenge-v5", full_action_space=True) for all 18.'
        )


def _check_protocol(
    frameskip: Any, repeat_action_probability: Any, max_frames: Any
) -> int | tuple[int, int]:
    """Checks frame skip, sticky actions and frame cap before ale-py sees them.

    Returns:
        ``frameskip`` as ale-py wants it (a Python int or a tuple of two).
    """
    fixed = isinstance(frameskip, int | np.integer) and not isinstance(frameskip, bool)
    ranged = (
        isinstance(frameskip, tuple)
        and len(frameskip) == 2
        and all(isinstance(f, int) for f in frameskip)
        and 0 < frameskip[0] < frameskip[1]
    )
    if not ((fixed and frameskip > 0) or ranged):
        raise InvalidConfigError(
            f"frameskip must be a positive int or a (low, high) tuple with 0 < low < high, "
            f"got {frameskip!r}"
        )
    if not isinstance(repeat_action_probability, int | float) or not (
        0.0 <= repeat_action_probability <= 1.0
    ):
        raise InvalidConfigError(
            f"repeat_action_probability must be a number in [0, 1], got "
            f"{repeat_action_probability!r}"
        )
    if max_frames is not None and (
        not isinstance(max_frames, int | np.integer)
        or isinstance(max_frames, bool)
        or max_frames <= 0
    ):
        raise InvalidConfigError(
            f"max_num_frames_per_episode must be a positive int or None, got {max_frames!r}"
        )
    return int(frameskip) if fixed else frameskip


class MontezumaReducedEnv(AtariEnv):
    """Montezuma's Revenge with actions ``NOOP, FIRE, UP, RIGHT, LEFT, DOWN``.

    Everything but the action space is ale-py's ``AtariEnv``: observations, rewards,
    sticky actions, frame skip, truncation at the frame cap, ``render``,
    ``clone_state``. ``info`` carries ale-py's keys plus the RAM state of
    :func:`decode_ram` and ``rooms_visited``, the number of distinct
    ``(level, room)`` pairs seen this episode (the usual small-budget exploration metric).

    Args:
        mode: game mode (ALE ``setMode``); ``None`` for the default.
        difficulty: game difficulty (ALE ``setDifficulty``); ``None`` for the default.
        obs_type: ``"rgb"`` ``(210, 160, 3)``, ``"grayscale"`` ``(210, 160)`` or
            ``"ram"`` ``(128,)``, all uint8.
        frameskip: emulator frames per step, or ``(low, high)`` for a random skip.
        repeat_action_probability: sticky-action probability per frame (v5: 0.25).
        full_action_space: must be ``False`` (the point of this env is 6 actions).
        continuous: must be ``False``.
        max_num_frames_per_episode: frames before ``truncated``; ``None`` for no cap.
        render_mode: ``None``, ``"rgb_array"`` or ``"human"``.
        sound_obs: add the audio (``Dict`` observation with ``image`` and ``sound``).
    """

    def __init__(
        self,
        mode: int | None = None,
        difficulty: int | None = None,
        obs_type: Literal["rgb", "grayscale", "ram"] = "rgb",
        frameskip: tuple[int, int] | int = 4,
        repeat_action_probability: float = 0.25,
        full_action_space: bool = False,
        continuous: bool = False,
        max_num_frames_per_episode: int | None = DEFAULT_MAX_FRAMES,
        render_mode: Literal["human", "rgb_array"] | None = None,
        sound_obs: bool = False,
    ) -> None:
        _refuse_other_action_spaces(full_action_space, continuous)
        frameskip = _check_protocol(
            frameskip, repeat_action_probability, max_num_frames_per_episode
        )
        if obs_type not in _OBS_TYPES:
            raise InvalidConfigError(f"obs_type must be one of {_OBS_TYPES}, got {obs_type!r}")
        if render_mode not in _RENDER_MODES:
            raise InvalidConfigError(
                f"render_mode must be one of {_RENDER_MODES}, got {render_mode!r}"
            )
        settings = {
            "mode": mode,
            "difficulty": difficulty,
            "obs_type": obs_type,
            "frameskip": frameskip,
            "repeat_action_probability": repeat_action_probability,
            "max_num_frames_per_episode": max_num_frames_per_episode,
            "render_mode": render_mode,
            "sound_obs": sound_obs,
        }
        super().__init__(GAME, **settings)
        # AtariEnv's own pickling would rebuild a plain 18-action AtariEnv.
        utils.EzPickle.__init__(self, **settings)
        # AtariEnv.step plays self._action_set[action]: the mapping lives here.
        self._action_set = list(REDUCED_ACTIONS)
        self.action_space = spaces.Discrete(N_ACTIONS)
        self._visited: set[tuple[int, int]] = set()
        self._ram = np.zeros(self.ale.getRAMSize(), np.uint8)  # filled in place each step

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Starts an episode; ``info`` as in :meth:`step`, ``rooms_visited`` back to 1."""
        self._visited.clear()
        return super().reset(seed=seed, options=options)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Plays reduced action ``action`` (int in ``[0, 6)``) for ``frameskip`` frames."""
        return super().step(check_action(action, N_ACTIONS, ACTION_NAMES))

    def _get_info(self) -> dict[str, Any]:  # called by AtariEnv.reset and AtariEnv.step
        self.ale.getRAM(self._ram)
        info = decode_ram(self._ram)
        info["lives"] = self.ale.lives()  # the same byte, but 0 once the game is over
        self._visited.add((info["level"], info["room"]))
        info["rooms_visited"] = len(self._visited)
        info["episode_frame_number"] = self.ale.getEpisodeFrameNumber()
        info["frame_number"] = self.ale.getFrameNumber()
        return info


class MontezumaReducedVectorEnv(AtariVectorEnv):
    """ale-py's C++ ``AtariVectorEnv`` on Montezuma with the 6 reduced actions.

    The protocol defaults are ALE v5's (ale-py's own vector default for sticky actions
    is 0.0, so it is always passed explicitly); every preprocessing option of
    ``AtariVectorEnv`` passes through. Observations are its preprocessed frames,
    ``(num_envs, stack_num, img_height, img_width)`` uint8 for grayscale. Autoreset is
    ale-py's (``NEXT_STEP`` unless ``autoreset_mode`` says otherwise).

    Args:
        num_envs: number of emulators.
        frameskip: emulator frames per step.
        repeat_action_probability: sticky-action probability per frame (v5: 0.25).
        max_num_frames_per_episode: frames before an env is truncated.
        full_action_space: must be ``False``.
        continuous: must be ``False``.
        **options: any other ``AtariVectorEnv`` keyword (``num_threads``,
            ``batch_size``, ``img_height``, ``img_width``, ``grayscale``, ``stack_num``,
            ``maxpool``, ``noop_max``, ``episodic_life``, ``reward_clipping``,
            ``use_fire_reset``, ``autoreset_mode``, ...).

    Attributes:
        ale_kwargs: the keywords given to ``AtariVectorEnv`` besides game and
            ``num_envs``: a raw ``AtariVectorEnv(GAME, n, **ale_kwargs)`` is this env
            with 18 actions.
    """

    def __init__(
        self,
        num_envs: int = 1,
        *,
        frameskip: int = 4,
        repeat_action_probability: float = 0.25,
        max_num_frames_per_episode: int = DEFAULT_MAX_FRAMES,
        full_action_space: bool = False,
        continuous: bool = False,
        **options: Any,
    ) -> None:
        _refuse_other_action_spaces(full_action_space, continuous)
        if isinstance(frameskip, tuple) or max_num_frames_per_episode is None:
            raise InvalidConfigError(
                "the vector env needs an int frameskip and an int max_num_frames_per_episode, "
                f"got {frameskip!r} and {max_num_frames_per_episode!r}"
            )
        frameskip = _check_protocol(
            frameskip, repeat_action_probability, max_num_frames_per_episode
        )
        unknown = sorted(set(options) - _VECTOR_OPTIONS)
        if unknown:
            raise InvalidConfigError(
                f"unknown AtariVectorEnv options {unknown}; valid: {sorted(_VECTOR_OPTIONS)} "
                "(single-env options such as obs_type do not apply to the vector env)"
            )
        if isinstance(num_envs, bool) or not isinstance(num_envs, int | np.integer) or num_envs < 1:
            raise InvalidConfigError(f"num_envs must be a positive int, got {num_envs!r}")
        self.ale_kwargs: dict[str, Any] = {
            "frameskip": frameskip,
            "repeat_action_probability": repeat_action_probability,
            "max_num_frames_per_episode": max_num_frames_per_episode,
            **options,
        }
        super().__init__(GAME, int(num_envs), **self.ale_kwargs)
        # ale-py's vector interface takes indices into its action set.
        action_set = list(self.ale.get_action_set())
        self._ale_index = np.array([action_set.index(a) for a in REDUCED_ACTIONS], np.int32)
        self._strength = np.ones(self.batch_size, dtype=np.float32)
        self.single_action_space = spaces.Discrete(N_ACTIONS)
        self.action_space = batch_space(self.single_action_space, self.batch_size)

    def get_action_meanings(self) -> list[str]:
        """Names of actions 0..5."""
        return list(ACTION_NAMES)

    def send(self, actions: Any) -> None:
        """Sends ``(batch_size,)`` integer actions in ``[0, 6)`` to the emulators."""
        a = np.asarray(actions)
        if a.dtype.kind not in "iu" or a.shape != (self.batch_size,):
            raise InvalidActionError(
                f"actions must be {self.batch_size} integers in [0, {N_ACTIONS}), shape "
                f"({self.batch_size},); got dtype {a.dtype}, shape {a.shape}"
            )
        if a.min() < 0 or a.max() >= N_ACTIONS:
            raise InvalidActionError(
                f"actions must lie in [0, {N_ACTIONS}) ({', '.join(ACTION_NAMES)}); got {a}"
            )
        self.ale.send(self._ale_index[a], self._strength)
