"""ROM discovery and SHA-1 verification (aisam_envs.pokemon.rom)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from homebrew_rom import build_rom

from aisam_envs.errors import InvalidConfigError
from aisam_envs.pokemon import rom


def test_no_path_and_no_env_var_says_how_to_provide_one(monkeypatch) -> None:
    monkeypatch.delenv(rom.ROM_ENV_VAR, raising=False)
    with pytest.raises(InvalidConfigError, match="rom_path=.*AISAM_POKEMON_ROM.*never downloaded"):
        rom.load_rom()


def test_env_var_is_read_when_no_path_is_given(rom_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(rom.ROM_ENV_VAR, str(rom_path))
    image = rom.load_rom(allow_unknown=True)
    assert image.path == rom_path and image.data == rom_path.read_bytes()


@pytest.mark.parametrize("name", ["missing.gb", "."])
def test_missing_file_or_directory(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidConfigError, match="AISAM_POKEMON_ROM"):
        rom.load_rom(tmp_path / name)


def test_unknown_dump_is_refused_unless_allowed(rom_path: Path) -> None:
    with pytest.raises(
        InvalidConfigError, match="not a known Pokemon Red/Blue dump.*allow_unknown_rom"
    ):
        rom.load_rom(rom_path)
    image = rom.load_rom(rom_path, allow_unknown=True)
    assert image.sha1 == hashlib.sha1(rom_path.read_bytes()).hexdigest()
    assert not image.known and image.name == "unknown ROM"


def test_a_known_sha1_is_accepted(rom_path: Path, monkeypatch) -> None:
    sha1 = hashlib.sha1(rom_path.read_bytes()).hexdigest()
    monkeypatch.setitem(rom.KNOWN_ROMS, sha1, "Homebrew (test)")
    image = rom.load_rom(rom_path)
    assert image.known and image.name == "Homebrew (test)"


def test_files_that_are_not_game_boy_roms(tmp_path: Path) -> None:
    small = tmp_path / "small.gb"
    small.write_bytes(b"\x00" * 1024)
    with pytest.raises(InvalidConfigError, match="too small"):
        rom.load_rom(small, allow_unknown=True)
    corrupt = bytearray(build_rom())
    corrupt[0x134] ^= 0xFF  # title changed, header checksum now wrong
    bad = tmp_path / "bad.gb"
    bad.write_bytes(bytes(corrupt))
    with pytest.raises(InvalidConfigError, match="header checksum"):
        rom.load_rom(bad, allow_unknown=True)
