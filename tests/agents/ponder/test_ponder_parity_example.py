"""examples/ponder_parity.py: short runs resume from a checkpoint and add up."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("torch")

EXAMPLE = Path(__file__).parents[3] / "examples" / "ponder_parity.py"


def _example():  # noqa: ANN202  (a module loaded from a path)
    spec = importlib.util.spec_from_file_location("ponder_parity", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _args(checkpoint: Path, hidden: int = 16, **changes: object) -> argparse.Namespace:
    args = argparse.Namespace(
        task="interpolation", n_bits=4, cell="gru", hidden=hidden, max_steps=5, batch=8,
        lr=1e-3, beta=0.01, lambda_p=0.3, iterations=10, minutes=5.0, eval_every=5,
        test_size=32, seed=0, device="cpu", cuda_graph=False, out=None, checkpoint=checkpoint,
    )  # fmt: skip
    return argparse.Namespace(**{**vars(args), **changes})


def test_runs_resume_from_the_checkpoint_and_add_up(tmp_path: Path) -> None:
    example, ckpt = _example(), tmp_path / "parity.pt"
    first = example.train(_args(ckpt))
    second = example.train(_args(ckpt))
    assert first["final"]["iteration"] == 10 and second["final"]["iteration"] == 20
    assert [row["iteration"] for row in second["history"]] == [5, 10, 15, 20]
    assert second["final"]["seconds"] > first["final"]["seconds"]
    for row in second["final"]["by_n_active"]:
        assert len(row["accuracy_per_step"]) <= 5
        assert all(0.0 <= a <= 1.0 for a in row["accuracy_per_step"])
    with pytest.raises(SystemExit, match="use another --checkpoint"):
        example.train(_args(ckpt, hidden=32))


def test_the_chain_keeps_its_most_accurate_state_beside_the_checkpoint(tmp_path: Path) -> None:
    import torch

    example, ckpt = _example(), tmp_path / "parity.pt"
    best_file = tmp_path / "parity.best.pt"
    result = example.train(_args(ckpt, iterations=20, eval_every=2))
    accuracies = [row["accuracy_sample"] for row in result["history"]]
    assert len(set(accuracies)) > 1, "the evaluations must differ for the test to mean anything"
    best = torch.load(best_file, weights_only=False)
    assert best["history"][-1]["accuracy_sample"] == max(accuracies)
    assert best["iteration"] == result["history"][accuracies.index(max(accuracies))]["iteration"]
    resumed = example.train(_args(best_file, iterations=0))  # the best state is a checkpoint
    assert resumed["final"]["iteration"] == best["iteration"]

    state = torch.load(ckpt, weights_only=False)  # a later run must beat the chain's best
    state["history"][0]["accuracy_sample"] = 1.5
    torch.save(state, ckpt)
    before = best_file.read_bytes()
    example.train(_args(ckpt, iterations=10, eval_every=2))
    assert best_file.read_bytes() == before


def test_a_resumed_run_trains_with_its_own_learning_rate(tmp_path: Path) -> None:
    import torch

    example, ckpt = _example(), tmp_path / "parity.pt"
    example.train(_args(ckpt, lr=1e-3))
    example.train(_args(ckpt, lr=2.5e-4))
    state = torch.load(ckpt, weights_only=False)
    assert [group["lr"] for group in state["optimizer"]["param_groups"]] == [2.5e-4]
    assert state["optimizer"]["state"], "the Adam moments carry over"


@pytest.mark.gpu
def test_cuda_graph_runs_resume_on_the_gpu(tmp_path: Path) -> None:
    example, ckpt = _example(), tmp_path / "parity.pt"
    gpu = {"device": "cuda", "cuda_graph": True, "batch": 64}
    first = example.train(_args(ckpt, **gpu))
    second = example.train(_args(ckpt, **gpu))  # the generator state comes back on the CPU
    assert second["final"]["iteration"] == 2 * first["final"]["iteration"] == 20


def test_a_cuda_graph_checkpoint_resumes_eagerly_on_the_cpu(tmp_path: Path) -> None:
    import dataclasses

    import torch

    example, ckpt = _example(), tmp_path / "parity.pt"
    example.train(_args(ckpt))
    state = torch.load(ckpt, weights_only=False)
    assert state["config"].halt_epsilon == 0.05
    state["config"] = dataclasses.replace(state["config"], halt_epsilon=0.0)  # as --cuda-graph
    state["generator"] = torch.zeros(16, dtype=torch.uint8)  # a CUDA generator's state size
    torch.save(state, ckpt)
    saved = ckpt.read_bytes()
    resumed = example.train(_args(ckpt, iterations=0))  # evaluation only
    assert resumed["final"]["iteration"] == 10
    assert ckpt.read_bytes() == saved  # evaluating does not rewrite the checkpoint
