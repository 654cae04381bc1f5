"""examples/rnd_rooms_probe.py: plays the scripted exit, trains the models, writes the CSV."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ale_py")
pytest.importorskip("cv2")

EXAMPLE = Path(__file__).parents[2] / "examples" / "rnd_rooms_probe.py"


def test_probe_scores_the_three_sets_for_each_model(tmp_path: Path) -> None:
    out = tmp_path / "probe.csv"
    args = [
        "--n-envs", "2", "--steps", "64", "--held-out-steps", "8", "--room2-steps", "60",
        "--batch", "32", "--passes", "1", "2", "--torch-threads", "1", "--out", str(out),
    ]  # fmt: skip
    subprocess.run([sys.executable, str(EXAMPLE), *args], check=True, capture_output=True)
    rows = list(csv.DictReader(out.open()))
    assert [(r["model"], r["passes"], r["set"]) for r in rows] == [
        (m, p, s)
        for m in ("mlp", "cnn-defaults", "cnn")
        for p in ("1", "2")
        for s in ("held-out", "key", "room 2")
    ]
    by_key = {(r["model"], r["passes"], r["set"]): r for r in rows}
    assert by_key[("cnn", "2", "held-out")]["updates"] == "8"  # 2 passes of 128 frames / 32
    for r in rows:
        assert int(r["frames"]) > 0 and float(r["median_error"]) > 0
        if r["set"] == "held-out":
            assert float(r["ratio"]) == 1.0
