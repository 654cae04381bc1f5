"""Quiet emulator start-up: no banners, no audio-driver noise on machines without sound.

Called before an emulator library starts (ale-py, PyBoy), each silences its source:

- SDL, which ALE's ``render_mode="human"`` opens with sound on, prints eight
  ``ALSA lib ... cannot find card '0'`` lines on a machine without a sound card: there,
  ``SDL_AUDIODRIVER`` defaults to SDL's ``dummy`` driver (a value the user set is kept).
- pysdl2 (PyBoy's SDL binding) warns ``Using SDL2 binaries from pysdl2-dll`` when the
  ``sdl2dll`` package sets its library path during pysdl2's import; importing ``sdl2dll``
  first sets the same path beforehand, so the same binaries load without the warning.
- ALE prints its banner (``A.L.E: Arcade Learning Environment ...``) at info level: its
  logger follows the level of the ``aisam_envs`` logger (info only when that logs debug
  or info), so ALE's warnings and errors still show.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["quiet_ale", "quiet_sdl"]

logger = logging.getLogger("aisam_envs")


def _has_sound_card() -> bool:
    """Whether ALSA lists a sound card (Linux); elsewhere assume one."""
    if not sys.platform.startswith("linux"):
        return True
    cards = Path("/proc/asound/cards")
    try:
        text = cards.read_text()
    except OSError:
        return False
    return "no soundcards" not in text and bool(text.strip())


def quiet_sdl() -> None:
    """SDL's dummy audio driver where there is no sound card, and pysdl2's library path set
    before its import (see the module docstring)."""
    if not _has_sound_card():
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    if "sdl2" not in sys.modules and importlib.util.find_spec("sdl2dll") is not None:
        importlib.import_module("sdl2dll")


def quiet_ale(ale_py: ModuleType) -> None:
    """ALE's logger at warning level unless ``aisam_envs`` logs info, and :func:`quiet_sdl`."""
    quiet_sdl()
    mode = (
        ale_py.LoggerMode.Info if logger.isEnabledFor(logging.INFO) else ale_py.LoggerMode.Warning
    )
    ale_py.ALEInterface.setLoggerMode(mode)
