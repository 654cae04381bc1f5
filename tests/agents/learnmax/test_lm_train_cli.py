"""``aisam train --algo learnmax`` on the default table, and the package-root import."""

from __future__ import annotations

from pathlib import Path

import pytest

import aisam_agents
from aisam_agents.cli import main
from aisam_agents.learnmax import LearnMax


def test_package_root_exports_learnmax() -> None:
    assert aisam_agents.LearnMax is LearnMax
    assert aisam_agents.AGENTS["learnmax"] == "aisam_agents.learnmax:LearnMax"


def test_aisam_train_learnmax_on_the_default_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    args = ["train", "--algo", "learnmax", "--steps", "128", "--n-envs", "2", "--eval-freq",
            "64", "--eval-episodes", "1", "--no-progress", "--out", str(out)]  # fmt: skip
    assert main(args) == 0, capsys.readouterr().err
    assert "learnmax" in capsys.readouterr().out
    saved = next(out.glob("model*"))
    agent = LearnMax.load(saved, device="cpu")
    assert agent.num_timesteps == 128
