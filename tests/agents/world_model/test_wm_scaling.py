"""``aisam scaling``: a small sweep writes its CSV and plot, locally and through Ray."""

from __future__ import annotations

import csv
import sys

import pytest

from aisam_agents.cli import main
from aisam_agents.world_model.scaling import SweepPoint, run_point

ARGS = [
    "--states",
    "16",
    "32",
    "--models",
    "xs",
    "--steps",
    "6",
    "--evals",
    "2",
    "--batch-size",
    "32",
    "--device",
    "cpu",
    "--no-progress",
]


def test_scaling_command_writes_csv_and_plot(tmp_path, capsys) -> None:
    assert main(["scaling", *ARGS, "--out", str(tmp_path)]) == 0
    with (tmp_path / "scaling.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["n_states"], r["step"]) for r in rows] == [
        ("16", "3"),
        ("16", "6"),
        ("32", "3"),
        ("32", "6"),
    ]
    for r in rows:
        assert 0.0 <= float(r["accuracy"]) <= 1.0 and float(r["loss"]) > 0
        assert int(r["tokens_seen"]) == int(r["step"]) * 32 * 2
        assert float(r["params_per_bit"]) == pytest.approx(
            int(r["params"]) / float(r["table_bits"])
        )
    assert (tmp_path / "scaling.png").stat().st_size > 10_000
    assert "accuracy=" in capsys.readouterr().out


def test_a_sweep_point_is_deterministic() -> None:
    point = SweepPoint(
        n_states=16, model="xs", kind="stochastic", steps=4, evals=1, batch_size=16, device="cpu"
    )
    assert run_point(point) == run_point(point)


def test_wider_models_get_a_smaller_learning_rate() -> None:
    point = SweepPoint(n_states=16, model="m", steps=1, evals=1, batch_size=8, device="cpu")
    (row,) = run_point(point)
    assert row["n_embd"] == 128 and row["lr"] == pytest.approx(point.learning_rate / 2)


def test_scaling_through_ray(tmp_path) -> None:
    ray = pytest.importorskip("ray")
    try:
        assert main(["scaling", *ARGS, "--out", str(tmp_path), "--ray-address", "local"]) == 0
    finally:
        ray.shutdown()
    with (tmp_path / "scaling.csv").open() as f:
        assert len(list(csv.DictReader(f))) == 4


def test_ray_path_without_ray_names_the_extra(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if ray were not installed
    code = main(["scaling", *ARGS, "--out", str(tmp_path), "--ray-address", "local"])
    assert code == 2 and 'pip install "aisam[ray]"' in capsys.readouterr().err
    assert not (tmp_path / "scaling.csv").exists()
