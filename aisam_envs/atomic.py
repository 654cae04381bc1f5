"""Atomic file writes: a reader, or a run killed half-way, sees the old file or the new one,
never a torn mix.

The files aisam writes itself (model checkpoints, replays, SB3 zips) go through
:func:`atomic_write`: the bytes go to a temporary file in the same folder, are flushed to
the disk (``fsync``), and the temporary file is renamed over the target (``os.replace``,
atomic on POSIX and Windows within one file system). A failure at any point (disk full,
read-only folder) removes the temporary file and raises
:class:`~aisam_envs.errors.SaveError` naming the path; the previous file is untouched.
Folders that another program fills (TextWorld's compiler, for the game cache) are built
aside, flushed with :func:`sync_folder` and renamed into place by their writer.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from aisam_envs.errors import SaveError

__all__ = ["atomic_write", "sync_folder"]

_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once: new files get the usual permissions, not mkstemp's 0o600


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file to write ``path``'s new contents to; they replace ``path`` only when the
    ``with`` block ends without an error.

    Args:
        path: the file to write; its folder must exist.

    Raises:
        SaveError: the folder is missing or not writable, or a write, flush or the rename
            failed (e.g. no space left); ``path`` keeps its previous contents.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _save_error(path, exc) from exc
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        cause = _os_error(exc)
        if cause is not None:
            raise _save_error(path, cause) from exc
        raise
    _fsync_folder(path.parent)


def _os_error(exc: BaseException) -> OSError | None:
    """The OSError that ``exc`` is or arose from (torch's zip writer, for one, answers a
    failed write with a RuntimeError of its own), or None for other errors."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, SaveError):
            return None
        if isinstance(seen, OSError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _save_error(path: Path, exc: OSError) -> SaveError:
    reason = exc.strerror or str(exc) or type(exc).__name__
    return SaveError(f"cannot write {path}: {reason}; the previous file (if any) is unchanged")


def sync_folder(folder: Path) -> None:
    """Flushes every file in ``folder`` (not its subfolders) and the folder itself to the
    disk, for writers that build a whole folder and rename it into place (TextWorld's game
    cache)."""
    for path in folder.iterdir():
        if path.is_file():
            with open(path, "rb") as file:
                os.fsync(file.fileno())
    _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    """Makes the rename itself durable where the OS allows opening a folder (POSIX)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)
