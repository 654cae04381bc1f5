"""examples/bonus_study.py: an IntrinsicPPO row runs and lands in the table beside PPO's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
from example_loader import load_example  # noqa: E402


def test_intrinsic_row_runs_and_is_tabled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    study = load_example("bonus_study")
    monkeypatch.chdir(tmp_path)  # runs write under runs/
    kwargs = '{"n_epochs": 1}'
    row = study.run_one("lock", "prediction-error", 1.0, 0, 512, 2, "{}", "intrinsic_ppo", kwargs)
    assert row["algo"] == "intrinsic_ppo" and row["steps"] == 512
    assert row["states_discovered"] >= 2 and row["episodes"] >= 0
    again = study.run_one("lock", "prediction-error", 1.0, 0, 512, 2, "{}", "intrinsic_ppo", kwargs)
    timing = {"seconds", "steps_per_second"}  # wall time

    def untimed(result: dict[str, Any]) -> dict[str, Any]:
        metrics = {k: v for k, v in result["metrics"].items() if k not in timing}
        return {**{k: v for k, v in result.items() if k not in timing}, "metrics": metrics}

    assert untimed(again) == untimed(row)  # same seed, same run
    plain = study.run_one("lock", "none", 0.0, 0, 512, 2, "{}")
    text = study.table([row, plain], 512, 1)
    assert "| lock (12 states) | PPO | none | 0 |" in text
    assert '| lock (12 states) | IntrinsicPPO {"n_epochs": 1} | prediction-error | 1 |' in text
