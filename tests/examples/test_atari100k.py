"""examples/atari100k.py: trains PonderDreamer on Pong in slices, evaluates at the target,
resumes without repeating rows, and refuses to overwrite a run."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ale_py")

from aisam_agents.errors import CheckpointError  # noqa: E402

EXAMPLE = Path(__file__).parents[2] / "examples" / "atari100k.py"


def _example() -> Any:
    spec = importlib.util.spec_from_file_location("atari100k", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_slices_add_up_and_the_target_is_evaluated(tmp_path: Path) -> None:
    example = _example()
    args = ["--world-model", "tiny", "--log-every", "64", "--eval-episodes", "1",
            "--device", "cpu", "--out", str(tmp_path)]  # fmt: skip
    example.main(["--steps", "128", *args])
    with pytest.raises(CheckpointError, match="--resume"):
        example.main(["--steps", "128", *args])  # nothing overwritten
    example.main(["--steps", "192", "--resume", "--no-save-replay", *args])
    rows = list(csv.DictReader((tmp_path / example.CSV_NAME).open()))
    assert [(r["kind"], r["env_steps"]) for r in rows] == [
        ("train", "64"),
        ("train", "128"),
        ("eval", "128"),
        ("train", "192"),
        ("eval", "192"),
    ]
    assert float(rows[2]["score_mean"]) >= -21  # a Pong score
    folder = tmp_path / "ALE_Pong-v5-seed0"
    progress = json.loads((folder / "progress.json").read_text())
    assert (progress["steps"], progress["model"], progress["replay"]) == (192, "agent-192.pt", "")
    assert sorted(p.name for p in folder.iterdir()) == ["agent-192.pt", "progress.json"]
