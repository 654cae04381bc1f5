"""The ``aisam`` command.

Each subcommand lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``; only the chosen one is imported, so commands that need torch
never slow down (or break) the ones that do not.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from aisam_envs.errors import AisamError

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "envs": ("aisam_envs.catalog", "list the registered environments and their extras"),
    "bench": ("aisam_envs.bench", "measure steps/s of every installed environment"),
    "scaling": (
        "aisam_agents.studies.scaling",
        "sweep table size x world-model size; CSV + plot",
    ),
    "train": ("aisam_agents.train", "train an SB3 algorithm, optionally with an intrinsic bonus"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only ``command``'s module is imported to add its options."""
    parser = argparse.ArgumentParser(
        prog="aisam",
        description="aisam: environments, intrinsic rewards and agents for curiosity research.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        child = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            importlib.import_module(module).add_arguments(child)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``aisam`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in COMMANDS else None
    try:
        args = build_parser(command).parse_args(argv)
        return int(importlib.import_module(COMMANDS[args.command][0]).run(args) or 0)
    except AisamError as exc:  # ours: a missing extra or bad settings
        print(f"aisam {command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
