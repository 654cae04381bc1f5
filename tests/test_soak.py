"""The short soak (``benchmarks/soak.py`` at a small scale): every workload whose
dependencies are installed keeps its memory and open files flat after warm-up."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SOAK = Path(__file__).resolve().parents[1] / "benchmarks" / "soak.py"
#: the optional modules a workload needs (the others need only the core install)
NEEDS: dict[str, tuple[str, ...]] = {
    "prediction-error": ("torch",),
    "entropy": ("torch",),
    "montezuma-single": ("ale_py",),
    "montezuma-vector": ("ale_py",),
    "textworld": ("textworld",),
    "pokemon": ("pyboy",),
    "train": ("torch", "stable_baselines3"),
}


def _soak_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("soak", SOAK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_short_soak_keeps_memory_and_open_files_flat() -> None:
    soak = _soak_module()
    names = [
        name
        for name in soak.WORKLOADS
        if all(importlib.util.find_spec(m) is not None for m in NEEDS.get(name, ()))
    ]
    assert "table-vector" in names and "satiation" in names  # the core ones always run
    results = list(soak.soak(names, scale=0.001, samples=8, warmup=0.25))
    failed = [r for r in results if isinstance(r, tuple)]
    assert not failed, f"workloads that did not run: {failed}"
    assert [r.name for r in results] == names
    for r in results:
        assert len(r.rss_mib) == 8 and r.steps > 0
        assert r.ok, (
            f"{r.name}: RSS {min(r.rss_mib[r.warmup :]):.1f} -> {r.rss_mib[-1]:.1f} MiB "
            f"(+{r.growth_mib:.1f}), open files {r.fds[r.warmup]} -> {r.fds[-1]}"
        )
