"""Command-line options declared once: argparse built from a frozen config dataclass.

A command's settings live in one frozen dataclass. Each field becomes one option:

- name: ``--kebab-name`` (``total_steps`` -> ``--total-steps``), or the ``flag`` given
  to :func:`option` (``--steps``);
- type: from the annotation: ``int``, ``float``, ``str``, ``Path``, ``bool``
  (``--x`` / ``--no-x``), ``Literal[...]`` (choices), ``tuple[T, ...]`` / ``list[T]``
  (one or more values), ``dict[str, Any]`` (``K=V`` pairs or one JSON object), each
  optionally ``| None``;
- default: the field's default, shown in ``--help`` for every option;
- help: :func:`option`'s ``help``, else the field's entry in the class docstring's
  ``Attributes:`` section;
- checks: the type, ``low`` / ``high`` bounds, ``choices`` and a ``check`` callable,
  applied by :func:`from_args` with the flag's name (``--steps must be >= 1``) and by
  :func:`validate` (call it from ``__post_init__``) with the field's name.

Example::

    @dataclass(frozen=True)
    class Config:
        \"\"\"Attributes:
            total_steps: environment steps to train for.
        \"\"\"

        total_steps: int = option(30_000, flag="--steps", low=1)

        def __post_init__(self) -> None:
            validate(self)

    add_options(parser, Config)
    config = from_args(Config, parser.parse_args())
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import inspect
import json
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from aisam_envs.errors import InvalidConfigError, check_bool, check_int, check_real

__all__ = ["add_options", "flags", "from_args", "option", "parse_kwargs", "validate"]

T = TypeVar("T")
_SCALARS = (int, float, str, bool, Path)
_META = "aisam_cli"  # the key of this module's settings in a field's metadata
_UNBOUNDED = -(2**63)  # check_int's lower bound for an int option without ``low``


@dataclasses.dataclass(frozen=True)
class _Spec:
    """How one field reads from the command line (from its metadata and annotation)."""

    field: dataclasses.Field[Any]
    flag: str
    help: str
    base: type  # int, float, str, bool, Path or dict
    many: type | None  # tuple or list for a sequence of ``base``, else None
    optional: bool  # ``| None``
    choices: tuple[Any, ...] | None
    low: float | None
    high: float | None
    check: Callable[[str, Any], Any] | None
    metavar: str | None
    default_text: str | None

    @property
    def default(self) -> Any:
        """The field's default value (a fresh one from ``default_factory``)."""
        if self.field.default is not dataclasses.MISSING:
            return self.field.default
        if self.field.default_factory is not dataclasses.MISSING:
            return self.field.default_factory()
        raise TypeError(f"{self.flag} has no default; every option needs one")


def option(
    default: Any = dataclasses.MISSING,
    *,
    default_factory: Callable[[], Any] | Any = dataclasses.MISSING,
    flag: str | None = None,
    help: str | None = None,  # argparse's name for it
    low: float | None = None,
    high: float | None = None,
    choices: Sequence[Any] | None = None,
    check: Callable[[str, Any], Any] | None = None,
    metavar: str | None = None,
    default_text: str | None = None,
) -> Any:
    """A dataclass field that carries its command-line settings.

    Args:
        default: the field's default (or give ``default_factory``).
        default_factory: makes the default, for mutable values such as dicts.
        flag: the option's name if not ``--kebab-name`` of the field (``"--steps"``).
        help: help text if not the class docstring's ``Attributes:`` entry.
        low: smallest allowed value (inclusive), of each element for sequences.
        high: largest allowed value (inclusive), of each element for sequences.
        choices: the allowed values (of each element for sequences).
        check: ``check(name, value)`` raises :class:`InvalidConfigError` naming ``name``
            for a value the other checks let through (e.g. ``lr > 0``).
        metavar: how ``--help`` names the value.
        default_text: how ``--help`` shows a default that is computed at run time
            (``None`` meaning "the env's preset").
    """
    meta = {
        "flag": flag,
        "help": help,
        "low": low,
        "high": high,
        "choices": None if choices is None else tuple(choices),
        "check": check,
        "metavar": metavar,
        "default_text": default_text,
    }
    return dataclasses.field(
        default=default, default_factory=default_factory, metadata={_META: meta}
    )


def _docstring_attributes(cls: type) -> dict[str, str]:
    """``{field: text}`` from the ``Attributes:`` section of ``cls``'s docstring."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    out: dict[str, str] = {}
    lines = doc.partition("Attributes:")[2].splitlines()
    indent: int | None = None
    name = None
    for line in lines:
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        indent = depth if indent is None else indent
        match = re.match(r"(\w+)(?: \(.*?\))?:\s*(.*)", line.strip())
        if depth == indent and match:
            name = match.group(1)
            out[name] = match.group(2)
        elif depth > indent and name is not None:
            out[name] += " " + line.strip()
        else:
            break  # the next section
    return out


@functools.cache
def _specs(cls: type) -> tuple[_Spec, ...]:
    """One :class:`_Spec` per field of the dataclass ``cls`` (read once per class)."""
    if not (dataclasses.is_dataclass(cls) and isinstance(cls, type)):
        raise TypeError(f"{cls!r} is not a dataclass")
    hints = typing.get_type_hints(cls)
    docs = _docstring_attributes(cls)
    specs = []
    for field in dataclasses.fields(cls):
        meta = field.metadata.get(_META, {})
        tp, optional = _strip_none(hints[field.name])
        many = None
        origin = typing.get_origin(tp)
        if origin in (tuple, list):
            args = typing.get_args(tp)
            if origin is tuple and (len(args) != 2 or args[1] is not Ellipsis):
                raise TypeError(f"{cls.__name__}.{field.name}: use tuple[T, ...], got {tp!r}")
            many, tp = origin, args[0]
            origin = typing.get_origin(tp)
        choices = meta.get("choices")
        if origin is Literal:
            choices = choices or typing.get_args(tp)
            tp = type(choices[0])
        elif origin is dict:
            tp = dict
        if tp not in (*_SCALARS, dict) or (many and tp in (bool, dict)):
            raise TypeError(f"{cls.__name__}.{field.name}: unsupported option type {tp!r}")
        text = meta.get("help") or docs.get(field.name)
        if not text:
            raise TypeError(f"{cls.__name__}.{field.name} has no help text")
        specs.append(
            _Spec(
                field=field,
                flag=meta.get("flag") or "--" + field.name.replace("_", "-"),
                help=text,
                base=tp,
                many=many,
                optional=optional,
                choices=choices,
                low=meta.get("low"),
                high=meta.get("high"),
                check=meta.get("check"),
                metavar=meta.get("metavar"),
                default_text=meta.get("default_text"),
            )
        )
    return tuple(specs)


def _strip_none(tp: Any) -> tuple[Any, bool]:
    """``(X, True)`` for ``X | None``, else ``(tp, False)``."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _shown(spec: _Spec, value: Any) -> str:
    """``value`` as ``--help`` shows it, in the syntax the option takes."""
    if value is None:
        return spec.default_text or "none"
    if spec.base is dict:
        items = " ".join(
            f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in value.items()
        )
        return spec.default_text or items or "none"
    if spec.many is not None:
        return " ".join(str(v) for v in value)
    return str(value)


def add_options(parser: argparse.ArgumentParser, cls: type) -> None:
    """Adds one option per field of the dataclass ``cls`` to ``parser``.

    ``argparse`` checks only the syntax (``--steps abc``); :func:`from_args` checks the
    values and builds the config.
    """
    for spec in _specs(cls):
        default = spec.default
        text = f"{spec.help.rstrip('.')} (default: {_shown(spec, default)})"
        text = text.replace("``", "").replace("%", "%%")  # reST quotes; argparse's % codes
        kwargs: dict[str, Any] = {"dest": spec.field.name, "default": default}
        if spec.base is bool:
            action = parser.add_argument(spec.flag, action=argparse.BooleanOptionalAction, **kwargs)
            action.help = text  # set after: Python < 3.13 appends its own default text
            continue
        if spec.base is dict:
            kwargs.update(nargs="*", metavar=spec.metavar or "K=V")
        else:
            metavar = spec.metavar or (
                None if spec.choices else spec.flag.lstrip("-").replace("-", "_").upper()
            )
            kwargs.update(type=spec.base, choices=spec.choices, metavar=metavar)
            if spec.many is not None:
                kwargs["nargs"] = "+"
        parser.add_argument(spec.flag, help=text, **kwargs)


def parse_kwargs(name: str, items: Sequence[str]) -> dict[str, Any]:
    """``["n_states=20", "kind=lock"]`` or one JSON object string -> dict.

    Values are read as JSON when they parse (numbers, booleans, lists, objects), else
    kept as strings. ``name`` (the flag) is quoted in errors.
    """
    if len(items) == 1 and items[0].lstrip().startswith("{"):
        try:
            value = json.loads(items[0])
        except json.JSONDecodeError as exc:
            raise InvalidConfigError(f"{name}: not a JSON object: {items[0]!r} ({exc})") from exc
        return value  # a valid JSON text starting with "{" is an object
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise InvalidConfigError(f"{name}: expected key=value, got {item!r}")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def _check(spec: _Spec, name: str, value: Any) -> None:
    """Raises :class:`InvalidConfigError` naming ``name`` if ``value`` does not fit ``spec``."""
    if value is None:
        if not spec.optional:
            raise InvalidConfigError(f"{name} must not be None")
        return
    if spec.base is dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise InvalidConfigError(f"{name} must be a dict with str keys, got {value!r}")
    elif spec.many is not None:
        if not isinstance(value, spec.many) or not value:
            kind = spec.many.__name__
            raise InvalidConfigError(f"{name} must be a non-empty {kind}, got {value!r}")
        for item in value:
            _check_scalar(spec, name, item)
    else:
        _check_scalar(spec, name, value)
    if spec.check is not None:
        spec.check(name, value)


def _check_scalar(spec: _Spec, name: str, value: Any) -> None:
    """The type, bounds and choices check of one value (or one element of a sequence)."""
    if spec.base is bool:
        check_bool(name, value)
    elif spec.base is int:
        low = _UNBOUNDED if spec.low is None else int(spec.low)
        check_int(name, value, low, None if spec.high is None else int(spec.high))
    elif spec.base is float:
        check_real(name, value)
        if spec.low is not None and value < spec.low:
            raise InvalidConfigError(f"{name} must be >= {spec.low}, got {value}")
        if spec.high is not None and value > spec.high:
            raise InvalidConfigError(f"{name} must be <= {spec.high}, got {value}")
    elif not isinstance(value, str if spec.base is str else (str, Path)):
        raise InvalidConfigError(f"{name} must be a {spec.base.__name__}, got {value!r}")
    if spec.choices is not None and value not in spec.choices:
        raise InvalidConfigError(f"{name} must be one of {list(spec.choices)}, got {value!r}")


def validate(config: Any) -> None:
    """Checks every field of the dataclass instance ``config`` against its declaration.

    Call it from ``__post_init__``; errors name the field (``total_steps must be >= 1``).
    """
    for spec in _specs(type(config)):
        _check(spec, spec.field.name, getattr(config, spec.field.name))


def from_args(cls: type[T], args: argparse.Namespace) -> T:
    """The ``cls`` instance described by options that :func:`add_options` added.

    Values are checked here, so errors name the flag (``--steps must be >= 1``), and
    raised as :class:`InvalidConfigError`.
    """
    values: dict[str, Any] = {}
    for spec in _specs(cls):
        value = getattr(args, spec.field.name)
        if spec.base is dict and isinstance(value, list):
            value = parse_kwargs(spec.flag, value)
        elif spec.many is tuple and isinstance(value, list):
            value = tuple(value)
        _check(spec, spec.flag, value)
        values[spec.field.name] = value
    return cls(**values)


def flags(cls: type) -> Mapping[str, str]:
    """``{field name: flag}`` of the dataclass ``cls`` (to name an option in a message)."""
    return {spec.field.name: spec.flag for spec in _specs(cls)}
