"""``cli_options``: argparse options built from a config dataclass, and back."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from aisam_agents.cli_options import (
    add_options,
    flags,
    from_args,
    option,
    parse_kwargs,
    validate,
)
from aisam_envs.errors import InvalidConfigError


def _positive(name: str, value: float) -> None:
    if value <= 0:
        raise InvalidConfigError(f"{name} must be > 0, got {value}")


@dataclass(frozen=True)
class Config:
    """A config of every supported option type.

    Attributes:
        total_steps: steps to run,
            over several lines.
        rate: learning rate.
        name: a name.
        mode: how to run.
        sizes: table sizes.
        kwargs: extra keyword arguments.
        preset: keyword arguments or None.
        out: output folder.
        address: cluster address (None: local).
        progress: show a bar.
        overwrite: replace an old run.
    """

    total_steps: int = option(100, flag="--steps", low=1)
    rate: float = option(3e-3, check=_positive)
    name: str = option("x", help="overridden help")
    mode: Literal["fast", "slow"] = option("fast")
    sizes: tuple[int, ...] = option((64, 256), low=2)
    kwargs: dict[str, Any] = option(default_factory=lambda: {"a": 1, "kind": "lock"})
    preset: dict[str, Any] | None = option(None, default_text="the env's preset")
    out: Path = option(Path("runs"))
    address: str | None = option(None)
    progress: bool = option(True)
    overwrite: bool = option(False)

    def __post_init__(self) -> None:
        validate(self)


def _parse(*argv: str) -> Config:
    parser = argparse.ArgumentParser()
    add_options(parser, Config)
    return from_args(Config, parser.parse_args(argv))


def test_no_arguments_give_the_dataclass_defaults() -> None:
    assert _parse() == Config()


def test_every_type_reads_from_the_command_line() -> None:
    config = _parse(
        "--steps", "5", "--rate", "0.5", "--name", "y", "--mode", "slow", "--sizes", "2", "3",
        "--kwargs", "b=2.5", "c=[1, 2]", "d=text", "--preset", '{"n": 1}', "--out", "o",
        "--address", "auto", "--no-progress", "--overwrite",
    )  # fmt: skip
    assert config == Config(
        total_steps=5,
        rate=0.5,
        name="y",
        mode="slow",
        sizes=(2, 3),
        kwargs={"b": 2.5, "c": [1, 2], "d": "text"},
        preset={"n": 1},
        out=Path("o"),
        address="auto",
        progress=False,
        overwrite=True,
    )
    assert _parse("--preset").preset == {}  # given with no pairs: empty, not the preset


def test_help_shows_flags_help_texts_and_every_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = argparse.ArgumentParser()
    add_options(parser, Config)
    parser.print_help()
    text = " ".join(capsys.readouterr().out.split())
    assert "--steps STEPS steps to run, over several lines (default: 100)" in text
    assert "overridden help (default: x)" in text
    assert "{fast,slow}" in text
    assert "(default: 64 256)" in text
    assert "(default: a=1 kind=lock)" in text
    assert "(default: the env's preset)" in text
    assert "--progress, --no-progress show a bar (default: True)" in text
    assert "--overwrite, --no-overwrite replace an old run (default: False)" in text
    assert text.count("(default:") == len(Config.__dataclass_fields__)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--steps", "0"], "--steps must be >= 1, got 0"),
        (["--rate", "-1"], "--rate must be > 0"),
        (["--rate", "inf"], "--rate must be finite"),
        (["--sizes", "4", "1"], "--sizes must be >= 2, got 1"),
        (["--kwargs", "nokey"], "--kwargs: expected key=value"),
        (["--preset", "[1]"], "--preset: expected key=value"),
        (["--preset", "{bad"], "--preset: not a JSON object"),
    ],
)
def test_bad_values_name_the_flag(argv: list[str], message: str) -> None:
    with pytest.raises(InvalidConfigError, match=message.replace("[", r"\[")):
        _parse(*argv)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"total_steps": 0}, "total_steps must be >= 1"),
        ({"total_steps": 2.0}, "total_steps must be an int"),
        ({"rate": 0.0}, "rate must be > 0"),
        ({"mode": "medium"}, "mode must be one of"),
        ({"sizes": (4, 1)}, "sizes must be >= 2"),
        ({"sizes": [4]}, "sizes must be a non-empty tuple"),
        ({"kwargs": None}, "kwargs must not be None"),
        ({"kwargs": {1: 2}}, "kwargs must be a dict with str keys"),
        ({"name": 3}, "name must be a str"),
        ({"progress": "no"}, "progress must be a bool"),
    ],
)
def test_validate_names_the_field(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidConfigError, match=message):
        Config(**kwargs)


def test_argparse_still_rejects_what_is_not_even_the_type(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        _parse("--steps", "many")
    assert "argument --steps: invalid int value" in capsys.readouterr().err


def test_flags_maps_fields_to_their_options() -> None:
    assert flags(Config)["total_steps"] == "--steps"
    assert flags(Config)["rate"] == "--rate"


def test_a_field_without_help_or_of_an_unsupported_type_is_refused() -> None:
    @dataclass(frozen=True)
    class NoHelp:
        x: int = 1

    @dataclass(frozen=True)
    class Odd:
        """Attributes:
        x: a set.
        """

        x: set[int] = option(default_factory=set)

    @dataclass(frozen=True)
    class Pair:
        """Attributes:
        x: two values.
        """

        x: tuple[int, str] = option((1, "a"))

    cases = (
        (NoHelp, "no help text"),
        (Odd, "unsupported option type"),
        (Pair, "tuple\\[T, ...\\]"),
    )
    for cls, message in cases:
        with pytest.raises(TypeError, match=message):
            add_options(argparse.ArgumentParser(), cls)


def test_parse_kwargs_reads_json_values() -> None:
    assert parse_kwargs("--x", ["a=1", "b=x", "c=[1, 2]", "d=true"]) == {
        "a": 1, "b": "x", "c": [1, 2], "d": True,
    }  # fmt: skip
    assert parse_kwargs("--x", ['{"a": 0.5}']) == {"a": 0.5}
    assert parse_kwargs("--x", []) == {}
