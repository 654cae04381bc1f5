"""``aisam envs``: the registered ids, their spaces and whether their extra is installed."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from aisam_envs import ENVS, extra_installed


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table with aligned columns (no dependency on a rendering library)."""
    widths = [max(len(str(cell)) for cell in col) for col in zip(header, *rows, strict=True)]
    lines = [header, ["-" * w for w in widths], *rows]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``aisam envs`` takes no options."""


def run(args: argparse.Namespace) -> int:
    """Prints one row per registered id."""
    rows = []
    for entry in ENVS:
        extra = entry.extra or "(core)"
        status = "yes" if extra_installed(entry) else f'no: pip install "aisam[{entry.extra}]"'
        rows.append([entry.id, entry.spaces, extra, status])
    print(format_table(["id", "observation -> action", "extra", "installed"], rows))
    return 0
