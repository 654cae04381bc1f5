"""Every error type that ``aisam_envs`` raises, in one place.

Each subclasses the builtin a caller would naturally catch (``ImportError`` for a
missing optional dependency, ``ValueError`` for bad input) so generic handlers keep
working, while ``except AisamEnvError`` catches only ours.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from gymnasium.error import ResetNeeded


class AisamEnvError(Exception):
    """Base class of every error raised by ``aisam_envs``."""


class MissingExtraError(AisamEnvError, ImportError):
    """An optional dependency of an environment is not installed."""

    def __init__(self, module: str, extra: str) -> None:
        self.module = module
        self.extra = extra
        super().__init__(
            f"'{module}' is not installed; it comes with aisam's '{extra}' extra: "
            f'pip install "aisam[{extra}]"'
        )


class InvalidConfigError(AisamEnvError, ValueError):
    """An environment was constructed with impossible or unknown arguments."""


class InvalidActionError(AisamEnvError, ValueError):
    """An action is out of range or of the wrong type or shape."""


class ResetNeededError(AisamEnvError, ResetNeeded):
    """``step`` was called on an episode that has ended (or never started)."""


def require_extra(module: str, extra: str) -> ModuleType:
    """Imports ``module``, turning its absence into a :class:`MissingExtraError`.

    Args:
        module: the importable name, e.g. ``"ale_py"``.
        extra: the aisam extra that installs it, e.g. ``"atari"``.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.split(".")[0] != exc.name.split(".")[0]:
            raise  # the module exists but one of *its* imports is broken: show that
        raise MissingExtraError(module, extra) from exc
