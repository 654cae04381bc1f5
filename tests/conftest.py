"""Shared test configuration: one thread per test worker; GPU tests skipped without CUDA,
real-ROM tests without ``AISAM_POKEMON_ROM``; generated TextWorld games cached in a temporary
directory, never the user's ``~/.cache/aisam``."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # pytest -n 2 on 2 cores: no oversubscription

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def aisam_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``AISAM_CACHE_DIR`` for the whole session (subprocesses inherit it): one temporary
    games cache, shared by the xdist workers (the cache's lock is tested)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    path = base / "aisam-cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AISAM_CACHE_DIR", str(path))
        yield path


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if any(item.get_closest_marker("gpu") for item in items) and not _cuda_available():
        skip = pytest.mark.skip(reason="needs a CUDA GPU")
        for item in items:
            if item.get_closest_marker("gpu"):
                item.add_marker(skip)
    if not os.environ.get("AISAM_POKEMON_ROM"):
        skip_rom = pytest.mark.skip(reason="needs your own ROM: set AISAM_POKEMON_ROM")
        for item in items:
            if item.get_closest_marker("rom"):
                item.add_marker(skip_rom)
