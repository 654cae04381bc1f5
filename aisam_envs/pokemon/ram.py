"""Pokemon Red / Blue memory map: where the game keeps what an agent cares about.

Addresses are those of the English (USA, Europe) builds, named after the symbols of the
pret/pokered disassembly (``wXCoord`` ...). All live in work RAM (WRAM, 0xC000-0xDFFF).

=====================  ===============  =================================================
what                   address          encoding
=====================  ===============  =================================================
player x / y           0xD362 / 0xD361  ``wXCoord`` / ``wYCoord``: tile coordinates in the
                                        current map (one byte each)
map id                 0xD35E           ``wCurMap``: 0 = Pallet Town, 0x26 = Red's room
badges                 0xD356           ``wObtainedBadges``: bit i = badge i (Boulder ...
                                        Earth); we report the count of set bits
party size             0xD163           ``wPartyCount``: 0-6
party Pokemon          0xD16B + 44 i    ``wPartyMon{i+1}``, 44-byte structs: current HP at
                                        +0x01 (2 bytes, big-endian), level at +0x21,
                                        max HP at +0x22 (2 bytes, big-endian)
money                  0xD347           ``wPlayerMoney``: 3 bytes BCD, ``0x003000`` = 3000
event flags            0xD747-0xD886    ``wEventFlags``: 2560 bits (320 bytes), one per
                                        story event; we report how many are set
Pokedex caught         0xD2F7-0xD309    ``wPokedexOwned``: 151 bits (19 bytes)
Pokedex seen           0xD30A-0xD31C    ``wPokedexSeen``: 151 bits (19 bytes)
=====================  ===============  =================================================

:func:`read_game_state` decodes them all with a few dozen reads (tens of microseconds),
cheap enough to run every step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

__all__ = [
    "BADGES",
    "CUR_MAP",
    "EVENT_FLAGS_END",
    "EVENT_FLAGS_START",
    "MONEY",
    "PARTY_COUNT",
    "PARTY_MON_HP",
    "PARTY_MON_LEVEL",
    "PARTY_MON_MAX_HP",
    "PARTY_MON_SIZE",
    "PARTY_MONS",
    "POKEDEX_OWNED",
    "POKEDEX_SEEN",
    "WRAM_END",
    "WRAM_START",
    "X_COORD",
    "Y_COORD",
    "GameState",
    "Memory",
    "read_game_state",
]

WRAM_START = 0xC000  #: first byte of work RAM
WRAM_END = 0xE000  #: one past the last byte of work RAM

X_COORD = 0xD362  #: ``wXCoord``
Y_COORD = 0xD361  #: ``wYCoord``
CUR_MAP = 0xD35E  #: ``wCurMap``
BADGES = 0xD356  #: ``wObtainedBadges`` (bit field)
PARTY_COUNT = 0xD163  #: ``wPartyCount``
PARTY_MONS = 0xD16B  #: ``wPartyMon1``, first of six party structs
PARTY_MON_SIZE = 0x2C  #: bytes per party struct
PARTY_MON_HP = 0x01  #: offset of current HP (big-endian word)
PARTY_MON_LEVEL = 0x21  #: offset of the level
PARTY_MON_MAX_HP = 0x22  #: offset of max HP (big-endian word)
MAX_PARTY = 6
MONEY = 0xD347  #: ``wPlayerMoney``, 3 bytes BCD
EVENT_FLAGS_START = 0xD747  #: ``wEventFlags``
EVENT_FLAGS_END = 0xD887  #: one past the last event-flag byte (320 bytes)
POKEDEX_OWNED = 0xD2F7  #: ``wPokedexOwned``, 19 bytes
POKEDEX_SEEN = 0xD30A  #: ``wPokedexSeen``, 19 bytes, right after ``wPokedexOwned``
POKEDEX_BYTES = 19
_LAST_DEX_BYTE_MASK = 0x7F  # 151 species: the top bit of the 19th byte is unused


class Memory(Protocol):
    """What we need of ``pyboy.memory``: byte reads by address and by slice."""

    def __getitem__(self, addr: int | slice) -> int | Sequence[int]: ...


class GameState(NamedTuple):
    """The decoded game variables of one moment (a named tuple: cheap to build every step).

    Attributes:
        x, y: player tile coordinates in the current map.
        map_id: current map (``wCurMap``).
        badges: number of badges obtained (0-8).
        party_size: Pokemon in the party (0-6).
        levels: level of each party Pokemon, ``party_size`` entries.
        hp, max_hp: current and maximum HP of each party Pokemon.
        money: the player's money, decoded from BCD.
        event_flags: number of story event flags set.
        pokedex_seen, pokedex_caught: species seen / caught.
    """

    x: int
    y: int
    map_id: int
    badges: int
    party_size: int
    levels: tuple[int, ...]
    hp: tuple[int, ...]
    max_hp: tuple[int, ...]
    money: int
    event_flags: int
    pokedex_seen: int
    pokedex_caught: int

    @property
    def hp_fraction(self) -> float:
        """Total party HP over total max HP, in [0, 1] (0 for an empty party)."""
        total = sum(self.max_hp)
        return sum(self.hp) / total if total else 0.0

    def as_info(self) -> dict[str, object]:
        """The fields as a flat ``info`` dict (plain ints and tuples), plus ``hp_fraction``."""
        info: dict[str, object] = dict(zip(self._fields, self, strict=True))
        info["hp_fraction"] = self.hp_fraction
        return info


def _popcount(data: Sequence[int]) -> int:
    return int.from_bytes(bytes(data), "little").bit_count()


def _bcd(data: Sequence[int]) -> int:
    value = 0
    for byte in data:
        value = value * 100 + (byte >> 4) * 10 + (byte & 0x0F)
    return value


def _dex_counts(memory: Memory) -> tuple[int, int]:
    """(caught, seen): the two bit arrays are adjacent, so one read serves both."""
    data = memory[POKEDEX_OWNED : POKEDEX_SEEN + POKEDEX_BYTES]
    counts = []
    for array in (data[:POKEDEX_BYTES], data[POKEDEX_BYTES:]):
        counts.append(_popcount(array[:-1]) + (array[-1] & _LAST_DEX_BYTE_MASK).bit_count())
    return counts[0], counts[1]


def read_game_state(memory: Memory) -> GameState:
    """Decodes the memory map from an emulator's memory (``pyboy.memory``).

    Single-byte reads are used where they are cheaper than PyBoy's slices (a slice costs
    about as much as five single reads plus 50 ns per byte).
    """
    party_size = min(memory[PARTY_COUNT], MAX_PARTY)
    levels, hp, max_hp = [], [], []
    for base in range(PARTY_MONS, PARTY_MONS + party_size * PARTY_MON_SIZE, PARTY_MON_SIZE):
        levels.append(memory[base + PARTY_MON_LEVEL])
        hp.append(memory[base + PARTY_MON_HP] << 8 | memory[base + PARTY_MON_HP + 1])
        max_hp.append(memory[base + PARTY_MON_MAX_HP] << 8 | memory[base + PARTY_MON_MAX_HP + 1])
    caught, seen = _dex_counts(memory)
    return GameState(
        x=memory[X_COORD],
        y=memory[Y_COORD],
        map_id=memory[CUR_MAP],
        badges=memory[BADGES].bit_count(),
        party_size=party_size,
        levels=tuple(levels),
        hp=tuple(hp),
        max_hp=tuple(max_hp),
        money=_bcd((memory[MONEY], memory[MONEY + 1], memory[MONEY + 2])),
        event_flags=_popcount(memory[EVENT_FLAGS_START:EVENT_FLAGS_END]),
        pokedex_seen=seen,
        pokedex_caught=caught,
    )
