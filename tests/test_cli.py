"""The ``aisam`` command: dispatch, ``envs`` and ``bench``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aisam_agents.cli import main


def test_envs_lists_every_id_with_its_extra(capsys: pytest.CaptureFixture[str]) -> None:
    import aisam_envs

    assert main(["envs"]) == 0
    out = capsys.readouterr().out
    for entry in aisam_envs.ENVS:
        assert entry.id in out
    assert "aisam/TransitionTable-v0" in out and "(core)" in out


def test_bench_measures_the_table_env(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "aisam/TransitionTable-v0", "--seconds", "0.05"]) == 0
    row = [line for line in capsys.readouterr().out.splitlines() if "TransitionTable" in line][-1]
    cells = row.split()
    assert float(cells[1].replace(",", "")) > 0 and float(cells[2].replace(",", "")) > 0


def test_bench_rejects_unknown_ids(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "aisam/Nope-v0"]) == 2
    assert "unknown ids" in capsys.readouterr().out


def test_console_script_help_and_bad_command() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "aisam_agents.cli", "--help"], capture_output=True, text=True
    )
    assert ok.returncode == 0 and "envs" in ok.stdout and "bench" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "aisam_agents.cli", "fly"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-exposures", "0"], "--max-exposures must be >= 2"),
        (["--steps-per-epoch", "0"], "--steps-per-epoch must be >= 1"),
        (["--lr", "nan"], "--lr must be finite"),
        (["--target-accuracy", "1.5"], "--target-accuracy must be in (0, 1]"),
        (["--out", __file__], "is not a folder"),
    ],
)
def test_our_errors_end_a_command_with_exit_2_and_a_message_not_a_traceback(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["scaling", "--no-progress", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("aisam scaling: ") and message in err
