"""Crash-safe replacement of small private files: the one implementation duoctl uses.

A temp file in the same directory, created with the final mode from its first byte (O_EXCL,
mode given to open: no window where a sensitive file is readable by others), written,
fsynced, renamed over the target, and the directory fsynced so the rename itself survives a
power cut. A crash leaves the old file or the new one, never a mix. Errors are OSError: each
caller says what it was writing.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def open_private(path: Path, flags: int) -> int:
    """``os.open`` creating ``path`` 0600 if it is missing: the one way duoctl creates a
    private file, so its mode is right from the first byte (never a chmod afterwards)."""
    return os.open(path, flags | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE_MODE)


def write_private_new(path: Path, data: bytes) -> None:
    """Create ``path`` 0600 with ``data``, replacing a leftover of an earlier run.

    For scratch files in a private directory (a key on its way into an SSLContext, the
    emulator's CA copy): O_EXCL after the unlink, so a link planted meanwhile is never
    followed. No fsync: nothing depends on these surviving a power cut.
    """
    path.unlink(missing_ok=True)
    with os.fdopen(open_private(path, os.O_WRONLY | os.O_EXCL), "wb") as handle:
        handle.write(data)


def temp_name(path: Path) -> Path:
    return path.parent / f".{path.name}.{os.urandom(6).hex()}.tmp"


def replace_atomically(
    path: Path, data: bytes, *, mode: int = PRIVATE_FILE_MODE, owner: tuple[int, int] | None = None
) -> None:
    """Write ``data`` to ``path`` atomically; the new file has ``mode`` and ``owner``."""
    tmp = temp_name(path)
    fd = open_private(tmp, os.O_WRONLY | os.O_EXCL)
    try:
        with os.fdopen(fd, "wb") as handle:
            # Owner first, then the mode: the group never gets access to a file it does not own.
            if owner is not None and owner != (os.geteuid(), os.getegid()):
                os.fchown(handle.fileno(), *owner)
            if mode & 0o777 != PRIVATE_FILE_MODE:
                os.fchmod(handle.fileno(), mode & 0o777)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    # Makes a rename or unlink durable; some filesystems refuse O_RDONLY dirs, which is fine.
    try:
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def ensure_private_dir(directory: Path) -> None:
    """Create ``directory`` (and missing parents) 0700; leave an existing one alone. OSError."""
    directory.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)


def create_exclusively(path: Path, data: bytes) -> None:
    """Create ``path`` (0600) with ``data``, whole, or raise FileExistsError if it exists.

    Written to a temp file first and then hard-linked into place: the name never shows a
    partly written file, and of two racing creators exactly one wins.
    """
    tmp = temp_name(path)
    fd = open_private(tmp, os.O_WRONLY | os.O_EXCL)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    fsync_dir(path.parent)
