"""Result rows appended to CSV files as runs finish, so a stopped study resumes with them."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def append_rows(
    path: Path, rows: Sequence[dict[str, Any]], fields: Sequence[str] | None = None
) -> None:
    """Appends ``rows`` to the CSV at ``path`` under the columns ``fields`` (default: the
    first row's keys), writing the header when the file is new."""
    if not rows:
        return
    new = not path.exists()
    with path.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(fields or rows[0]))
        if new:
            writer.writeheader()
        writer.writerows(rows)
