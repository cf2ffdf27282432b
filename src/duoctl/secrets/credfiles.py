"""One credential file per provider, 0600 in a 0700 directory: what file backends share.

The directory is :func:`duoctl.paths.credentials_dir` (next to the config, or under
/var/lib/duoctl for the system config). Each backend uses its own file suffix, so a glance
at the directory, or :func:`backend_with_files`, tells which backend holds a config's
secrets. Files are replaced atomically (:mod:`duoctl.fileio`): a crash leaves the old
credential or the new one.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from duoctl.errors import SecretStoreError
from duoctl.fileio import PRIVATE_FILE_MODE, ensure_private_dir, fsync_dir, replace_atomically
from duoctl.secrets import StoreProblem, provider_names

# Suffix of each file backend's credential files.
SUFFIXES = {"systemd-creds": ".cred", "encrypted-file": ".enc"}


class CredentialDir:
    def __init__(self, directory: Path, suffix: str) -> None:
        self.directory = directory
        self.suffix = suffix

    def file_for(self, name: str) -> Path:
        # Provider names are validated ([A-Za-z0-9._-], no '/'), and the suffix keeps even
        # "." or ".." a plain file name inside the directory.
        return self.directory / f"{name}{self.suffix}"

    def read(self, name: str) -> bytes | None:
        path = self.file_for(name)
        try:
            # O_NOFOLLOW: a credential file swapped for a link is refused, not followed.
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SecretStoreError(
                f"cannot read the credential file {path}: {exc.strerror}",
                hint=f"check the file and its directory (ls -l {self.directory})",
            ) from None
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise SecretStoreError(f"the credential file {path} is not a regular file")
            return handle.read(1 << 20)

    def write(self, name: str, data: bytes) -> None:
        path = self.file_for(name)
        try:
            ensure_private_dir(self.directory)
            self._refuse_open_directory()
            replace_atomically(path, data, mode=PRIVATE_FILE_MODE)
        except OSError as exc:
            raise SecretStoreError(
                f"cannot write the credential file {path}: {exc.strerror}",
                hint=f"check that {self.directory} exists, is yours and is writable",
            ) from None

    def delete(self, name: str) -> bool:
        path = self.file_for(name)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise SecretStoreError(
                f"cannot delete the credential file {path}: {exc.strerror}"
            ) from None
        fsync_dir(self.directory)
        return True

    def names(self) -> list[str]:
        try:
            entries = os.listdir(self.directory)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise SecretStoreError(f"cannot list {self.directory}: {exc.strerror}") from None
        return provider_names(
            [
                entry[: -len(self.suffix)]
                for entry in entries
                if entry.endswith(self.suffix) and not entry.startswith(".")
            ]
        )

    def _refuse_open_directory(self) -> None:
        mode = stat.S_IMODE(self.directory.stat().st_mode)
        if mode & 0o077:
            raise SecretStoreError(
                f"the credential directory {self.directory} is open to others "
                f"(mode {mode:04o}); refusing to store a secret there",
                hint=f"chmod 700 {self.directory}",
            )

    def problems(self) -> list[StoreProblem]:
        """Directory and file modes, ownership, and temp files left by a killed writer."""
        try:
            st = self.directory.stat()
        except FileNotFoundError:
            return []  # nothing stored yet: created 0700 on the first write
        except OSError as exc:
            return [StoreProblem("fail", f"cannot inspect {self.directory}: {exc.strerror}", "")]
        found: list[StoreProblem] = []
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            found.append(
                StoreProblem(
                    "fail",
                    f"{self.directory} is open to others (mode {mode:04o})",
                    f"chmod 700 {self.directory}",
                )
            )
        if st.st_uid != os.geteuid():
            found.append(
                StoreProblem(
                    "warn",
                    f"{self.directory} is owned by uid {st.st_uid}, not by you "
                    f"(uid {os.geteuid()})",
                    f"chown {os.geteuid()} {self.directory}",
                )
            )
        with contextlib.suppress(OSError):
            for entry in sorted(os.listdir(self.directory)):
                path = self.directory / entry
                if entry.startswith(".") and entry.endswith(".tmp"):
                    found.append(
                        StoreProblem(
                            "warn",
                            f"{path} was left by an interrupted write",
                            f"rm {path} (no duoctl command is running)",
                        )
                    )
                    continue
                file_mode = stat.S_IMODE(path.lstat().st_mode)
                if entry.endswith(self.suffix) and file_mode & 0o077:
                    found.append(
                        StoreProblem(
                            "fail",
                            f"{path} is open to others (mode {file_mode:04o})",
                            f"chmod 600 {path}",
                        )
                    )
        return found


def backend_with_files(directory: Path) -> str | None:
    """The file backend whose credential files are already in ``directory``, if any."""
    try:
        entries = os.listdir(directory)
    except OSError:
        return None
    for backend, suffix in SUFFIXES.items():
        if any(e.endswith(suffix) and not e.startswith(".") for e in entries):
            return backend
    return None
