"""``aisam scaling`` on tiny tables: rows, exposures, resume, checks, Ray and the plot."""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from aisam_agents.cli import main
from aisam_agents.errors import CheckpointError
from aisam_agents.studies import scaling
from aisam_agents.studies.scaling import ScalingConfig, count_params, points, read_rows, sweep
from aisam_agents.studies.table_fit import DeviceTable, build
from aisam_envs.errors import InvalidConfigError
from aisam_envs.table.tables import make_table

TINY = dict(
    states=(8,),
    stochastic_states=(8,),
    params_per_bit=(2.0, 8.0),
    max_exposures=12,
    min_exposures=4,
    steps_per_epoch=2,
    device="cpu",
    progress=False,
)
ARGS = [
    "--states", "8", "--stochastic-states", "8", "--params-per-bit", "2", "8",
    "--max-exposures", "12", "--min-exposures", "4", "--steps-per-epoch", "2",
    "--device", "cpu", "--no-progress",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def _without_wall_time(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in r.items() if k != "wall_s"} for r in rows]


def test_scaling_command_writes_rows_curves_and_plot(tmp_path: Path, capsys) -> None:
    assert main(["scaling", *ARGS, "--out", str(tmp_path)]) == 0
    rows = read_rows(tmp_path / "scaling.csv")
    assert [(r["kind"], r["params_per_bit"]) for r in rows] == [
        ("random", "2.0"),
        ("random", "8.0"),
        ("stochastic", "2.0"),
        ("stochastic", "8.0"),
    ]
    pairs = 8 * 6
    for r in rows:
        exposures = int(r["exposures"])
        assert r["status"] in ("target", "plateau", "cap")
        assert r["converged"] == str(r["status"] != "cap")
        # every pair once per epoch, counted on the device
        assert int(r["exposures_min"]) == int(r["exposures_max"]) == exposures
        assert int(r["tokens"]) == exposures * pairs * 2  # (state, action) tokens per pair
        assert int(r["steps"]) == exposures * 2
        assert float(r["table_bits"]) == pytest.approx(pairs * 3)
        assert float(r["params_per_table_bit"]) == pytest.approx(int(r["params"]) / (pairs * 3))
        assert 0.0 <= float(r["accuracy"]) <= 1.0 and float(r["kl"]) >= 0.0
    curves = read_rows(tmp_path / "scaling_curves.csv")
    assert {c["key"] for c in curves} == {r["key"] for r in rows}
    assert (tmp_path / "scaling.png").stat().st_size > 10_000
    out = capsys.readouterr().out
    assert "| S | table bits | smallest model at target" in out


def test_a_stopped_sweep_resumes_without_redoing_finished_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = ScalingConfig(**{**TINY, "params_per_bit": (4.0,)}, out=tmp_path / "whole")
    assert sweep(whole) == []
    # stopped after every epoch: each call trains one epoch and checkpoints the point
    pieces = dataclasses.replace(whole, out=tmp_path / "pieces", resume=True, time_limit=1e-9)
    calls = 0
    while sweep(pieces):
        calls += 1
        assert calls < 200
    assert calls > 4  # it did stop, several times per point
    assert _without_wall_time(read_rows(pieces.out / "scaling.csv")) == _without_wall_time(
        read_rows(whole.out / "scaling.csv")
    )
    assert not list((pieces.out / "checkpoints").iterdir())
    # a larger grid later: only the new point runs
    ran = []
    real = scaling.fit_point
    monkeypatch.setattr(scaling, "fit_point", lambda spec, *a: ran.append(spec) or real(spec, *a))
    grown = dataclasses.replace(whole, params_per_bit=(4.0, 8.0), resume=True)
    assert sweep(grown) == []
    assert [(p.kind, p.params_per_bit) for p in ran] == [("random", 8.0), ("stochastic", 8.0)]
    assert len(read_rows(whole.out / "scaling.csv")) == 4


def test_an_old_sweep_is_neither_overwritten_nor_mixed_with_other_settings(
    tmp_path: Path,
) -> None:
    config = ScalingConfig(**{**TINY, "stochastic_states": (8,), "params_per_bit": (2.0,)},
                           out=tmp_path)  # fmt: skip
    sweep(config)
    with pytest.raises(InvalidConfigError, match="pass --resume"):
        sweep(config)
    stopped = dataclasses.replace(config, out=tmp_path / "stopped", time_limit=1e-9)
    assert sweep(stopped)  # stopped after one epoch: a checkpoint and no row yet
    with pytest.raises(InvalidConfigError, match="pass --resume"):
        sweep(dataclasses.replace(stopped, time_limit=0.0))
    with pytest.raises(InvalidConfigError, match="max_exposures=12, not 20"):
        sweep(dataclasses.replace(config, resume=True, max_exposures=20))


def test_a_corrupt_checkpoint_is_a_checkpoint_error(tmp_path: Path) -> None:
    config = ScalingConfig(**{**TINY, "params_per_bit": (2.0,)}, out=tmp_path, resume=True)
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / f"{points(config)[0].key}.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="is not a checkpoint of random-S8"):
        sweep(config)


def test_models_are_sized_to_the_grid_with_a_width_scaled_learning_rate() -> None:
    config = ScalingConfig(
        states=(256, 4096), stochastic_states=(1024,), params_per_bit=(0.25, 16.0)
    )
    specs = points(config)
    assert [(p.kind, p.n_states) for p in specs[::2]] == [
        ("random", 256),
        ("stochastic", 1024),
        ("random", 4096),
    ]
    for p in specs:
        params = count_params(p.n_states, p.n_actions, p.n_layer, p.n_embd)
        ratio = params / (p.n_states * 6 * math.log2(p.n_states))
        assert abs(math.log(ratio / p.params_per_bit)) < 0.1  # within 10% of the grid value
        assert p.n_embd % p.n_head == 0
        assert p.learning_rate == pytest.approx(3e-3 * (64 / p.n_embd) ** 1.5)


def test_count_params_counts_the_built_model() -> None:
    for spec in points(ScalingConfig(**{**TINY, "states": (32,), "params_per_bit": (1.0,)})):
        model, _ = build(spec)
        built = model.num_params(non_embedding=False)
        assert count_params(spec.n_states, 6, 2, spec.n_embd) == built


def test_the_device_table_draws_every_pair_once_per_epoch_and_samples_successors() -> None:
    table = make_table("stochastic", 8, 3, seed=1)
    dt = DeviceTable(table, torch.device("cpu"), seed=0)
    nxt = []
    for _ in range(400):
        for pairs in dt.epoch(3):
            batch = dt.batch(pairs)
            nxt.append((pairs, batch["obs"][:, 1]))
    assert bool((dt.counts == 400).all())
    pairs = torch.cat([p for p, _ in nxt]).numpy()
    succ = torch.cat([n for _, n in nxt]).numpy()
    s, a = pairs // 3, pairs % 3
    slots = table.next_states[s, a] == succ[:, None]  # which successor was drawn
    assert slots.any(1).all()  # always one of the pair's successors
    freq = np.zeros(table.probs.shape)
    np.add.at(freq, (s, a, slots.argmax(1)), 1 / 400)
    np.testing.assert_allclose(freq, table.probs, atol=0.1)


def test_scaling_through_ray(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")
    try:
        assert main(["scaling", *ARGS, "--out", str(tmp_path), "--ray-address", "local"]) == 0
    finally:
        ray.shutdown()
    assert len(read_rows(tmp_path / "scaling.csv")) == 4


def test_ray_path_without_ray_names_the_extra(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if ray were not installed
    code = main(["scaling", *ARGS, "--out", str(tmp_path), "--ray-address", "local"])
    assert code == 2 and 'pip install "aisam[ray]"' in capsys.readouterr().err
    assert not (tmp_path / "scaling.csv").exists()


@pytest.mark.gpu
def test_on_cuda_the_batches_are_drawn_on_the_models_device(tmp_path: Path) -> None:
    config = ScalingConfig(**{**TINY, "device": "cuda"}, out=tmp_path)
    spec = points(config)[0]
    model, table = build(spec)
    batch = table.batch(table.epoch(spec.steps_per_epoch)[0])
    assert {t.device.type for t in batch.values()} == {"cuda"} == {model.device.type}
    assert sweep(config) == []
    assert all("NVIDIA" in r["device_name"] for r in read_rows(tmp_path / "scaling.csv"))
