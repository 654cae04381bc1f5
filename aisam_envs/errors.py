"""Every error type aisam raises, and the shared checks of settings, in one place.

One root, :class:`AisamError`, for the three packages: ``except AisamError`` catches every
error of ours and nothing else. :class:`InvalidConfigError` (bad settings) and
:class:`MissingExtraError` (an optional dependency not installed) are one class each,
shared by ``aisam_envs``, ``aisam_wrappers`` and ``aisam_agents``; each package adds the
errors only it raises. Each subclasses the builtin a caller would naturally catch
(``ImportError`` for a missing dependency, ``ValueError`` for bad input), so generic
handlers keep working.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from gymnasium.error import ResetNeeded

if TYPE_CHECKING:
    import torch


class AisamError(Exception):
    """Base class of every error raised by aisam (environments, wrappers and agents)."""


class AisamEnvError(AisamError):
    """Base class of the errors only ``aisam_envs`` raises."""


class MissingExtraError(AisamError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, module: str, extra: str) -> None:
        self.module = module
        self.extra = extra
        super().__init__(
            f"'{module}' is not installed; it comes with aisam's '{extra}' extra: "
            f'pip install "aisam[{extra}]"'
        )


class InvalidConfigError(AisamError, ValueError):
    """Impossible or unknown settings: of an env, a bonus, a model, an agent or a command."""


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


def check_int(
    name: str,
    value: Any,
    low: int,
    high: int | None = None,
) -> int:
    """``value`` as a Python int in ``[low, high]``, or :class:`InvalidConfigError` naming
    ``name``.

    Python and numpy integers pass; bools and floats do not (``int(2.5)`` would silently
    truncate, and numpy's own error would not name the setting).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidConfigError(f"{name} must be an int, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise InvalidConfigError(f"{name} must be {bound}, got {value}")
    return int(value)


def check_real(name: str, value: Any) -> float:
    """``value`` as a finite float, or :class:`InvalidConfigError` naming ``name``.

    Python and numpy reals pass; bools, strings, ``None``, NaN and infinities do not (a NaN
    setting silently spoils every reward or weight it touches). Ranges are the caller's.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidConfigError(f"{name} must be a real number, got {value!r}")
    if not math.isfinite(value):
        raise InvalidConfigError(f"{name} must be finite, got {value}")
    return float(value)


def check_bool(name: str, value: Any) -> bool:
    """``value`` (a Python or numpy bool) as a Python bool, or :class:`InvalidConfigError`
    naming ``name``
    (a string such as ``"False"`` or a number would otherwise count as true or false
    silently)."""
    if not isinstance(value, bool | np.bool_):
        raise InvalidConfigError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def check_action(action: Any, n: int, names: Sequence[str] = ()) -> int:
    """``action`` as a Python int in ``[0, n)``, or a clear :class:`InvalidActionError`.

    Accepts Python and numpy integers and 0-d integer arrays (not bools). ``names``,
    the actions' meanings, are quoted in the error message.
    """
    if type(action) is not int:  # the common case skips the checks below
        if isinstance(action, np.ndarray) and action.shape == ():
            action = action[()]
        if isinstance(action, bool | np.bool_) or not isinstance(action, int | np.integer):
            raise InvalidActionError(
                f"action must be an integer in [0, {n}){_meanings(names)}, got {action!r} "
                f"({type(action).__name__}{getattr(action, 'shape', '')})"
            )
        action = int(action)
    if not 0 <= action < n:
        raise InvalidActionError(f"action {action} is out of range [0, {n}){_meanings(names)}")
    return action


def _meanings(names: Sequence[str]) -> str:
    return f" ({', '.join(names)})" if names else ""


_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?")


def check_device_name(device: Any) -> str:
    """``device`` if it is ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:i"`` (a torch device
    of those kinds passes as its name), else :class:`InvalidConfigError`.

    Checks the form only, so that a config made for a GPU can be read anywhere;
    :func:`resolve_device` checks that the machine has it.
    """
    name = str(device) if type(device).__name__ == "device" else device
    if not isinstance(name, str) or _DEVICE.fullmatch(name) is None:
        raise InvalidConfigError(f"device must be 'auto', 'cpu' or 'cuda[:i]', got {device!r}")
    return name


def resolve_device(device: Any = "auto") -> torch.device:
    """The torch device that ``device`` names: ``"auto"`` (CUDA when available, else the
    CPU), ``"cpu"`` or ``"cuda[:i]"``.

    The one resolver of the three packages: any other name, CUDA that this torch cannot
    use, or a CUDA index this machine lacks is an :class:`InvalidConfigError` here, not
    torch's error at the first tensor. Imports torch (the ``agents`` extra) when called.
    """
    name = check_device_name(device)
    torch = require_extra("torch", "agents")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(name)
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise InvalidConfigError(
                f"device {name!r} but CUDA is not available to this torch; use 'auto' or 'cpu'"
            )
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise InvalidConfigError(
                f"device {name!r} but this machine has {torch.cuda.device_count()} CUDA device(s)"
            )
    return resolved


def unknown_keywords_error(
    owner: str,
    unknown: Iterable[str],
    valid: Iterable[str],
    hint: str = "",
    notes: Mapping[str, str] | None = None,
    noun: str = "argument",
) -> InvalidConfigError:
    """The error for keyword arguments ``owner`` does not take, each named with the closest
    valid one (``'n_state' (did you mean 'n_states'?)``) so a typo is fixed at a glance.

    Args:
        owner: what was given them, e.g. ``"TransitionTableEnv"``.
        unknown: the unknown keyword names.
        valid: every keyword ``owner`` takes.
        hint: appended to the message.
        notes: a note that replaces the guess for some names (e.g. where the name belongs).
        noun: what the names are (``"argument"``, ``"setting"``, ...).
    """
    choices = sorted(set(valid))
    named = []
    for name in sorted(unknown):
        close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
        note = (notes or {}).get(name) or (f"did you mean {close[0]!r}?" if close else "")
        named.append(repr(name) + (f" ({note})" if note else ""))
    plural = "s" if len(named) > 1 else ""
    return InvalidConfigError(
        f"{owner} got unknown {noun}{plural} {', '.join(named)}; its {noun}s are {choices}{hint}"
    )


_Cls = TypeVar("_Cls", bound=type)


def reject_unknown_keywords(cls: _Cls) -> _Cls:
    """Class decorator: a keyword its ``__init__`` does not declare raises
    :func:`unknown_keywords_error` instead of Python's bare ``TypeError`` (which
    ``gym.make`` re-raises with the whole kwargs dict and no hint at the right name).

    For classes whose ``__init__`` has no ``**kwargs`` (those check their own).
    """
    init = cls.__init__
    valid = frozenset(
        name
        for name, p in inspect.signature(init).parameters.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and name != "self"
    )

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if not valid.issuperset(kwargs):
            raise unknown_keywords_error(cls.__name__, set(kwargs) - valid, valid)
        init(self, *args, **kwargs)

    cls.__init__ = __init__  # type: ignore[misc]
    return cls


class EnvWorkerError(AisamEnvError, RuntimeError):
    """A worker process of a vector env died or failed; the message names its envs."""
