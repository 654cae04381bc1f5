"""Importing aisam_envs registers every id and imports no optional dependency."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import pytest

import aisam_envs
from aisam_envs.errors import MissingExtraError, require_extra

OPTIONAL = ["ale_py", "textworld", "pyboy", "torch", "stable_baselines3"]


def test_every_entry_is_registered_under_the_aisam_namespace() -> None:
    for entry in aisam_envs.ENVS:
        assert entry.id.startswith("aisam/")
        spec = gym.spec(entry.id)
        assert spec.entry_point == entry.entry_point
        assert spec.vector_entry_point == entry.vector_entry_point


def test_import_pulls_in_no_optional_dependency() -> None:
    code = (
        "import sys, aisam_envs, aisam_agents.cli; "
        f"print([m for m in {OPTIONAL!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_extra_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ale_py", None)  # as if it were not installed
    with pytest.raises(MissingExtraError, match=r'pip install "aisam\[atari\]"') as info:
        require_extra("ale_py", "atari")
    assert isinstance(info.value, ImportError) and info.value.extra == "atari"


def test_a_broken_dependency_is_not_mistaken_for_a_missing_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    pkg = tmp_path / "brokenpkg"  # type: ignore[operator]
    pkg.mkdir()
    (pkg / "__init__.py").write_text("import a_module_that_does_not_exist\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="a_module_that_does_not_exist"):
        require_extra("brokenpkg", "all")
