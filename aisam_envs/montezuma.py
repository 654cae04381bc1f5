"""``aisam/Montezuma-Reduced-v0``: Montezuma's Revenge on ale-py with six (or eight) actions.

Montezuma's "minimal" ALE action set is all 18 joystick combinations; this env keeps
the six that learnmax used, ``NOOP, FIRE, UP, RIGHT, LEFT, DOWN`` (:data:`ACTION_NAMES`),
and maps them explicitly onto ALE actions (:data:`REDUCED_ACTIONS`). ``FIRE`` alone
jumps straight up, and the first room's rope, key and doors need a running jump:
``running_jumps=True`` appends ``RIGHTFIRE`` (6) and ``LEFTFIRE`` (7)
(:data:`RUNNING_JUMP_NAMES`), so indices 0-5 mean the same either way (see
``docs/montezuma.md``).

Two classes, both thin subclasses of ale-py's own so that every option passes through:

- :class:`MontezumaReducedEnv` (``AtariEnv``): one emulator; ``info`` adds the game
  state decoded from RAM (:func:`decode_ram`) and ``rooms_visited``.
- :class:`MontezumaReducedVectorEnv` (``AtariVectorEnv``): ale-py's threaded C++ vector
  env with its preprocessing (84x84 grayscale, frame stack, ...); ale-py exposes no RAM
  there, so its ``info`` is ale-py's (``lives``, ``frame_number``, ...). The vector entry
  point with ``ram_info=True`` gives
  :class:`~aisam_envs.montezuma_rooms.MontezumaRoomsVectorEnv` instead: the same frames,
  and the RAM state per env in ``info``.

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
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from gymnasium import spaces, utils
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from aisam_envs._quiet import quiet_ale
from aisam_envs.errors import (
    InvalidActionError,
    InvalidConfigError,
    check_action,
    check_bool,
    check_int,
    reject_unknown_keywords,
    require_extra,
    unknown_keywords_error,
)

ale_py = require_extra("ale_py", "atari")  # a missing ale-py names the "atari" extra
from ale_py.env import AtariEnv  # noqa: E402
from ale_py.vector_env import AtariVectorEnv  # noqa: E402

__all__ = [
    "ACTION_NAMES",
    "DIFFICULTIES",
    "FIRST_ROOM_EXIT",
    "GAME",
    "INVENTORY_BITS",
    "MODES",
    "REDUCED_ACTIONS",
    "RUNNING_JUMPS",
    "RUNNING_JUMP_NAMES",
    "MontezumaReducedEnv",
    "MontezumaReducedVectorEnv",
    "check_vector_actions",
    "check_vector_seed",
    "decode_ram",
    "script_actions",
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

RUNNING_JUMP_NAMES: tuple[str, ...] = ("RIGHTFIRE", "LEFTFIRE")
"""Meaning of actions 6 and 7 with ``running_jumps=True``."""

RUNNING_JUMPS: tuple[Any, ...] = (ale_py.Action.RIGHTFIRE, ale_py.Action.LEFTFIRE)
"""The ALE actions that actions 6 and 7 play with ``running_jumps=True``."""

FIRST_ROOM_EXIT = (
    ">1 N4 U7 >2 N3 D10 L14 N9 R1 <1 N13 L2 <8 N8 U9 N4 <1 N3 R6 N2 D3 N15 D7 N11 R2 "
    "N24 >5 N1 R11 >1 N5 >1 N2 U11 <1 N6 <1 N3 U15 L2 >1 N5 >7 R11"
)
"""A way out of room 1 into room 2 with ``running_jumps=True``, frameskip 4, no sticky
actions and no no-op starts (the ALE is then deterministic): picks up the key (+100),
opens the right door with it (+300), walks into room 2. Found by the Go-Explore search of
docs/montezuma.md and pruned; tokens of an action code and a repeat count, see
:func:`script_actions`. For demos, tests and probes of what an agent could see."""


def script_actions(script: str) -> list[int]:
    """The action indices (``running_jumps=True``) of a script such as
    :data:`FIRST_ROOM_EXIT`: each token is a code, ``N F U R L D`` for actions 0-5 and
    ``>`` / ``<`` for the running jumps 6 / 7, then how many steps to repeat it."""
    codes = "NFURLD><"
    return [codes.index(token[0]) for token in script.split() for _ in range(int(token[1:]))]


def _actions(running_jumps: Any) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """Names and ALE actions of the action set: the six, plus the two jumps if asked."""
    if check_bool("running_jumps", running_jumps):
        return ACTION_NAMES + RUNNING_JUMP_NAMES, REDUCED_ACTIONS + RUNNING_JUMPS
    return ACTION_NAMES, REDUCED_ACTIONS


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

MODES: tuple[int, ...] = (0,)
"""Montezuma's game modes (ALE ``getAvailableModes``): there is only the default."""

DIFFICULTIES: tuple[int, ...] = (0,)
"""Montezuma's difficulties (ALE ``getAvailableDifficulties``): only the default."""

_INT32_MAX = 2**31 - 1  # ale-py's C++ settings and seeds are 32-bit ints
_OBS_TYPES = ("rgb", "grayscale", "ram")
_RENDER_MODES = (None, "rgb_array", "human")
_VECTOR_INTS: dict[str, int] = {  # AtariVectorEnv option -> its smallest valid value
    "batch_size": 0,  # 0: num_envs
    "num_threads": 0,  # 0: one per CPU core (at most batch_size)
    "thread_affinity_offset": -1,  # -1: threads not pinned to cores
    "img_height": 1,
    "img_width": 1,
    "stack_num": 1,
    "noop_max": 0,
}
_VECTOR_BOOLS = (
    "grayscale",
    "maxpool",
    "episodic_life",
    "life_loss_info",
    "reward_clipping",
    "use_fire_reset",
)
_AUTORESET_MODES = ("NextStep", "SameStep")  # the AutoresetMode values ale-py implements
_VECTOR_OPTIONS = frozenset({*_VECTOR_INTS, *_VECTOR_BOOLS, "autoreset_mode"})
"""The ``AtariVectorEnv`` keywords passed through (the protocol and action space ones aside)."""


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
            "LEFT, DOWN; running_jumps=True adds RIGHTFIRE, LEFTFIRE); full_action_space=True "
            "and continuous=True are not supported. "
            'Use gym.make("ALE/MontezumaRevenge-v5", full_action_space=True) for all 18.'
        )


def _is_int(value: Any) -> bool:
    """Whether ``value`` is a Python or numpy integer (a bool is not)."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _check_choice(name: str, value: Any, choices: tuple[int, ...]) -> int | None:
    """``None`` or one of the ROM's ``choices`` (ALE raises on others, or pybind11 on non-ints)."""
    if value is None:
        return None
    if not _is_int(value) or value not in choices:
        raise InvalidConfigError(
            f"{name} must be None or one of {list(choices)} (Montezuma's Revenge has no "
            f"other), got {value!r}"
        )
    return int(value)


def _check_protocol(
    frameskip: Any, repeat_action_probability: Any, max_frames: Any
) -> tuple[int | tuple[int, int], float, int | None]:
    """Checks frame skip, sticky actions and frame cap before ale-py sees them.

    Returns:
        The three as ale-py wants them: Python numbers (numpy scalars are accepted).
    """
    if _is_int(frameskip) and 0 < frameskip <= _INT32_MAX:
        frameskip = int(frameskip)
    elif (
        isinstance(frameskip, tuple)
        and len(frameskip) == 2
        and all(_is_int(f) for f in frameskip)
        and 0 < frameskip[0] < frameskip[1] <= _INT32_MAX
    ):
        frameskip = (int(frameskip[0]), int(frameskip[1]))
    else:
        raise InvalidConfigError(
            f"frameskip must be a positive int or a (low, high) tuple with 0 < low < high, "
            f"got {frameskip!r}"
        )
    sticky = repeat_action_probability
    if (
        isinstance(sticky, bool | np.bool_)
        or not isinstance(sticky, int | float | np.integer | np.floating)
        or not 0.0 <= sticky <= 1.0
    ):
        raise InvalidConfigError(
            f"repeat_action_probability must be a number in [0, 1], got {sticky!r}"
        )
    if max_frames is not None:
        max_frames = check_int("max_num_frames_per_episode", max_frames, 1, _INT32_MAX)
    return frameskip, float(sticky), max_frames


def _check_vector_protocol(
    frameskip: Any,
    repeat_action_probability: Any,
    max_frames: Any,
    running_jumps: Any,
    full_action_space: bool,
    continuous: bool,
) -> tuple[tuple[str, ...], tuple[Any, ...], int, float, int]:
    """What both vector envs check first: the action set, then :func:`_check_protocol`
    with an int frame skip and an int frame cap (the batched emulators take no others).

    Returns:
        The action names, the ALE actions, frame skip, sticky-action probability and
        frame cap.
    """
    _refuse_other_action_spaces(full_action_space, continuous)
    names, actions = _actions(running_jumps)
    if isinstance(frameskip, tuple) or max_frames is None:
        raise InvalidConfigError(
            "the vector env needs an int frameskip and an int max_num_frames_per_episode, "
            f"got {frameskip!r} and {max_frames!r}"
        )
    frameskip, sticky, max_frames = _check_protocol(
        frameskip, repeat_action_probability, max_frames
    )
    return names, actions, frameskip, sticky, max_frames


def _check_vector_options(options: dict[str, Any], num_envs: int) -> dict[str, Any]:
    """``AtariVectorEnv`` options checked, as ale-py takes them.

    Out-of-range values must not reach ale-py: a zero ``stack_num`` or ``img_height``, or
    a ``batch_size`` above ``num_envs``, deadlocks its ``reset``; negative sizes crash it.
    """
    unknown = set(options) - _VECTOR_OPTIONS
    if unknown:
        named = inspect.signature(MontezumaReducedVectorEnv.__init__).parameters
        raise unknown_keywords_error(
            "MontezumaReducedVectorEnv",
            unknown,
            _VECTOR_OPTIONS | (set(named) - {"self", "options"}),
            " (single-env options such as obs_type do not apply to the vector env)",
        )
    checked: dict[str, Any] = {}
    for name, value in options.items():
        if name in _VECTOR_INTS:
            checked[name] = check_int(name, value, _VECTOR_INTS[name], _INT32_MAX)
        elif name in _VECTOR_BOOLS:
            checked[name] = check_bool(name, value)
        else:
            mode = value.value if isinstance(value, AutoresetMode) else value
            if not (isinstance(mode, str) and mode in _AUTORESET_MODES):
                raise InvalidConfigError(
                    f"autoreset_mode must be one of {list(_AUTORESET_MODES)} (or their "
                    f"AutoresetMode), got {value!r}"
                )
            checked[name] = AutoresetMode(mode)
    if checked.get("batch_size", 0) > num_envs:
        raise InvalidConfigError(
            f"batch_size must be at most num_envs={num_envs} (0: all of them), "
            f"got {checked['batch_size']}"
        )
    return checked


def check_vector_actions(actions: Any, num_envs: int, names: Sequence[str]) -> np.ndarray:
    """``actions`` as an integer array of shape ``(num_envs,)`` in ``[0, len(names))``, or a
    clear :class:`InvalidActionError`."""
    a = np.asarray(actions)
    n = len(names)
    if a.dtype.kind not in "iu" or a.shape != (num_envs,):
        raise InvalidActionError(
            f"actions must be {num_envs} integers in [0, {n}), shape ({num_envs},); got "
            f"dtype {a.dtype}, shape {a.shape}"
        )
    if a.min() < 0 or a.max() >= n:
        raise InvalidActionError(f"actions must lie in [0, {n}) ({', '.join(names)}); got {a}")
    return a


def check_vector_seed(
    seed: Any, options: dict[str, Any] | None, num_envs: int
) -> np.ndarray | None:
    """The seed of each emulator reset of a vector env, as an int64 array, or ``None``.

    ``seed``: an int ``s`` seeds the reset emulators with ``s, s + 1, ...``; a list, tuple or
    1-d integer array gives one seed per reset emulator (``options["reset_mask"]`` says which
    are reset; all without it). Seeds lie in ``[0, 2**31 - 1]``: ale-py reads a negative one
    as "unseeded" and draws a random seed.
    """
    if seed is None:
        return None
    mask = (options or {}).get("reset_mask")
    n = num_envs if mask is None else int(np.count_nonzero(mask))
    seeds: list[int] | None = None
    if _is_int(seed):
        seeds = list(range(int(seed), int(seed) + n))
    elif isinstance(seed, list | tuple) or (isinstance(seed, np.ndarray) and seed.ndim == 1):
        seeds = [int(s) for s in seed] if all(map(_is_int, seed)) else None
    if seeds is None or len(seeds) != n or not all(0 <= s <= _INT32_MAX for s in seeds):
        raise InvalidConfigError(
            f"seed must be an int s (seeding s, s + 1, ...) or a list of {n} ints, one per "
            f"env reset, every seed in [0, {_INT32_MAX}]; got {seed!r}"
        )
    return np.array(seeds, dtype=np.int64)


class NamedActions:
    """``get_action_meanings`` of the vector envs, from the ``_action_names`` they set."""

    _action_names: tuple[str, ...]

    def get_action_meanings(self) -> list[str]:
        """Names of actions ``0..n-1`` (n = 6, or 8 with ``running_jumps``)."""
        return list(self._action_names)


@reject_unknown_keywords
class MontezumaReducedEnv(AtariEnv):
    """Montezuma's Revenge with actions ``NOOP, FIRE, UP, RIGHT, LEFT, DOWN`` (+ 2 jumps).

    Everything but the action space is ale-py's ``AtariEnv``: observations, rewards,
    sticky actions, frame skip, truncation at the frame cap, ``render``,
    ``clone_state``. ``info`` carries ale-py's keys plus the RAM state of
    :func:`decode_ram` and ``rooms_visited``, the number of distinct
    ``(level, room)`` pairs seen this episode (the usual small-budget exploration metric).

    Args:
        mode: game mode (ALE ``setMode``), one of :data:`MODES`; ``None`` for the default.
        difficulty: game difficulty (ALE ``setDifficulty``), one of :data:`DIFFICULTIES`;
            ``None`` for the default.
        obs_type: ``"rgb"`` ``(210, 160, 3)``, ``"grayscale"`` ``(210, 160)`` or
            ``"ram"`` ``(128,)``, all uint8.
        frameskip: emulator frames per step, or ``(low, high)`` for a random skip.
        repeat_action_probability: sticky-action probability per frame (v5: 0.25).
        full_action_space: must be ``False`` (the point of this env is 6 actions).
        continuous: must be ``False``.
        max_num_frames_per_episode: frames before ``truncated``; ``None`` for no cap.
        render_mode: ``None``, ``"rgb_array"`` or ``"human"``.
        sound_obs: add the audio (``Dict`` observation with ``image`` and ``sound``).
        running_jumps: ``True`` adds ``RIGHTFIRE`` (6) and ``LEFTFIRE`` (7):
            ``Discrete(8)``, without which no agent leaves the first room.
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
        running_jumps: bool = False,
    ) -> None:
        _refuse_other_action_spaces(full_action_space, continuous)
        self._action_names, action_set = _actions(running_jumps)
        frameskip, repeat_action_probability, max_num_frames_per_episode = _check_protocol(
            frameskip, repeat_action_probability, max_num_frames_per_episode
        )
        if not isinstance(obs_type, str) or obs_type not in _OBS_TYPES:
            raise InvalidConfigError(f"obs_type must be one of {_OBS_TYPES}, got {obs_type!r}")
        if render_mode is not None and (
            not isinstance(render_mode, str) or render_mode not in _RENDER_MODES
        ):
            raise InvalidConfigError(
                f"render_mode must be one of {_RENDER_MODES}, got {render_mode!r}"
            )
        settings = {
            "mode": _check_choice("mode", mode, MODES),
            "difficulty": _check_choice("difficulty", difficulty, DIFFICULTIES),
            "obs_type": obs_type,
            "frameskip": frameskip,
            "repeat_action_probability": repeat_action_probability,
            "max_num_frames_per_episode": max_num_frames_per_episode,
            "render_mode": render_mode,
            "sound_obs": check_bool("sound_obs", sound_obs),
        }
        quiet_ale(ale_py)
        super().__init__(GAME, **settings)
        # AtariEnv's own pickling would rebuild a plain 18-action AtariEnv.
        utils.EzPickle.__init__(self, **settings, running_jumps=bool(running_jumps))
        # AtariEnv.step plays self._action_set[action] and get_action_meanings names it:
        # the mapping lives here.
        self._action_set = list(action_set)
        self.action_space = spaces.Discrete(len(action_set))
        self._visited: set[tuple[int, int]] = set()
        self._ram = np.zeros(self.ale.getRAMSize(), np.uint8)  # filled in place each step

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Starts an episode; ``info`` as in :meth:`step`, ``rooms_visited`` back to 1."""
        self._visited.clear()
        return super().reset(seed=seed, options=options)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Plays reduced action ``action`` (int in ``[0, n)``, n = 6 or 8) for ``frameskip``
        frames."""
        return super().step(check_action(action, len(self._action_set), self._action_names))

    def _get_info(self) -> dict[str, Any]:  # called by AtariEnv.reset and AtariEnv.step
        self.ale.getRAM(self._ram)
        info = decode_ram(self._ram)
        info["lives"] = self.ale.lives()  # the same byte, but 0 once the game is over
        self._visited.add((info["level"], info["room"]))
        info["rooms_visited"] = len(self._visited)
        info["episode_frame_number"] = self.ale.getEpisodeFrameNumber()
        info["frame_number"] = self.ale.getFrameNumber()
        return info


class MontezumaReducedVectorEnv(NamedActions, AtariVectorEnv):
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
        running_jumps: ``True`` adds ``RIGHTFIRE`` (6) and ``LEFTFIRE`` (7).
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
        running_jumps: bool = False,
        **options: Any,
    ) -> None:
        (
            self._action_names,
            actions,
            frameskip,
            repeat_action_probability,
            max_num_frames_per_episode,
        ) = _check_vector_protocol(
            frameskip,
            repeat_action_probability,
            max_num_frames_per_episode,
            running_jumps,
            full_action_space,
            continuous,
        )
        num_envs = check_int("num_envs", num_envs, 1)
        self.ale_kwargs: dict[str, Any] = {
            "frameskip": frameskip,
            "repeat_action_probability": repeat_action_probability,
            "max_num_frames_per_episode": max_num_frames_per_episode,
            **_check_vector_options(options, num_envs),
        }
        quiet_ale(ale_py)
        super().__init__(GAME, num_envs, **self.ale_kwargs)
        # ale-py's vector interface takes indices into its action set.
        action_set = list(self.ale.get_action_set())
        self._ale_index = np.array([action_set.index(a) for a in actions], np.int32)
        self._strength = np.ones(self.batch_size, dtype=np.float32)
        self.single_action_space = spaces.Discrete(len(actions))
        self.action_space = batch_space(self.single_action_space, self.batch_size)

    def reset(
        self,
        *,
        seed: int | Sequence[int] | np.ndarray | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """Resets the emulators (with ``options={"reset_mask": mask}`` the masked ones).

        ``seed``: an int ``s`` seeds them with ``s, s + 1, ...``; a sequence or array gives
        one seed per emulator reset. Seeds must lie in ``[0, 2**31 - 1]``: ale-py would read
        a negative one as "unseeded" and draw a random seed.
        """
        return super().reset(seed=check_vector_seed(seed, options, self.num_envs), options=options)

    def send(self, actions: Any) -> None:
        """Sends ``(batch_size,)`` integer actions in ``[0, n)`` to the emulators."""
        a = check_vector_actions(actions, self.batch_size, self._action_names)
        self.ale.send(self._ale_index[a], self._strength)
