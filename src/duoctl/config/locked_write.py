"""The lock around a config read-modify-write, and the crash-safe replace that ends it."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from duoctl.errors import ConfigError
from duoctl.fileio import PRIVATE_FILE_MODE, open_private, replace_atomically
from duoctl.fileio import ensure_private_dir as _ensure_private_dir


def ensure_private_dir(directory: Path) -> None:
    """Create the directory (and parents) 0700 if missing; leave an existing one alone."""
    try:
        _ensure_private_dir(directory)
    except OSError as exc:
        raise ConfigError(f"cannot create config directory {directory}: {exc.strerror}") from None


def kept_mode_and_owner(path: Path) -> tuple[int, tuple[int, int] | None]:
    """The mode and owner an edit of ``path`` must keep; 0600 and ours for a new file.

    An existing file keeps its mode, owner and group (e.g. 0640 with a group the platform's
    service reads) as long as they give nothing to others. A config that others may read or
    write is refused: it names the Duo applications, and whoever can write it can point
    logins at another server.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return PRIVATE_FILE_MODE, None
    except OSError as exc:
        raise ConfigError(f"cannot inspect {path}: {exc.strerror}") from None
    mode = st.st_mode & 0o777
    if mode & 0o007:
        what = "writable" if mode & 0o002 else "readable"
        raise ConfigError(
            f"{path} is {what} by every user on this machine (mode {mode:04o}); "
            "refusing to edit it",
            hint=f"chmod o-rwx {path} (0600, or 0640 for a group that must read it), "
            "then check that nobody changed it",
        )
    return mode, (st.st_uid, st.st_gid)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so a crash leaves the old or the new file, never a mix.

    A new file is 0600 from its first byte; an existing one keeps its mode and owner (see
    :func:`kept_mode_and_owner`).
    """
    mode, owner = kept_mode_and_owner(path)
    try:
        replace_atomically(path, data, mode=mode, owner=owner)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None


def remove_stale_temp_files(path: Path) -> None:
    """Delete temp files a killed writer left beside ``path``.

    Call only while holding :func:`exclusive_lock`: every writer holds it while its temp file
    exists, so any temp file seen then belongs to a writer that is gone.
    """
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()


LOCK_TIMEOUT = 60.0


class _LockWaitOver(Exception):
    """Raised by the timer's signal handler to end a blocked flock()."""


def _wait_blocking(fd: int, timeout: float) -> bool:
    """Block in flock() until the lock is ours or ``timeout`` passes (main thread only).

    A blocked waiter is woken by the kernel the moment the lock is released, instead of
    polling: under a hundred parallel writers, polling lost the race again and again (some
    waited past the timeout while the lock was free for most of it).
    """

    def over(_signum: int, _frame: object) -> None:
        raise _LockWaitOver

    previous = signal.signal(signal.SIGALRM, over)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return True
    except _LockWaitOver:
        return False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _wait_polling(fd: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)


@contextlib.contextmanager
def exclusive_lock(path: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``<path>.lock`` for a read-modify-write.

    A sidecar file is locked rather than the config itself because the config is replaced by
    rename, which would silently drop a lock held on the old inode. The wait is generous
    (60 s): the lock is held only for one edit, whose store calls are each bounded (3 s), so
    a long wait means a queue of writers, not a dead holder (a dead process holds no flock).
    """
    lock_path = path.with_name(path.name + ".lock")
    try:
        fd = open_private(lock_path, os.O_RDWR)
    except OSError as exc:
        raise ConfigError(f"cannot open lock file {lock_path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # uncontended: no timer needed
            locked = True
        except BlockingIOError:
            main = threading.current_thread() is threading.main_thread()
            locked = (_wait_blocking if main else _wait_polling)(fd, timeout)
        except OSError as exc:
            raise ConfigError(f"cannot lock {lock_path}: {exc.strerror}") from None
        if not locked:
            raise ConfigError(
                f"{path} is locked by another duoctl process (waited {timeout:g} s)",
                hint=f"wait for it to finish; if none is running, remove {lock_path}",
            )
        yield
    finally:
        os.close(fd)  # closing releases the flock
