"""Finding and verifying the user's Pokemon Red / Blue ROM.

The ROM is copyrighted: aisam never ships or downloads it. The user points
``rom_path=`` (or the ``AISAM_POKEMON_ROM`` environment variable) at their own dump,
which is checked by SHA-1 against the known good dumps, because the RAM map in
:mod:`aisam_envs.pokemon.ram` is only right for those exact builds. Anything else is
refused unless ``allow_unknown=True`` (tests, homebrew, ROM hacks at your own risk).
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from aisam_envs.errors import InvalidConfigError

__all__ = ["KNOWN_ROMS", "ROM_ENV_VAR", "RomImage", "load_rom", "resolve_rom_path"]

logger = logging.getLogger(__name__)

#: Environment variable read when ``rom_path`` is not given.
ROM_ENV_VAR = "AISAM_POKEMON_ROM"

#: SHA-1 of each accepted dump -> its name. These are the No-Intro dumps and the builds
#: that the pret/pokered disassembly reproduces, whose symbols the RAM map follows.
KNOWN_ROMS: dict[str, str] = {
    "ea9bcae617fdf159b045185467ae58b2e4a48b9a": "Pokemon - Red Version (USA, Europe)",
    "d7037c83e1ae5b39bde3c30787637ba1d4c48ce2": "Pokemon - Blue Version (USA, Europe)",
}

_HOW_TO_PROVIDE = (
    f"pass rom_path='/path/to/PokemonRed.gb' or set the {ROM_ENV_VAR} environment variable. "
    "The ROM is not included with aisam and is never downloaded: use a dump of your own cartridge."
)
_MIN_ROM_BYTES = 0x8000  # the smallest Game Boy cartridge (32 KiB)
#: Cartridge types (header byte 0x147) that PyBoy emulates: ROM only, MBC1, MBC2, MBC3 and
#: MBC5 with their RAM, battery, timer and rumble variants (PyBoy's CARTRIDGE_TABLE).
_CARTRIDGE_TYPES = frozenset(
    {0x00, 0x01, 0x02, 0x03, 0x05, 0x06, 0x08, 0x09, 0x0F, 0x10, 0x11, 0x12, 0x13}
    | {0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E}
)
_MAX_ROM_SIZE_CODE = 0x08  # header byte 0x148: the ROM is 32 KiB << code (up to 8 MiB)
_MAX_RAM_SIZE_CODE = 0x05  # header byte 0x149: cartridge RAM none, -, 8, 32, 128 or 64 KiB


@dataclass(frozen=True)
class RomImage:
    """A ROM read from disk and identified.

    Attributes:
        path: where it was read from.
        data: the whole file.
        sha1: hex SHA-1 of ``data``.
        name: the known dump's name, or ``"unknown ROM"``.
    """

    path: Path
    data: bytes
    sha1: str
    name: str

    @property
    def known(self) -> bool:
        """Whether this is one of :data:`KNOWN_ROMS`."""
        return self.sha1 in KNOWN_ROMS


def resolve_rom_path(rom_path: str | os.PathLike[str] | None) -> Path:
    """Returns the ROM path from the argument or, if ``None``, from ``AISAM_POKEMON_ROM``.

    Raises:
        InvalidConfigError: neither is set, or the path is not an existing file.
    """
    if rom_path is None:
        rom_path = os.environ.get(ROM_ENV_VAR) or None
        if rom_path is None:
            raise InvalidConfigError(f"No Pokemon Red ROM given: {_HOW_TO_PROVIDE}")
    path = Path(rom_path).expanduser()
    if not path.is_file():
        what = "is a directory, not a ROM file" if path.is_dir() else "does not exist"
        raise InvalidConfigError(f"ROM path {str(path)!r} {what}: {_HOW_TO_PROVIDE}")
    return path


def _check_header(data: bytes, path: Path) -> None:
    """Refuses files that are not Game Boy ROMs PyBoy can run before the emulator sees them."""
    if len(data) < _MIN_ROM_BYTES:
        raise InvalidConfigError(
            f"{str(path)!r} is {len(data)} bytes, too small for a Game Boy ROM "
            f"(at least {_MIN_ROM_BYTES}): is it the right file?"
        )
    checksum = 0
    for byte in data[0x134:0x14D]:
        checksum = (checksum - byte - 1) & 0xFF
    if checksum != data[0x14D]:
        raise InvalidConfigError(
            f"{str(path)!r} is not a Game Boy ROM: its header checksum (0x14D) is "
            f"0x{data[0x14D]:02x}, the header says 0x{checksum:02x}."
        )
    # PyBoy fails on other types (PyBoyException) and RAM codes (KeyError); it ignores the
    # ROM size code, so a file of another size is a truncated or padded dump, run silently
    cartridge, rom_size, ram_size = data[0x147], data[0x148], data[0x149]
    if cartridge not in _CARTRIDGE_TYPES:
        raise InvalidConfigError(
            f"{str(path)!r} has cartridge type 0x{cartridge:02x} (header byte 0x147), which "
            "PyBoy cannot emulate (it runs ROM-only, MBC1, MBC2, MBC3 and MBC5 cartridges)."
        )
    for name, code, byte, high in (
        ("ROM", rom_size, 0x148, _MAX_ROM_SIZE_CODE),
        ("RAM", ram_size, 0x149, _MAX_RAM_SIZE_CODE),
    ):
        if code > high:
            raise InvalidConfigError(
                f"{str(path)!r} has {name} size code 0x{code:02x} (header byte 0x{byte:x}); "
                f"Game Boy cartridges use 0x00-0x{high:02x}: is it the right file?"
            )
    if len(data) != _MIN_ROM_BYTES << rom_size:
        raise InvalidConfigError(
            f"{str(path)!r} is {len(data)} bytes but its header (byte 0x148) says "
            f"{_MIN_ROM_BYTES << rom_size}: a truncated or padded dump?"
        )


def load_rom(
    rom_path: str | os.PathLike[str] | None = None, *, allow_unknown: bool = False
) -> RomImage:
    """Reads and verifies the ROM.

    Args:
        rom_path: the ROM file; ``None`` reads ``AISAM_POKEMON_ROM``.
        allow_unknown: accept a Game Boy ROM whose SHA-1 is not in :data:`KNOWN_ROMS`
            (homebrew, tests, hacks); the RAM map may then decode nonsense.

    Raises:
        InvalidConfigError: no path, a missing file, not a Game Boy ROM, or an unknown
            dump without ``allow_unknown``.
    """
    path = resolve_rom_path(rom_path)
    data = path.read_bytes()
    _check_header(data, path)
    sha1 = hashlib.sha1(data).hexdigest()
    name = KNOWN_ROMS.get(sha1, "unknown ROM")
    if sha1 not in KNOWN_ROMS:
        if not allow_unknown:
            known = "; ".join(f"{n} (sha1 {h})" for h, n in KNOWN_ROMS.items())
            raise InvalidConfigError(
                f"{str(path)!r} has SHA-1 {sha1}, which is not a known Pokemon Red/Blue dump "
                f"({known}). Use a clean dump of your own cartridge, or pass "
                "allow_unknown_rom=True to run it anyway (the RAM map may not apply)."
            )
        logger.info("Running unknown ROM %s (sha1 %s): the RAM map may not apply", path, sha1)
    else:
        logger.info("Loaded %s from %s", name, path)
    return RomImage(path=path, data=data, sha1=sha1, name=name)
