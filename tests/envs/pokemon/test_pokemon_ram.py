"""Decoding of the Pokemon Red memory map from raw bytes (aisam_envs.pokemon.ram)."""

from __future__ import annotations

import pytest

from aisam_envs.errors import InvalidConfigError
from aisam_envs.pokemon import ram


class FakeMemory:
    """64 KiB of zeros addressable like ``pyboy.memory``."""

    def __init__(self, writes: dict[int, int]) -> None:
        self.data = bytearray(0x10000)
        for addr, value in writes.items():
            self.data[addr] = value

    def __getitem__(self, addr: int) -> int:
        return self.data[addr]


def mon(i: int, hp: int, level: int, max_hp: int) -> dict[int, int]:
    base = ram.PARTY_MONS + i * ram.PARTY_MON_SIZE
    return {
        base + ram.PARTY_MON_HP: hp >> 8,
        base + ram.PARTY_MON_HP + 1: hp & 0xFF,
        base + ram.PARTY_MON_LEVEL: level,
        base + ram.PARTY_MON_MAX_HP: max_hp >> 8,
        base + ram.PARTY_MON_MAX_HP + 1: max_hp & 0xFF,
    }


#: One value in every field of the memory map.
FIELDS = {
    ram.X_COORD: 12,
    ram.Y_COORD: 34,
    ram.CUR_MAP: 0x0C,
    ram.BADGES: 0b1010_0101,
    ram.PARTY_COUNT: 3,
    **mon(0, 300, 50, 310),
    **mon(1, 0, 3, 14),
    **mon(2, 7, 100, 7),
    ram.MONEY: 0x12,
    ram.MONEY + 1: 0x34,
    ram.MONEY + 2: 0x56,
    ram.EVENT_FLAGS_START: 0xFF,
    ram.EVENT_FLAGS_END - 1: 0b1000_0001,
    ram.EVENT_FLAGS_END: 0xFF,  # just past the flags: not counted
    ram.POKEDEX_SEEN: 0b11,
    ram.POKEDEX_SEEN + 18: 0xFF,  # bit 7 of byte 19 is unused
    ram.POKEDEX_OWNED + 5: 0b1000_0000,
    ram.POKEDEX_OWNED + 18: 0b1000_0000,  # unused bit: not counted
}


def test_decodes_every_field() -> None:
    memory = FakeMemory(FIELDS)
    state = ram.read_game_state(memory)
    assert (state.x, state.y, state.map_id, state.badges) == (12, 34, 0x0C, 4)
    assert state.party_size == 3 and state.levels == (50, 3, 100)
    assert state.hp == (300, 0, 7) and state.max_hp == (310, 14, 7)
    assert state.hp_fraction == 307 / 331
    assert state.money == 123456
    assert state.event_flags == 10
    assert (state.pokedex_seen, state.pokedex_caught) == (2 + 7, 1)
    assert state.as_info()["levels"] == (50, 3, 100)
    assert state.as_info()["hp_fraction"] == state.hp_fraction


def test_work_ram_copy_decodes_like_the_emulator_memory() -> None:
    memory = FakeMemory(FIELDS)
    wram = ram.read_work_ram(memory)
    assert wram == memory.data[ram.WRAM_START : ram.WRAM_END]
    assert ram.decode_work_ram(wram) == ram.read_game_state(memory)
    with pytest.raises(InvalidConfigError, match="8192 bytes"):
        ram.decode_work_ram(bytes(100))


def test_garbage_party_count_is_clamped_and_empty_party_has_no_hp() -> None:
    assert ram.read_game_state(FakeMemory({ram.PARTY_COUNT: 0xFF})).party_size == 6
    empty = ram.read_game_state(FakeMemory({}))
    assert empty.levels == () and empty.hp_fraction == 0.0
