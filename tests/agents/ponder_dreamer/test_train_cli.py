"""PonderDreamer from the package root and through ``aisam train --algo ponder_dreamer``."""

from __future__ import annotations

from pathlib import Path

import torch

from aisam_agents.cli import main


def test_package_root_exports_the_agent() -> None:
    import aisam_agents
    from aisam_agents import PonderDreamer
    from aisam_agents.ponder_dreamer import PonderDreamer as Direct

    assert PonderDreamer is Direct
    assert aisam_agents.AGENTS["ponder_dreamer"] == "aisam_agents.ponder_dreamer:PonderDreamer"


def test_aisam_train_runs_it_on_the_default_table(tmp_path: Path) -> None:
    from aisam_agents import PonderDreamer

    torch.set_num_threads(1)
    out = tmp_path / "run"
    args = ["--steps", "128", "--n-envs", "2", "--eval-freq", "64", "--eval-episodes", "1"]
    kwargs = ["--algo-kwargs", "learning_starts=32", "horizon=3", "batch_size=4"]
    code = main(
        ["train", "--algo", "ponder_dreamer", *args, "--no-progress", "--out", str(out), *kwargs]
    )
    assert code == 0 and (out / "model.zip").is_file()
    agent = PonderDreamer.load(out / "model.zip", device="cpu")
    assert agent.num_timesteps == 128 and agent.horizon == 3 and agent._n_updates > 0
