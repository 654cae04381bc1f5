"""TextWorld's game cache under concurrency and damage: 8 processes asking for one game at
once leave one valid cached game (generated once) and no torn or temporary files; a
truncated or otherwise damaged entry is detected and regenerated."""

from __future__ import annotations

import json
import multiprocessing as mp
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("textworld")

from aisam_envs.textworld import GameSpec, game_path, games  # noqa: E402
from aisam_envs.textworld.games import check_story  # noqa: E402

SPEC = GameSpec(world_size=1, nb_objects=0, quest_length=1, game_seed=3)


def _ask(directory: str, barrier: Any, out: Any) -> None:
    barrier.wait()  # all 8 ask at the same moment
    out.put(str(game_path(SPEC, Path(directory))))


def _counting_compile(log: Path) -> Any:
    """games._compile that also appends a line to ``log`` per generation (all processes)."""
    real = games._compile

    def compile_and_count(spec: GameSpec, path: Path) -> None:
        with open(log, "a") as file:
            file.write("generated\n")
        real(spec, path)

    return compile_and_count


def _entries(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir())


def test_eight_processes_generate_one_game_once(tmp_path: Path, monkeypatch) -> None:
    root, log = tmp_path / "cache", tmp_path / "generations.log"
    monkeypatch.setattr(games, "_compile", _counting_compile(log))
    ctx = mp.get_context("fork")  # the children inherit the counting _compile
    barrier, out = ctx.Barrier(8), ctx.Queue()
    procs = [ctx.Process(target=_ask, args=(str(root), barrier, out)) for _ in range(8)]
    for p in procs:
        p.start()
    paths = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert len(set(paths)) == 1
    game = Path(paths[0])
    assert log.read_text().count("generated") == 1  # the others waited on the lock
    assert _entries(root) == [game.parent.name, f"{game.parent.name}.lock"]  # no temp dirs
    check_story(game)  # whole: header length and checksum
    assert json.loads(game.with_suffix(".json").read_text())["metadata"]["walkthrough"]


def _damage_story(game: Path) -> None:
    game.write_bytes(game.read_bytes()[: game.stat().st_size // 2])


def _damage_json(game: Path) -> None:
    json_path = game.with_suffix(".json")
    json_path.write_text(json_path.read_text()[:100])


def _remove_json(game: Path) -> None:
    game.with_suffix(".json").unlink()


def _flip_a_byte(game: Path) -> None:
    data = bytearray(game.read_bytes())
    data[len(data) // 3] ^= 0x55
    game.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def cached(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder holding SPEC's game, generated once for this module."""
    root = tmp_path_factory.mktemp("cache")
    game_path(SPEC, root)
    return root


@pytest.mark.parametrize("damage", [_damage_story, _damage_json, _remove_json, _flip_a_byte])
def test_a_damaged_entry_is_regenerated(cached: Path, tmp_path: Path, damage, caplog) -> None:
    shutil.copytree(cached, tmp_path, dirs_exist_ok=True)
    game = game_path(SPEC, tmp_path)
    whole = game.read_bytes()
    damage(game)
    with caplog.at_level("WARNING", logger=games.__name__):
        again = game_path(SPEC, tmp_path)
    assert again == game
    assert "is damaged" in caplog.text and "regenerating" in caplog.text
    check_story(again)
    assert len(again.read_bytes()) == len(whole)
    json.loads(again.with_suffix(".json").read_text())
    assert _entries(tmp_path) == [game.parent.name, f"{game.parent.name}.lock"]


def test_a_whole_entry_is_reused_without_generating(cached: Path, monkeypatch) -> None:
    game = game_path(SPEC, cached)
    stamp = game.stat().st_mtime_ns
    monkeypatch.setattr(games, "_compile", lambda *a: pytest.fail("regenerated a whole game"))
    assert game_path(SPEC, cached) == game
    assert game.stat().st_mtime_ns == stamp
