"""Text spaces and the token encoding of TextWorld observations.

Games print through Jericho, which decodes the Z-machine's output as cp1252, so every
character a game can print is in :data:`CHARSET`. Stable-Baselines3 rejects ``Text``
observation spaces, so ``obs_type="tokens"`` turns the feedback into a fixed-length
vector of word ids (:class:`TokenEncoder`).

Observations use :class:`GameText`, a ``Text`` space that also works with
``AsyncVectorEnv``'s shared memory (its default): gymnasium reads a shared ``Text``
buffer into strings once, when the vector env is built, so every later batch would
repeat that first, empty read. For ``GameText`` the read returns a live view instead,
decoded on access, as the view of a shared ``Box`` buffer is.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from typing import Any, overload

import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import read_from_shared_memory

__all__ = ["CHARSET", "COMMAND_CHARSET", "GameText", "SharedTexts", "TokenEncoder", "text_space"]

CHARSET: frozenset[str] = frozenset(bytes(range(256)).decode("cp1252", errors="ignore"))
"""Every character a game can print: all that cp1252 decodes to (control chars included)."""

COMMAND_CHARSET: frozenset[str] = frozenset(chr(c) for c in range(32, 127))
"""Printable ASCII: what ``action_space.sample()`` draws commands from (any string is played)."""

_WORD = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")
_MEMO_SIZE = 1 << 16


class GameText(spaces.Text):
    """A ``Text`` space whose batched shared-memory reads stay live (see module doc)."""


def text_space(max_length: int, charset: frozenset[str] = CHARSET) -> GameText:
    """A :class:`GameText` space of 0 to ``max_length`` characters from ``charset``."""
    return GameText(max_length=max_length, min_length=0, charset=charset)


class SharedTexts(Sequence[str]):
    """The ``n`` strings in a shared ``Text`` buffer, decoded when read.

    ``copy.deepcopy`` (what ``AsyncVectorEnv`` returns by default) gives a plain
    tuple of strings, the same batch type as without shared memory.

    Args:
        space: the single-env ``Text`` space.
        memory: the shared int32 buffer, ``(n, max_length)`` character indices.
        n: number of envs.
    """

    def __init__(self, space: spaces.Text, memory: Any, n: int) -> None:
        self._data = np.frombuffer(memory.get_obj(), dtype=np.int32).reshape(n, space.max_length)
        self._chars = np.array(space.character_list + ("",))  # the pad index decodes to ""

    def __len__(self) -> int:
        return self._data.shape[0]

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...
    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        return "".join(self._chars[self._data[index]].tolist())

    def __deepcopy__(self, memo: dict[int, Any]) -> tuple[str, ...]:
        return tuple(self)

    def __repr__(self) -> str:
        return f"SharedTexts({tuple(self)!r})"


@read_from_shared_memory.register(GameText)
def _read_game_text(space: GameText, shared_memory: Any, n: int = 1) -> SharedTexts:
    return SharedTexts(space, shared_memory, n)


class TokenEncoder:
    """Text -> fixed-length word ids, by the hashing trick (no vocabulary to build).

    The lower-cased text is split into words (runs of letters/digits) and single
    punctuation marks; each becomes ``1 + crc32(word) % (vocab_size - 1)``, so ids are
    the same across games, processes and runs; 0 is padding. The first ``max_tokens``
    tokens are kept.

    Args:
        max_tokens: length L of the id vector.
        vocab_size: number of distinct ids V, padding included (>= 2).
    """

    def __init__(self, max_tokens: int, vocab_size: int) -> None:
        self.max_tokens = max_tokens
        self.vocab_size = vocab_size
        self.space = spaces.Box(0, vocab_size - 1, shape=(max_tokens,), dtype=np.int64)
        self._ids: dict[str, int] = {}

    def encode(self, text: str) -> np.ndarray:
        """Word ids of ``text``, shape ``(max_tokens,)`` int64, zero-padded."""
        out = np.zeros(self.max_tokens, dtype=np.int64)
        words = _WORD.findall(text.lower())[: self.max_tokens]
        out[: len(words)] = [self.word_id(w) for w in words]
        return out

    def word_id(self, word: str) -> int:
        """The id of one word (memoised)."""
        wid = self._ids.get(word)
        if wid is None:
            wid = 1 + zlib.crc32(word.encode("utf-8")) % (self.vocab_size - 1)
            if len(self._ids) >= _MEMO_SIZE:  # typed junk must not grow the memo forever
                self._ids.clear()
            self._ids[word] = wid
        return wid
