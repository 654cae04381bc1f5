"""examples/atari100k.py: trains PonderDreamer on Pong in slices, evaluates at the target,
resumes without repeating rows, and refuses to overwrite a run."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

pytest.importorskip("ale_py")
from example_loader import load_example  # noqa: E402

from aisam_agents.errors import CheckpointError  # noqa: E402


def test_slices_add_up_and_the_target_is_evaluated(tmp_path: Path) -> None:
    example = load_example("atari100k")
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
