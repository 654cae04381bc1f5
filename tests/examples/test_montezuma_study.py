"""examples/montezuma_study.py: runs end to end, checkpoints, resumes without duplicate rows,
and refuses checkpoints it cannot continue."""

from __future__ import annotations

import csv
import json
import shutil
import time
from pathlib import Path

import pytest

pytest.importorskip("ale_py")
pytest.importorskip("cv2")
pytest.importorskip("matplotlib")
from example_loader import load_example  # noqa: E402

from aisam_agents.errors import CheckpointError  # noqa: E402


def _argv(out: Path, steps: int, *extra: str) -> list[str]:
    return [
        "--rows", "ppo_rnd", "intrinsic_rnd", "--seeds", "0", "--steps", str(steps),
        "--n-envs", "2", "--n-steps", "8", "--log-every", "16", "--workers", "1",
        "--warmup-rollouts", "1", "--checkpoint-minutes", "0", "--random-seconds", "0.1",
        "--device", "cpu", "--out", str(out), *extra,
    ]  # fmt: skip


def _rows(out: Path) -> list[tuple[str, int]]:
    with (out / "montezuma_study.csv").open(newline="") as f:
        return [(r["row"], int(r["env_steps"])) for r in csv.DictReader(f)]


def test_runs_resumes_and_refuses(tmp_path: Path) -> None:
    study, out = load_example("montezuma_study"), tmp_path / "study"
    table = study.main(_argv(out, 32))
    assert "| ppo_rnd | 1 | 32 |" in table and "| intrinsic_rnd | 1 | 32 |" in table
    assert _rows(out) == [
        ("ppo_rnd", 16),
        ("ppo_rnd", 32),
        ("intrinsic_rnd", 16),
        ("intrinsic_rnd", 32),
    ]
    assert (out / "montezuma_study.png").stat().st_size > 0
    folder = out / "ppo_rnd-seed0"
    assert sorted(p.name for p in folder.iterdir()) == [
        "bonus-32.pt",
        "model-32.zip",
        "progress.json",
    ]  # fmt: skip  (the mixed bonus's state is saved beside PPO's model; older files go)

    with pytest.raises(CheckpointError, match="pass --resume"):
        study.main(_argv(out, 48))  # nothing overwritten without --resume
    with (out / "montezuma_study.csv").open("a") as f:  # a row past the checkpoint (a crash)
        f.write("ppo_rnd,0,999,0,0,0,0,0,1,1,1,1\n")
    study.main(_argv(out, 48, "--resume"))
    rows = _rows(out)
    assert len(rows) == len(set(rows)) and ("ppo_rnd", 999) not in rows
    assert [s for r, s in rows if r == "intrinsic_rnd"] == [16, 32, 48]
    assert json.loads((folder / "progress.json").read_text())["steps"] == 48

    other = out / "intrinsic_rnd-seed0"
    shutil.rmtree(folder)
    shutil.copytree(other, folder)  # another algorithm's run in ppo_rnd's place
    with pytest.raises(CheckpointError, match="holds a run of"):
        study.main(_argv(out, 64, "--resume"))
    (other / "model-48.zip").unlink()
    with pytest.raises(CheckpointError, match="missing"):
        study.main(_argv(out, 64, "--resume", "--rows", "intrinsic_rnd"))


def _learnmax_argv(out: Path, steps: int, *extra: str) -> list[str]:
    """The learnmax row with a world model small enough for a CPU test."""
    return [
        "--rows", "learnmax", "--seeds", "0", "--steps", str(steps), "--n-envs", "2",
        "--log-every", "64", "--workers", "1", "--checkpoint-minutes", "0",
        "--random-seconds", "0.1", "--device", "cpu", "--out", str(out),
        "--learnmax-preset", "tiny", "--learnmax-override", "n_layer=1", "n_embd=32",
        "max_frames=4", "image_size=16", "grid_size=2", "vq_channels=8", "codebook_size=16",
        "--learnmax-horizon", "2", "--learnmax-width", "2", "--learnmax-train-ratio", "0.25",
        "--learnmax-buffer", "256", *extra,
    ]  # fmt: skip


def test_learnmax_row_runs_resumes_and_refuses(tmp_path: Path) -> None:
    from aisam_agents import LearnMax

    study, out = load_example("montezuma_study"), tmp_path / "study"
    table = study.main(_learnmax_argv(out, 128))
    assert "| learnmax | 1 | 128 |" in table
    assert _rows(out) == [("learnmax", 64), ("learnmax", 128)]
    folder = out / "learnmax-seed0"
    assert sorted(p.name for p in folder.iterdir()) == ["model-128.pt", "progress.json"]
    progress = json.loads((folder / "progress.json").read_text())
    assert progress["algo"] == "learnmax" and progress["rooms"] == [[0, 1]]  # the Recorder's
    agent = LearnMax.load(folder / "model-128.pt", device="cpu")
    assert agent.model.config.n_embd == 32 and agent.params["width"] == 2  # the CLI's
    assert agent.learner.n_updates > 0  # the world model trained

    with pytest.raises(CheckpointError, match="pass --resume"):
        study.main(_learnmax_argv(out, 192))
    with (out / "montezuma_study.csv").open("a") as f:  # a row past the checkpoint (a crash)
        f.write("learnmax,0,999,0,0,0,0,0,1,1,1,1\n")
    study.main(_learnmax_argv(out, 192, "--resume"))  # the replay refills, then it trains
    assert _rows(out) == [("learnmax", 64), ("learnmax", 128), ("learnmax", 192)]
    assert sorted(p.name for p in folder.iterdir()) == ["model-192.pt", "progress.json"]
    assert LearnMax.load(folder / "model-192.pt", device="cpu").num_timesteps == 192

    shutil.copytree(folder, out / "ppo-seed0")  # LearnMax's run in the ppo row's place
    with pytest.raises(CheckpointError, match="holds a run of"):
        study.main([*_argv(out, 256, "--resume"), "--rows", "ppo"])
    (folder / "model-192.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="model-192.pt"):
        study.main(_learnmax_argv(out, 256, "--resume"))


def test_learnmax_stops_at_the_deadline(tmp_path: Path) -> None:
    """A LearnMax chunk ends after the first vector step past the call's deadline."""
    study = load_example("montezuma_study")
    args = study.parse_args(_learnmax_argv(tmp_path, 128))
    env = study.make_env(args, "learnmax", 0)
    try:
        model = study.new_model(args, "learnmax", 0, env)
        progress = study.Progress("learnmax", 0, "learnmax", study.ENV_ID)
        recorder = study.Recorder(progress, stop_at=time.perf_counter())
        model.learn(64, callback=recorder.callback)
    finally:
        env.close()
    recorder.sync()
    assert model.num_timesteps == 2 and progress.rooms == [[0, 1]]
