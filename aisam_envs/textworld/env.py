"""``aisam/TextWorld-v0``: a TextWorld game behind the plain Gymnasium API."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from aisam_envs.errors import (
    InvalidActionError,
    InvalidConfigError,
    ResetNeededError,
    check_real,
    reject_unknown_keywords,
    require_extra,
)
from aisam_envs.textworld.games import GameSpec, game_path
from aisam_envs.textworld.text import COMMAND_CHARSET, TokenEncoder, text_space

__all__ = ["TextWorldEnv", "resolve_game_file"]

logger = logging.getLogger(__name__)

MAX_COMMAND_BYTES = 190
"""Jericho's input buffer holds 198 bytes; longer commands are cut (on a character boundary)."""

_UNPLAYABLE = re.compile(r"[\x00-\x1f\x7f\\]+")
"""Characters a command must not pass to Jericho: a newline would send a second command, and
dumb-frotz reads a backslash as the start of its own escape command (``\\help`` printed its
help in an endless loop; random commands with one crashed the process in ``jericho.step``)."""

OUT_OF_WORLD = frozenset(
    {"quit", "q", "die", "restart", "save", "restore", "script", "transcript", "unscript"}
)
"""Interpreter commands that end, restart, save or restore the story or write files: they
would desynchronise TextWorld's state tracking (and ``save`` writes into the working
directory), so the env answers them itself with :data:`REFUSAL` instead of playing them."""

REFUSAL = "That command is not available here: use reset() to start the game again."

_SENTENCES = re.compile(r"[.,;:!?]|\bthen\b", re.IGNORECASE)  # Inform runs each part in turn

_Z8_VERSION = 8  # the only Z-machine version TextWorld >= 1.7 compiles to
_Z8_LENGTH_UNIT = 8  # Z-machine standard 11.1.6: V6-8 store the file length at 0x1A in 8s
_HEADER_BYTES = 0x40  # the checksum at 0x1C sums the bytes from here to the file length

INVALID_ACTION_MODES = ("noop", "error")
"""What ``action_mode="index"`` does with an index past this step's admissible commands."""

_INFOS = (
    "description",
    "inventory",
    "admissible_commands",
    "score",
    "max_score",
    "moves",
    "won",
    "lost",
)


def resolve_game_file(
    game_file: str | os.PathLike[str] | None,
    world_size: int | None,
    nb_objects: int | None,
    quest_length: int | None,
    game_seed: int | None,
    challenge: str | None,
    challenge_settings: Mapping[str, Any] | None,
) -> Path:
    """The ``.z8`` to play: ``game_file`` checked, or the generated (cached) game."""
    generation = {
        "world_size": world_size,
        "nb_objects": nb_objects,
        "quest_length": quest_length,
        "game_seed": game_seed,
        "challenge": challenge,
        "challenge_settings": challenge_settings,
    }
    given = sorted(k for k, v in generation.items() if v is not None)
    if game_file is not None:
        if given:
            raise InvalidConfigError(
                f"pass either game_file= or generation arguments, not both {given}"
            )
        return _check_game_file(Path(game_file))
    if challenge is not None and (world_size, nb_objects, quest_length) != (None, None, None):
        raise InvalidConfigError(
            f"challenge={challenge!r} sets its own world; drop world_size / nb_objects / "
            "quest_length (tune it with challenge_settings= instead)"
        )
    custom = {"world_size": world_size, "nb_objects": nb_objects, "quest_length": quest_length}
    spec = GameSpec(
        challenge=challenge,
        settings=dict(challenge_settings or {}),
        game_seed=0 if game_seed is None else game_seed,
        **{k: v for k, v in custom.items() if v is not None},
    )
    return game_path(spec)


def _check_game_file(path: Path) -> Path:
    if path.suffix == ".ulx":
        raise InvalidConfigError(
            f"{path}: Glulx (.ulx) games cannot be played with textworld >= 1.7; "
            "regenerate the game as .z8 (tw-make ... --format z8)"
        )
    if path.suffix != ".z8":
        raise InvalidConfigError(f"{path}: expected a TextWorld game file ending in .z8")
    if not path.is_file():
        raise InvalidConfigError(f"game file {path} does not exist")
    if not path.with_suffix(".json").is_file():
        raise InvalidConfigError(
            f"{path} has no {path.with_suffix('.json').name} next to it: only games made by "
            "TextWorld (which writes that file) can be played"
        )
    _check_story_header(path)
    return path.resolve()


def _check_story_header(path: Path) -> None:
    """Refuses a ``.z8`` that is not a whole Z-machine version 8 story, before Jericho reads it.

    Jericho's dumb-frotz ends the whole Python process on a story it cannot load ("Fatal
    error: Story file read error" for a truncated file, "Unknown Z-code version" for random
    bytes), and a story of another version loads but breaks TextWorld's score tracking. The
    header (Z-machine standard, section 11) says the version (byte 0), the file length (word
    0x1A, in units of 8 bytes) and its checksum (word 0x1C, the sum of the bytes from 0x40 to
    that length, modulo 0x10000); a length or checksum of 0 means "not recorded".
    """
    data = path.read_bytes()
    if len(data) < _HEADER_BYTES or data[0] != _Z8_VERSION:
        version = f"version byte {data[0]}" if data else "an empty file"
        raise InvalidConfigError(
            f"{path} is not a Z-machine version {_Z8_VERSION} story file ({len(data)} bytes, "
            f"{version}): regenerate the game with TextWorld (tw-make ... --format z8)"
        )
    length = int.from_bytes(data[0x1A:0x1C], "big") * _Z8_LENGTH_UNIT
    checksum = int.from_bytes(data[0x1C:0x1E], "big")
    if length and not _HEADER_BYTES <= length <= len(data):
        raise InvalidConfigError(
            f"{path} is {len(data)} bytes but its header says {length}: the story file is "
            "truncated or corrupt; copy or regenerate it"
        )
    if length and checksum and sum(data[_HEADER_BYTES:length]) & 0xFFFF != checksum:
        raise InvalidConfigError(
            f"{path} fails its header checksum (0x{checksum:04x}): the story file is corrupt; "
            "copy or regenerate it"
        )


@reject_unknown_keywords
class TextWorldEnv(gym.Env[Any, Any]):
    """A TextWorld game: text feedback in, commands out, reward = score increase.

    The game is ``game_file`` (a ``.z8`` made by TextWorld, its ``.json`` next to it)
    or one generated by TextWorld's generator from the other arguments and cached (see
    :mod:`aisam_envs.textworld.games`). Episodes end (``terminated``) when the game is
    won or lost; the step limit comes from the registration (``max_episode_steps``).

    ``info`` holds ``description``, ``inventory``, ``admissible_commands`` (sorted),
    ``score``, ``max_score``, ``moves``, ``won``, ``lost``, ``walkthrough`` (when the
    game has one) and, with ``action_mode="index"``, ``action_mask`` and (after a step)
    ``invalid_action``.

    In index mode every action of ``action_space`` is accepted, as gymnasium's contract
    asks (SB3's ``check_env`` and plain PPO sample it): an index past this step's
    admissible commands is a spent turn that changes nothing in the game (same
    observation, reward ``-invalid_action_penalty``, counts toward the step limit,
    ``info["invalid_action"] = True``), unless ``invalid_action="error"``.

    Args:
        game_file: path of a TextWorld ``.z8`` game; excludes all other game arguments.
        world_size: rooms of a generated custom game (default 5).
        nb_objects: minimum objects of a generated custom game (default 10).
        quest_length: actions its quest needs (default 5).
        game_seed: TextWorld's generation seed (default 0).
        challenge: ``"tw-simple"``, ``"tw-cooking"``, ``"tw-coin_collector"`` or
            ``"tw-treasure_hunter"`` instead of a custom game.
        challenge_settings: that challenge's settings, e.g. ``{"level": 3}``.
        action_mode: ``"text"`` (any command string) or ``"index"`` (an int picking
            one of the current admissible commands, ``Discrete(max_actions)``).
        max_actions: size of the index action space; longer command lists are cut.
        invalid_action: ``"noop"`` (an index past the admissible commands is a spent
            turn) or ``"error"`` (it raises :class:`InvalidActionError`); index mode only.
        invalid_action_penalty: reward of such a spent turn is minus this (>= 0).
        obs_type: ``"text"`` (the feedback string) or ``"tokens"`` (its word ids,
            ``Box(0, vocab_size - 1, (max_tokens,), int64)``, for SB3).
        max_text_length: longest observation string; longer feedback is cut.
        max_tokens: length of the token observation.
        vocab_size: number of token ids (hashing trick, 0 = padding).
        render_mode: ``"ansi"`` renders the last command and feedback as a string; other
            modes render nothing (``gym.make`` warns about them, as for any env).
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        game_file: str | os.PathLike[str] | None = None,
        world_size: int | None = None,
        nb_objects: int | None = None,
        quest_length: int | None = None,
        game_seed: int | None = None,
        challenge: str | None = None,
        challenge_settings: Mapping[str, Any] | None = None,
        action_mode: str = "text",
        max_actions: int = 64,
        invalid_action: str = "noop",
        invalid_action_penalty: float = 0.0,
        obs_type: str = "text",
        max_text_length: int = 4096,
        max_tokens: int = 256,
        vocab_size: int = 4096,
        render_mode: str | None = None,
    ) -> None:
        textworld = require_extra("textworld", "textworld")
        _check_options(action_mode, max_actions, obs_type, max_text_length, max_tokens, vocab_size)
        if invalid_action not in INVALID_ACTION_MODES:
            raise InvalidConfigError(
                f"invalid_action must be one of {list(INVALID_ACTION_MODES)}, "
                f"got {invalid_action!r}"
            )
        penalty = check_real("invalid_action_penalty", invalid_action_penalty)
        if penalty < 0:
            raise InvalidConfigError(
                f"invalid_action_penalty must be >= 0 (the reward is minus it), got {penalty}"
            )
        path = resolve_game_file(game_file, world_size, nb_objects, quest_length, game_seed,
                                 challenge, challenge_settings)  # fmt: skip
        self.game_file = str(path)
        self.walkthrough = _read_walkthrough(path)
        self.action_mode = action_mode
        self.obs_type = obs_type
        self.render_mode = render_mode
        self.max_actions = max_actions
        self.invalid_action = invalid_action
        self.invalid_action_penalty = penalty
        self._max_text_length = max_text_length
        self._tw = textworld.start(
            self.game_file, request_infos=textworld.EnvInfos(**dict.fromkeys(_INFOS, True))
        )
        self._tokens = TokenEncoder(max_tokens, vocab_size) if obs_type == "tokens" else None
        self.observation_space = (
            self._tokens.space if self._tokens is not None else text_space(max_text_length)
        )
        self.action_space: spaces.Space[Any] = (
            spaces.Discrete(max_actions)
            if action_mode == "index"
            else spaces.Text(max_length=MAX_COMMAND_BYTES, charset=COMMAND_CHARSET)
        )
        self._commands: list[str] = []
        self._mask = np.zeros(max_actions, dtype=bool)
        self._warned = False  # about admissible commands beyond max_actions
        self._state: Any = None  # TextWorld's GameState of the current step
        self._score = 0
        self._done = True
        self._last = ("", "")  # (command, feedback) for render

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Restarts the game; ``seed`` also seeds the interpreter's random numbers."""
        super().reset(seed=seed)
        self._tw.seed(int(self.np_random.integers(0, 2**31 - 1)))
        self._state = state = self._tw.reset()
        self._score = int(state["score"])
        self._done = False
        feedback = _clean(state["feedback"])
        self._last = ("", feedback)
        return self._observe(state, feedback)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Plays one command (a string, or an index into the admissible commands)."""
        if self._done:
            raise ResetNeededError(
                "step() called on a game that has ended or not started: call reset() first"
            )
        command = self._command(action)
        if command is None:  # an index past the admissible commands: a spent turn
            obs, info = self._observe(self._state, self._last[1])
            info["invalid_action"] = True
            return obs, -self.invalid_action_penalty, False, False, info
        if _out_of_world(command):
            self._last = (command, REFUSAL)
            obs, info = self._observe(self._state, REFUSAL)
            return obs, 0.0, False, False, info
        self._state = state = self._tw.step(command)[0]
        score = int(state["score"])
        reward = float(score - self._score)
        self._score = score
        terminated = bool(state["won"] or state["lost"])
        self._done = terminated
        feedback = _clean(state["feedback"])
        self._last = (command, feedback)
        obs, info = self._observe(state, feedback)
        if self.action_mode == "index":
            info["invalid_action"] = False
        return obs, reward, terminated, False, info

    def action_masks(self) -> np.ndarray:
        """Which indices are admissible commands now, shape ``(max_actions,)`` bool.

        The method sb3-contrib's MaskablePPO looks for (``action_mode="index"``).
        """
        return self._mask.copy()

    def render(self) -> str | None:
        """The last command and the game's feedback (``render_mode="ansi"``)."""
        if self.render_mode != "ansi":
            return None
        command, feedback = self._last
        return (f"> {command}\n" if command else "") + feedback

    def close(self) -> None:
        """Stops the interpreter."""
        tw_env = getattr(self, "_tw", None)
        if tw_env is not None:
            tw_env.close()

    def _observe(self, state: Any, feedback: str) -> tuple[Any, dict[str, Any]]:
        obs = (
            self._tokens.encode(feedback)
            if self._tokens is not None
            else feedback[: self._max_text_length]
        )
        commands = list(state["admissible_commands"])
        info: dict[str, Any] = {
            "description": state["description"],
            "inventory": state["inventory"],
            "admissible_commands": commands,
            "score": int(state["score"]),
            "max_score": int(state["max_score"]),
            "moves": int(state["moves"]),
            "won": bool(state["won"]),
            "lost": bool(state["lost"]),
        }
        if self.walkthrough is not None:
            info["walkthrough"] = list(self.walkthrough)
        if self.action_mode == "index":
            self._set_commands(commands)
            info["action_mask"] = self._mask.copy()
        return obs, info

    def _set_commands(self, commands: list[str]) -> None:
        if len(commands) > self.max_actions and not self._warned:
            self._warned = True  # once per env: it would repeat on most steps
            logger.warning(
                "%d admissible commands but max_actions=%d: the last %d cannot be chosen; "
                "raise max_actions",
                len(commands), self.max_actions, len(commands) - self.max_actions,
            )  # fmt: skip
        self._commands = commands[: self.max_actions]
        self._mask[:] = False
        self._mask[: len(self._commands)] = True

    def _command(self, action: Any) -> str | None:
        """The command ``action`` plays; ``None`` for an index past the admissible ones
        (with ``invalid_action="noop"``)."""
        if self.action_mode == "text":
            if not isinstance(action, str):
                raise InvalidActionError(
                    f"action_mode='text' takes a command string, got {type(action).__name__}"
                )
            command = _UNPLAYABLE.sub(" ", action).strip()
            return command.encode("utf-8")[:MAX_COMMAND_BYTES].decode("utf-8", errors="ignore")
        if isinstance(action, np.ndarray) and action.shape == ():
            action = action[()]
        if (
            isinstance(action, bool | np.bool_)
            or not isinstance(action, int | np.integer)
            or not 0 <= action < self.max_actions
        ):
            raise InvalidActionError(
                f"action_mode='index' takes an int in [0, {self.max_actions}), got {action!r}"
            )
        if action < len(self._commands):
            return self._commands[int(action)]
        if self.invalid_action == "error":
            raise InvalidActionError(
                f"action {int(action)} is past the {len(self._commands)} admissible commands "
                "of this step: pick an index where info['action_mask'] is True (or use "
                "invalid_action='noop')"
            )
        return None


def _check_options(
    action_mode: str,
    max_actions: int,
    obs_type: str,
    max_text_length: int,
    max_tokens: int,
    vocab_size: int,
) -> None:
    if action_mode not in ("text", "index"):
        raise InvalidConfigError(f"action_mode must be 'text' or 'index', got {action_mode!r}")
    if obs_type not in ("text", "tokens"):
        raise InvalidConfigError(f"obs_type must be 'text' or 'tokens', got {obs_type!r}")
    for name, value, low in (
        ("max_actions", max_actions, 1),
        ("max_text_length", max_text_length, 1),
        ("max_tokens", max_tokens, 1),
        ("vocab_size", vocab_size, 2),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise InvalidConfigError(f"{name} must be an int >= {low}, got {value!r}")


def _out_of_world(command: str) -> bool:
    """Whether any of the commands in the line (``look. save``) is in :data:`OUT_OF_WORLD`."""
    return any(
        words[0].lower() in OUT_OF_WORLD
        for words in map(str.split, _SENTENCES.split(command))
        if words
    )


def _clean(feedback: str) -> str:
    """The game's reply without the trailing prompt and status line (``>  -= Room =-0/3``)."""
    head, sep, tail = feedback.rpartition("\n>")
    return (head if sep and "\n" not in tail else feedback).strip()


def _read_walkthrough(path: Path) -> list[str] | None:
    """The walkthrough in the game's ``.json`` metadata, if any, once TextWorld can read it.

    ``textworld.start`` loads the same file: a broken one failed there with whatever its
    parser hit first (``KeyError: 'KB'``, ``JSONDecodeError``, ``AttributeError``).
    """
    json_path = path.with_suffix(".json")
    try:
        with open(json_path, encoding="utf-8") as handle:
            data = json.load(handle)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise InvalidConfigError(f"{json_path} is not a JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise InvalidConfigError(
            f"{json_path} holds a JSON {type(data).__name__}, not TextWorld's game description "
            "(an object with the keys KB, world, grammar, quests, infos, ...)"
        )
    try:
        require_extra("textworld", "textworld").Game.deserialize(data)
    except Exception as exc:  # TextWorld raises assorted errors on foreign data
        raise InvalidConfigError(
            f"{json_path} is not a TextWorld game description TextWorld can load ({exc!r})"
        ) from None
    metadata = data.get("metadata", {})
    walkthrough = metadata.get("walkthrough") if isinstance(metadata, dict) else None
    if not isinstance(metadata, dict) or not (
        walkthrough is None
        or (isinstance(walkthrough, list) and all(isinstance(c, str) for c in walkthrough))
    ):
        raise InvalidConfigError(
            f"{json_path}: 'metadata' must be an object whose 'walkthrough', if any, is a list "
            f"of commands; got {metadata!r:.200}"
        )
    return list(walkthrough) if walkthrough else None
