"""TextWorld game generation with a process-safe on-disk cache.

A :class:`GameSpec` names one game: either TextWorld's custom generator
(``world_size``, ``nb_objects``, ``quest_length``, ``game_seed``) or one of its
built-in challenges with that challenge's settings. :func:`game_path` returns the
compiled ``.z8`` for a spec, generating it once and reusing it afterwards.

The cache lives in ``$AISAM_CACHE_DIR/textworld`` (else the platform's user cache
directory). Each game is one directory named by a hash of its spec and of the
textworld version. It is built in a private temporary directory and renamed into
place in one atomic step, so readers never see a half-written game; a lock file
(POSIX) makes concurrent makers of the same game wait for the first one instead of
generating it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from aisam_envs.errors import (
    InvalidConfigError,
    check_int,
    require_extra,
    unknown_keywords_error,
)

try:  # POSIX advisory locks; elsewhere the atomic rename alone keeps files whole
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["CHALLENGES", "GameSpec", "cache_dir", "game_path"]

logger = logging.getLogger(__name__)

GAME_NAME = "game.z8"
"""File name of the compiled game inside its cache directory (its ``.json`` sits next to it)."""

MAX_ROOMS = 100
"""TextWorld >= 1.7 compiles to Z-machine v8 only, which holds at most about 100 rooms."""


class _Setting(NamedTuple):
    """One challenge setting: its default and what it accepts."""

    default: Any
    choices: tuple[Any, ...] | None = None  # allowed values, or None for "int >= minimum"
    minimum: int = 0
    maximum: int | None = None


_BOOL = (False, True)

CHALLENGES: dict[str, dict[str, _Setting]] = {
    "tw-simple": {
        "rewards": _Setting("dense", ("dense", "balanced", "sparse")),
        "goal": _Setting("detailed", ("detailed", "brief", "none")),
        "test": _Setting(False, _BOOL),
    },
    "tw-cooking": {
        "recipe": _Setting(1, minimum=1, maximum=5),
        "take": _Setting(0, minimum=0, maximum=5),
        "go": _Setting(1, (1, 6, 9, 12)),
        "open": _Setting(False, _BOOL),
        "cook": _Setting(False, _BOOL),
        "cut": _Setting(False, _BOOL),
        "drop": _Setting(False, _BOOL),
        "recipe_seed": _Setting(0, minimum=0, maximum=2**32 - 1),
        "split": _Setting(None, (None, "train", "valid", "test")),
    },
    "tw-coin_collector": {"level": _Setting(1, minimum=1, maximum=300)},
    "tw-treasure_hunter": {"level": _Setting(1, minimum=1, maximum=30)},
}
"""TextWorld's built-in challenges and their settings (names as in ``tw-make``, with ``_``)."""


@dataclass(frozen=True)
class GameSpec:
    """Everything that determines one generated game (and so its cache entry).

    Attributes:
        challenge: ``None`` for the custom generator, else a key of :data:`CHALLENGES`.
        settings: the challenge's settings, complete (defaults filled in); empty for
            custom games.
        world_size: number of rooms (custom games).
        nb_objects: minimum number of objects (custom games).
        quest_length: number of actions the quest needs (custom games).
        game_seed: TextWorld's generation seed.
    """

    challenge: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    world_size: int = 5
    nb_objects: int = 10
    quest_length: int = 5
    game_seed: int = 0

    def __post_init__(self) -> None:
        # numpy integers are stored as Python ints: the cache key is JSON
        object.__setattr__(self, "game_seed", check_int("game_seed", self.game_seed, 0, 2**32 - 1))
        if self.challenge is None:
            if self.settings:
                raise InvalidConfigError(
                    f"challenge_settings need a challenge=; choose one of {sorted(CHALLENGES)}"
                )
            for name, low, high in (
                ("world_size", 1, MAX_ROOMS),
                ("nb_objects", 0, None),
                ("quest_length", 1, None),
            ):
                object.__setattr__(self, name, check_int(name, getattr(self, name), low, high))
            return
        if self.challenge not in CHALLENGES:
            raise InvalidConfigError(
                f"unknown challenge {self.challenge!r}; choose one of {sorted(CHALLENGES)}"
            )
        object.__setattr__(self, "settings", _complete_settings(self.challenge, self.settings))

    def key(self, textworld_version: str) -> str:
        """A short stable name for this spec under one textworld version (cache dir name)."""
        if self.challenge is None:
            params: dict[str, Any] = {
                "world_size": self.world_size,
                "nb_objects": self.nb_objects,
                "quest_length": self.quest_length,
            }
        else:
            params = dict(self.settings)
        blob = json.dumps(
            {"v": textworld_version, "challenge": self.challenge, "seed": self.game_seed, **params},
            sort_keys=True,
        )
        digest = hashlib.sha256(blob.encode()).hexdigest()[:20]
        return f"{self.challenge or 'custom'}-s{self.game_seed}-{digest}"


def _complete_settings(challenge: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` checked against the challenge's settings, with defaults filled in."""
    table = CHALLENGES[challenge]
    unknown = set(given) - set(table)
    if unknown:
        raise unknown_keywords_error(
            f"challenge_settings of {challenge}", unknown, table, noun="setting"
        )
    out: dict[str, Any] = {}
    for name, setting in table.items():
        value = given.get(name, setting.default)
        if setting.choices is not None:
            if isinstance(value, np.generic):  # np.int64(6), np.bool_(True), np.str_("test")
                value = value.item()
            if not any(value == c and type(value) is type(c) for c in setting.choices):
                raise InvalidConfigError(
                    f"{challenge} setting {name!r} must be one of {list(setting.choices)}, "
                    f"got {value!r}"
                )
        else:
            value = check_int(
                f"{challenge} setting {name!r}", value, setting.minimum, setting.maximum
            )
        out[name] = value
    if challenge == "tw-cooking" and out["take"] > out["recipe"]:
        raise InvalidConfigError(
            f"tw-cooking setting 'take' ({out['take']}) must be <= 'recipe' ({out['recipe']})"
        )
    return out


def cache_dir() -> Path:
    """Where generated games live: ``$AISAM_CACHE_DIR/textworld`` or the user cache dir."""
    root = os.environ.get("AISAM_CACHE_DIR")
    if not root:
        platformdirs = require_extra("platformdirs", "textworld")
        root = platformdirs.user_cache_dir("aisam", appauthor=False)
    return Path(root).expanduser() / "textworld"


def game_path(spec: GameSpec, directory: Path | None = None) -> Path:
    """The compiled ``.z8`` of ``spec``, generated on first use and cached afterwards.

    Safe when several processes ask for the same game at once: one generates it, the
    others wait for it (or, without POSIX locks, generate their own copy and discard
    it); no process ever sees a partly written game.

    Args:
        spec: which game.
        directory: the cache directory (default: :func:`cache_dir`).
    """
    textworld = require_extra("textworld", "textworld")
    root = directory if directory is not None else cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    final = root / spec.key(textworld.__version__)
    if (final / GAME_NAME).is_file():
        return final / GAME_NAME
    with _lock(root / f"{final.name}.lock"):
        if not (final / GAME_NAME).is_file():
            _generate_into(spec, final)
    return final / GAME_NAME


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """Holds an exclusive advisory lock on ``path`` (a no-op where fcntl is missing)."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _generate_into(spec: GameSpec, final: Path) -> None:
    """Generates and compiles ``spec`` in a temporary directory, then renames it to ``final``."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    try:
        start = time.perf_counter()
        _compile(spec, tmp / GAME_NAME)
        try:
            os.rename(tmp, final)  # atomic; fails if another process got there first
        except OSError:
            if not (final / GAME_NAME).is_file():
                raise
        else:
            logger.info("generated %s in %.1f s", final, time.perf_counter() - start)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _compile(spec: GameSpec, path: Path) -> None:
    """Runs TextWorld's generator and Inform 7 compiler, writing ``path`` and its ``.json``."""
    textworld = require_extra("textworld", "textworld")
    from textworld.challenges import CHALLENGES as TW_CHALLENGES
    from textworld.generator import QuestGenerationError, compile_game, make_game

    options = textworld.GameOptions()
    options.seeds = int(spec.game_seed)
    options.path = str(path)
    options.file_ext = ".z8"
    options.force_recompile = True
    try:
        if spec.challenge is None:
            options.nb_rooms = spec.world_size
            options.nb_objects = spec.nb_objects
            options.chaining.min_length = spec.quest_length
            options.chaining.max_length = spec.quest_length
            options.chaining.max_depth = spec.quest_length
            game = make_game(options)
        else:
            _, make_challenge, _ = TW_CHALLENGES[spec.challenge]
            game = make_challenge(dict(spec.settings), options)
    except (QuestGenerationError, ValueError, AssertionError) as exc:
        raise InvalidConfigError(
            f"TextWorld cannot generate a game for {spec}: {exc or type(exc).__name__}. "
            "Try a larger world_size / nb_objects, a shorter quest_length, another "
            "game_seed, or milder challenge settings."
        ) from exc
    compile_game(game, options)
