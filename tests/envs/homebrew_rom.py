"""A tiny homebrew Game Boy ROM that imitates Pokemon Red's memory layout.

The copyrighted game cannot be used in tests, so this module assembles, from Python
bytes, a 32 KiB "ROM ONLY" cartridge whose program keeps Pokemon Red's WRAM variables
(`aisam_envs.pokemon.ram`) the way the real game would:

* at boot: clears WRAM, draws a non-repeating background, and writes a start state
  (Red's bedroom, one badge, money 3000, a two-Pokemon party, a few Pokedex bits);
* once per frame (VBlank interrupt wakes a HALT): reads the joypad through 0xFF00 and,
  on each *new* press (edge-triggered, so one env action = one effect):
  RIGHT/LEFT/UP/DOWN move the player one tile (``wXCoord``/``wYCoord``), A raises the
  first Pokemon's level, B heals the party to full HP (a Pokemon Center), START sets one
  more event flag; the background scrolls 8 pixels per tile so frames differ.

The header is valid (cartridge type, sizes, header checksum at 0x14D, global checksum);
the Nintendo logo area is left blank because PyBoy's built-in boot ROM does not check
it (real hardware would refuse to boot).
"""

from __future__ import annotations

# Pokemon Red WRAM addresses written by the program (kept literal here so the tests
# check aisam_envs.pokemon.ram against an independent copy).
CUR_MAP = 0xD35E
Y_COORD = 0xD361
X_COORD = 0xD362
BADGES = 0xD356
MONEY = 0xD347  # 3 bytes BCD
PARTY_COUNT = 0xD163
PARTY_SPECIES = 0xD164
MON1 = 0xD16B  # party_struct, 44 bytes each
MON_SIZE = 0x2C
HP_OFFSET, LEVEL_OFFSET, MAX_HP_OFFSET = 0x01, 0x21, 0x22
MON1_HP = MON1 + HP_OFFSET
MON1_LEVEL = MON1 + LEVEL_OFFSET
MON1_MAX_HP = MON1 + MAX_HP_OFFSET
MON2 = MON1 + MON_SIZE
EVENT_FLAGS = 0xD747
POKEDEX_OWNED = 0xD2F7
POKEDEX_SEEN = 0xD30A

#: The start state the program writes: address -> byte.
START_STATE: dict[int, int] = {
    CUR_MAP: 0x26,  # Red's house 2F, where the real game starts
    X_COORD: 3,
    Y_COORD: 6,
    BADGES: 0b0000_0001,  # Boulder Badge
    MONEY: 0x00,
    MONEY + 1: 0x30,
    MONEY + 2: 0x00,  # BCD 003000
    PARTY_COUNT: 2,
    PARTY_SPECIES: 0xB1,
    PARTY_SPECIES + 1: 0x24,
    PARTY_SPECIES + 2: 0xFF,
    MON1: 0xB1,
    MON1_HP + 1: 20,  # HP 20 / 20 (big-endian words)
    MON1_LEVEL: 5,
    MON1_MAX_HP + 1: 20,
    MON2: 0x24,
    MON2 + HP_OFFSET + 1: 15,  # HP 15 / 24
    MON2 + LEVEL_OFFSET: 7,
    MON2 + MAX_HP_OFFSET + 1: 24,
    POKEDEX_OWNED: 0b0000_0001,  # 1 caught
    POKEDEX_SEEN: 0b0000_0111,  # 3 seen
}


class _Asm:
    """Just enough of an SM83 assembler: opcodes as methods, labels for jumps."""

    def __init__(self, origin: int) -> None:
        self.origin = origin
        self.code = bytearray()
        self.labels: dict[str, int] = {}
        self.fixups: list[tuple[int, str, bool]] = []  # (offset, label, relative?)

    def emit(self, *data: int) -> None:
        self.code.extend(data)

    def label(self, name: str) -> None:
        self.labels[name] = self.origin + len(self.code)

    def _ref(self, opcode: int, name: str, relative: bool) -> None:
        self.emit(opcode)
        self.fixups.append((len(self.code), name, relative))
        self.emit(*((0,) if relative else (0, 0)))

    def jr(self, cond: str, name: str) -> None:
        self._ref({"": 0x18, "nz": 0x20, "z": 0x28}[cond], name, relative=True)

    def call(self, name: str) -> None:
        self._ref(0xCD, name, relative=False)

    def ld_a(self, n: int) -> None:  # ld a, n
        self.emit(0x3E, n)

    def st_a(self, addr: int) -> None:  # ld [addr], a
        self.emit(0xEA, addr & 0xFF, addr >> 8)

    def ld_a_mem(self, addr: int) -> None:  # ld a, [addr]
        self.emit(0xFA, addr & 0xFF, addr >> 8)

    def ldh_st(self, port: int) -> None:  # ldh [0xFF00+port], a
        self.emit(0xE0, port)

    def ldh_ld(self, port: int) -> None:  # ldh a, [0xFF00+port]
        self.emit(0xF0, port)

    def ld_hl(self, nn: int) -> None:
        self.emit(0x21, nn & 0xFF, nn >> 8)

    def ld_bc(self, nn: int) -> None:
        self.emit(0x01, nn & 0xFF, nn >> 8)

    def bit_d(self, b: int) -> None:  # bit b, d
        self.emit(0xCB, 0x42 + 8 * b)

    def assemble(self) -> bytes:
        for offset, name, relative in self.fixups:
            target = self.labels[name]
            if relative:
                delta = target - (self.origin + offset + 1)
                assert -128 <= delta <= 127, f"jr to {name} out of range"
                self.code[offset] = delta & 0xFF
            else:
                self.code[offset : offset + 2] = bytes((target & 0xFF, target >> 8))
        return bytes(self.code)


def _program() -> bytes:
    """The program at 0x150: boot, then one joypad update per VBlank."""
    a = _Asm(0x150)
    a.emit(0xF3)  # di
    a.emit(0x31, 0xFE, 0xFF)  # ld sp, 0xFFFE
    # Turn the LCD off (only allowed in VBlank) so VRAM can be written freely.
    a.ldh_ld(0x40)
    a.emit(0xCB, 0x7F)  # bit 7, a
    a.jr("z", "lcd_off")
    a.label("wait_vblank")
    a.ldh_ld(0x44)  # LY
    a.emit(0xFE, 144)  # cp 144
    a.jr("nz", "wait_vblank")
    a.label("lcd_off")
    a.emit(0xAF)  # xor a
    a.ldh_st(0x40)  # LCDC = 0
    # Clear WRAM 0xC000-0xDFFF.
    a.ld_hl(0xC000)
    a.ld_bc(0x2000)
    a.label("clear")
    a.emit(0xAF, 0x22)  # xor a; ld [hl+], a
    a.emit(0x0B, 0x78, 0xB1)  # dec bc; ld a, b; or c
    a.jr("nz", "clear")
    # VRAM 0x8000-0x9BFF := low + high address byte: 256 distinct tiles and a map
    # whose 8-pixel scroll positions all look different.
    a.ld_hl(0x8000)
    a.ld_bc(0x1C00)
    a.label("fill")
    a.emit(0x7D, 0x84, 0x22)  # ld a, l; add a, h; ld [hl+], a
    a.emit(0x0B, 0x78, 0xB1)  # dec bc; ld a, b; or c
    a.jr("nz", "fill")
    for addr, value in START_STATE.items():
        a.ld_a(value)
        a.st_a(addr)
    a.ld_a(0xE4)
    a.ldh_st(0x47)  # BGP: the usual 4-shade palette
    a.ld_a(0x91)
    a.ldh_st(0x40)  # LCDC: on, tiles at 0x8000, map at 0x9800, BG on
    a.emit(0xAF)  # xor a
    a.ldh_st(0x80)  # previous joypad state (HRAM) = none held
    a.ldh_st(0x0F)  # IF = 0
    a.ld_a(0x01)
    a.ldh_st(0xFF)  # IE = VBlank only
    a.emit(0xFB)  # ei

    a.label("frame")
    a.emit(0x76, 0x00)  # halt; nop   (the VBlank interrupt wakes us once per frame)
    # Joypad: C := held buttons as Down Up Left Right Start Select B A (1 = held).
    a.ld_a(0x20)
    a.ldh_st(0x00)  # select the d-pad
    a.ldh_ld(0x00)
    a.ldh_ld(0x00)
    a.emit(0x2F, 0xE6, 0x0F, 0xCB, 0x37, 0x47)  # cpl; and 0x0F; swap a; ld b, a
    a.ld_a(0x10)
    a.ldh_st(0x00)  # select the buttons
    a.ldh_ld(0x00)
    a.ldh_ld(0x00)
    a.emit(0x2F, 0xE6, 0x0F, 0xB0, 0x4F)  # cpl; and 0x0F; or b; ld c, a
    a.ld_a(0x30)
    a.ldh_st(0x00)  # deselect both
    # D := newly pressed = held & ~previous; previous := held.
    a.ldh_ld(0x80)
    a.emit(0x2F, 0xA1, 0x57, 0x79)  # cpl; and c; ld d, a; ld a, c
    a.ldh_st(0x80)
    for bit, addr, op, name in (
        (4, X_COORD, 0x34, "right"),  # inc [hl]
        (5, X_COORD, 0x35, "left"),  # dec [hl]
        (6, Y_COORD, 0x35, "up"),
        (7, Y_COORD, 0x34, "down"),
        (0, MON1_LEVEL, 0x34, "a"),
    ):
        a.bit_d(bit)
        a.jr("z", f"no_{name}")
        a.ld_hl(addr)
        a.emit(op)
        a.label(f"no_{name}")
    a.bit_d(1)
    a.jr("z", "no_b")
    a.call("heal_party")
    a.label("no_b")
    a.bit_d(3)
    a.jr("z", "no_start")
    a.ld_hl(EVENT_FLAGS)
    a.emit(0x7E, 0x37, 0x17, 0x77)  # ld a, [hl]; scf; rla; ld [hl], a  (one more bit)
    a.label("no_start")
    # Scroll the background 8 pixels per tile: SCX = 8x, SCY = 8y.
    for coord, port in ((X_COORD, 0x43), (Y_COORD, 0x42)):
        a.ld_a_mem(coord)
        a.emit(0x87, 0x87, 0x87)  # add a, a (x3)
        a.ldh_st(port)
    a.jr("", "frame")

    a.label("heal_party")  # HP := max HP for both party members
    for mon in (MON1, MON2):
        for byte in (0, 1):
            a.ld_a_mem(mon + MAX_HP_OFFSET + byte)
            a.st_a(mon + HP_OFFSET + byte)
    a.emit(0xC9)  # ret
    return a.assemble()


def build_rom(title: bytes = b"AISAM TEST") -> bytes:
    """Returns the 32 KiB ROM image (header + program), ready for ``PyBoy(BytesIO(rom))``."""
    rom = bytearray(0x8000)
    rom[0x40] = 0xD9  # VBlank interrupt vector: reti
    rom[0x100:0x104] = bytes((0x00, 0xC3, 0x50, 0x01))  # entry: nop; jp 0x0150
    rom[0x134 : 0x134 + len(title)] = title  # title (up to 15 bytes), zero-padded
    rom[0x143] = 0x00  # DMG only
    rom[0x147] = 0x00  # cartridge type: ROM ONLY
    rom[0x148] = 0x00  # ROM size: 32 KiB
    rom[0x149] = 0x00  # no cartridge RAM
    rom[0x14A] = 0x01  # destination: non-Japanese
    program = _program()
    rom[0x150 : 0x150 + len(program)] = program
    checksum = 0
    for byte in rom[0x134:0x14D]:
        checksum = (checksum - byte - 1) & 0xFF
    rom[0x14D] = checksum
    total = (sum(rom) - rom[0x14E] - rom[0x14F]) & 0xFFFF
    rom[0x14E:0x150] = total.to_bytes(2, "big")
    return bytes(rom)
