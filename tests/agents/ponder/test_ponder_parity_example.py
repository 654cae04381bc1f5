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


def _args(checkpoint: Path, hidden: int = 16) -> argparse.Namespace:
    return argparse.Namespace(
        task="interpolation", n_bits=4, cell="gru", hidden=hidden, max_steps=5, batch=8,
        lr=1e-3, beta=0.01, lambda_p=0.3, iterations=10, minutes=5.0, eval_every=5,
        test_size=32, seed=0, device="cpu", cuda_graph=False, out=None, checkpoint=checkpoint,
    )  # fmt: skip


def test_runs_resume_from_the_checkpoint_and_add_up(tmp_path: Path) -> None:
    example, ckpt = _example(), tmp_path / "parity.pt"
    first = example.train(_args(ckpt))
    second = example.train(_args(ckpt))
    assert first["final"]["iteration"] == 10 and second["final"]["iteration"] == 20
    assert [row["iteration"] for row in second["history"]] == [5, 10, 15, 20]
    assert second["final"]["seconds"] > first["final"]["seconds"]
    with pytest.raises(SystemExit, match="use another --checkpoint"):
        example.train(_args(ckpt, hidden=32))
