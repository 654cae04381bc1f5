"""ROM discovery and SHA-1 verification (aisam_envs.pokemon.rom)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
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


def patched_rom(rom: bytes = b"", **header: int) -> bytes:
    """``rom`` (default: the homebrew ROM) with header bytes changed (``b147=0xFD``) and the
    header checksum made right again, so only the patched bytes are wrong."""
    data = bytearray(rom or build_rom())
    for name, value in header.items():
        data[int(name[1:], 16)] = value
    checksum = 0
    for byte in data[0x134:0x14D]:
        checksum = (checksum - byte - 1) & 0xFF
    data[0x14D] = checksum
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        # PyBoy raised KeyError: 89 (RAM size code) or "Catridge type invalid" on these
        (patched_rom(np.random.default_rng(0).bytes(0x8000)), "cartridge type"),
        (patched_rom(b147=0xFD), "cartridge type 0xfd"),
        (patched_rom(b147=0xFC), "cartridge type 0xfc"),  # the Pocket Camera
        (patched_rom(b147=0x20), "cartridge type 0x20"),  # MBC6
        (patched_rom(b149=0x59), "RAM size code 0x59"),
        (patched_rom(b148=0x52), "ROM size code 0x52"),
        (patched_rom(b148=0x01), "32768 bytes but its header .* says 65536"),  # truncated
        (patched_rom(build_rom() + bytes(0x4000)), "49152 bytes .* says 32768"),
    ],
)
def test_headers_pyboy_cannot_run_are_refused(tmp_path: Path, data: bytes, match: str) -> None:
    bad = tmp_path / "bad.gb"
    bad.write_bytes(data)
    with pytest.raises(InvalidConfigError, match=match):
        rom.load_rom(bad, allow_unknown=True)


def test_random_data_with_a_valid_checksum_never_reaches_pyboy(tmp_path: Path) -> None:
    from aisam_envs.pokemon import PokemonRedEnv

    bad = tmp_path / "random.gb"
    bad.write_bytes(patched_rom(np.random.default_rng(1).bytes(0x8000), b147=0x01, b148=0))
    with pytest.raises(InvalidConfigError, match="RAM size code"):
        PokemonRedEnv(bad, allow_unknown_rom=True)


def test_accepted_cartridge_types_are_those_pyboy_runs() -> None:
    pyboy = pytest.importorskip("pyboy")
    runs = set()
    for cartridge in range(256):
        try:
            emulator = pyboy.PyBoy(
                io.BytesIO(patched_rom(b147=cartridge)), window="null", sound_emulated=False
            )
        except Exception:  # PyBoy raises its own exception on unknown types
            continue
        emulator.stop(save=False)
        runs.add(cartridge)
    assert runs == rom._CARTRIDGE_TYPES
