"""``aisam train`` checkpoints and ``--resume``: a run killed with SIGKILL goes on."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from aisam_agents.checkpointing import list_checkpoints, read_checkpoint
from aisam_agents.cli import main
from aisam_agents.errors import CheckpointError
from aisam_agents.object_state import encode
from aisam_agents.train import TrainConfig, build_run, train
from aisam_wrappers import find_bonus

ROOT = Path(__file__).resolve().parents[2]
#: a small run: 2 envs x 64 steps per rollout, a checkpoint every 2 rollouts
SMALL = {
    "n_envs": 2,
    "algo_kwargs": {"n_steps": 64, "batch_size": 64, "n_epochs": 1},
    "checkpoint_every": 256,
    "eval_freq": 256,
    "eval_episodes": 1,
    "progress_bar": False,
}


def _steps(out: Path) -> list[int]:
    with (out / "metrics.csv").open(newline="") as file:
        return [int(row["steps"]) for row in csv.DictReader(file)]


def _tensors(tree: object) -> list[torch.Tensor]:
    """Every tensor in a nested state (``object_state.encode``'s), in order."""
    if isinstance(tree, torch.Tensor):
        return [tree]
    if isinstance(tree, dict):
        return [t for value in tree.values() for t in _tensors(value)]
    if isinstance(tree, list | tuple):
        return [t for value in tree for t in _tensors(value)]
    return []


def _interrupted(tmp_path: Path, name: str = "run", **settings: object) -> Path:
    """A run that trained to its end, with its summary removed: a run killed after its
    last checkpoint, as far as ``--resume`` can tell."""
    out = tmp_path / name
    train(TrainConfig(out=str(out), total_steps=768, **{**SMALL, **settings}))  # type: ignore[arg-type]
    (out / "summary.json").unlink()
    return out


def test_a_run_killed_mid_training_resumes_and_ends_at_its_step_count(tmp_path: Path) -> None:
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "aisam_agents.cli",
        "train",
        "--out",
        str(out),
        "--steps",
        "2000",
        "--n-envs",
        "2",
        "--algo-kwargs",
        "n_steps=64",
        "batch_size=64",
        "n_epochs=1",
        "--checkpoint-every",
        "256",
        "--eval-freq",
        "512",
        "--eval-episodes",
        "1",
        "--no-progress",
    ]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list_checkpoints(out / "checkpoints") and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)  # no chance to clean up or save anything
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "summary.json").exists()
    killed_at = list_checkpoints(out / "checkpoints")[0][1]
    assert killed_at < 2000

    assert main(["train", "--resume", str(out), "--no-progress"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 2048  # 2,000 rounded up to whole rollouts of 128
    steps = _steps(out)  # record_every 20: a row per rollout
    assert steps == list(range(128, 2049, 128)), "a step logged twice, or a gap"
    assert [p.name for p in (out / "tb").iterdir()] == ["PPO_1"]  # the same TensorBoard run
    timesteps = summary["evaluations"]["timesteps"]
    assert timesteps == [512, 1024, 1536, 2048]  # evaluations go on where they were
    assert np.all(np.isfinite(summary["evaluations"]["mean_return"]))
    assert np.isfinite(summary["eval_reward"])


def test_a_checkpoint_holds_the_whole_state_readable_as_weights_only(tmp_path: Path) -> None:
    out = _interrupted(tmp_path)
    found = list_checkpoints(out / "checkpoints")
    assert [step for _, step in found] == [512, 256]  # the last two (every 256 steps of 768)
    assert not [p for p in (out / "checkpoints").iterdir() if p.suffix != ".pt"]  # no temp
    outer = torch.load(found[0][0], weights_only=True)
    assert outer["step"] == 512 and outer["format"] == "aisam-train-checkpoint"
    state = read_checkpoint(found[0][0])
    assert set(state) >= {"model", "bonus", "rng", "metrics", "evaluator", "fingerprint"}
    assert state["bonus"]["object"].endswith(":BonusMixer")
    assert json.loads(state["fingerprint"]["seed"]) == 0


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_damaged_latest_checkpoint_is_reported_and_the_previous_one_used(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    out = _interrupted(tmp_path)
    latest = list_checkpoints(out / "checkpoints")[0][0]
    data = bytearray(latest.read_bytes())
    if damage == "truncate":
        latest.write_bytes(data[: len(data) // 2])
    else:
        data[len(data) // 2] ^= 0xFF
        latest.write_bytes(bytes(data))
    with caplog.at_level(logging.INFO, logger="aisam_agents"):
        run = build_run(TrainConfig(resume=str(out), progress_bar=False))
    run.close()
    skipped = [r.getMessage() for r in caplog.records if "damaged checkpoint" in r.getMessage()]
    assert len(skipped) == 1 and latest.name in skipped[0]
    assert run.start_step == 256
    assert run.model.num_timesteps == 256


def test_resume_refuses_a_checkpoint_of_another_run(tmp_path: Path) -> None:
    ours = _interrupted(tmp_path, "ours", seed=0)
    theirs = _interrupted(tmp_path, "theirs", seed=1)
    shutil.rmtree(ours / "checkpoints")
    shutil.copytree(theirs / "checkpoints", ours / "checkpoints")
    with pytest.raises(CheckpointError, match=r"made by another run \(--seed 1 there"):
        build_run(TrainConfig(resume=str(ours)))


def test_resume_refuses_options_that_change_the_run_and_a_finished_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _interrupted(tmp_path)
    args = ["train", "--resume", str(out), "--env-kwargs", "n_states=12", "--algo", "a2c"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--env-kwargs {'n_states': 12}" in err and "--algo 'a2c'" in err
    (out / "summary.json").write_text("{}")
    with pytest.raises(CheckpointError, match="has finished"):
        build_run(TrainConfig(resume=str(out)))
    with pytest.raises(CheckpointError, match="no run there"):
        build_run(TrainConfig(resume=str(tmp_path / "nothing")))


@pytest.mark.parametrize(
    "settings",
    [
        {"algo": "dqn", "algo_kwargs": {"learning_starts": 64, "buffer_size": 2000}},
        {"algo": "intrinsic_ppo", "bonus": "prediction-error"},
        {"algo": "a2c", "algo_kwargs": {"n_steps": 32}, "bonus": "entropy"},
        {"algo": "learnmax", "algo_kwargs": {"learning_starts": 32, "batch_size": 4}},
        {"algo": "ponder_dreamer", "algo_kwargs": {"learning_starts": 32, "horizon": 3}},
    ],
    ids=["dqn", "intrinsic_ppo", "a2c", "learnmax", "ponder_dreamer"],
)
def test_every_kind_of_algorithm_resumes_with_its_state(
    tmp_path: Path, settings: dict[str, object]
) -> None:
    out = _interrupted(tmp_path, **settings)
    path = list_checkpoints(out / "checkpoints")[0][0]
    saved = read_checkpoint(path)
    run = build_run(TrainConfig(resume=str(out), progress_bar=False))
    try:
        assert run.model.num_timesteps == saved["step"]
        if settings["algo"] == "dqn":  # the replay buffer is back, filled as it was
            buffer = run.model.replay_buffer
            assert buffer.pos == saved["replay"]["pos"] == saved["step"] // 2
            np.testing.assert_array_equal(
                buffer.observations[: buffer.pos], saved["replay"]["arrays"]["observations"]
            )
        assert sorted(run.metrics.states) == saved["metrics"]["states"]
        live, kept = _tensors(encode(find_bonus(run.venv))), _tensors(saved["bonus"])
        assert len(live) == len(kept) > 0  # the bonus is back: weights, counts, normalisers
        for a, b in zip(live, kept, strict=True):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
        run.learn(run.steps - run.start_step)
        assert run.model.num_timesteps == run.steps == 768
    finally:
        run.close()


def test_two_resumes_from_one_checkpoint_train_the_same_model(tmp_path: Path) -> None:
    out = _interrupted(tmp_path)
    shutil.copytree(out, tmp_path / "copy")
    weights, rows = [], []
    for folder in (out, tmp_path / "copy"):
        train(TrainConfig(resume=str(folder), progress_bar=False))
        with zipfile.ZipFile(folder / "model.zip") as archive:
            weights.append(torch.load(io.BytesIO(archive.read("policy.pth")), weights_only=True))
        with (folder / "metrics.csv").open(newline="") as file:
            rows.append(
                [(r["steps"], r["episodes"], r["score_mean"]) for r in csv.DictReader(file)]
            )
    assert weights[0].keys() == weights[1].keys()
    for name in weights[0]:
        torch.testing.assert_close(weights[0][name], weights[1][name], rtol=0, atol=0)
    assert rows[0] == rows[1]


def test_a_run_learns_in_chunks_into_one_csv_and_one_tensorboard_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    run = build_run(TrainConfig(out=str(out), total_steps=768, **SMALL))  # type: ignore[arg-type]
    try:
        while run.model.num_timesteps < run.steps:
            run.learn(128)
    finally:
        run.close()
    assert _steps(out) == list(range(128, 769, 128))  # one header, a row per rollout
    assert [p.name for p in (out / "tb").iterdir()] == ["PPO_1"]
    assert [step for _, step in list_checkpoints(out / "checkpoints")] == [512, 256]
