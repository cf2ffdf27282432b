"""Keyring backends for failure-mode tests, selected in a child process with
``PYTHON_KEYRING_BACKEND=support.keyring_backends.<Class>`` (``tests/`` on ``PYTHONPATH``).

keyring registers every backend subclass for its automatic selection. So that importing this
module can never make one of these the default keyring of a process, their ``priority``
raises (which keyring reads as "not viable") unless PYTHON_KEYRING_BACKEND names the class.

keyring's own ``keyring.backends.fail.Keyring`` and ``keyring.backends.null.Keyring`` cover
the "no backend" cases; they need nothing here.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import KeyringLocked, PasswordDeleteError, PasswordSetError

SELECT_ENV = "PYTHON_KEYRING_BACKEND"
FILE_ENV = "DUOCTL_TEST_KEYRING_FILE"


class _ExplicitOnly(KeyringBackend):
    """Viable only when selected by name, never by keyring's priority-based detection."""

    @properties.classproperty
    def priority(cls) -> float:
        # keyring's classproperty hands over the class; mypy sees an instance here.
        owner: type = cls  # type: ignore[assignment]
        if os.environ.get(SELECT_ENV) != f"{owner.__module__}.{owner.__qualname__}":
            raise RuntimeError(f"only usable when {SELECT_ENV} names it")
        return 1.0

    def get_password(self, service: str, username: str) -> str | None:
        raise NotImplementedError

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NotImplementedError


class HangingKeyring(_ExplicitOnly):
    """A D-Bus call that never returns, as with a collection stuck on an unlock prompt."""

    def _hang(self) -> None:
        while True:
            time.sleep(3600)

    def get_password(self, service: str, username: str) -> str | None:
        self._hang()
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._hang()

    def delete_password(self, service: str, username: str) -> None:
        self._hang()


class LockedKeyring(_ExplicitOnly):
    """A keyring whose collection is locked and cannot be unlocked non-interactively."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")


class PlaintextFileKeyring(_ExplicitOnly):
    """Secrets in a JSON file named by DUOCTL_TEST_KEYRING_FILE: a plain-text store.

    The class name says "plaintext" on purpose: duoctl must refuse it unless the user opts in
    with DUOCTL_ALLOW_PLAINTEXT_KEYRING=1. Writes are locked and atomic, so parallel duoctl
    processes (the benchmarks) do not lose each other's entries.
    """

    def _path(self) -> Path:
        return Path(os.environ[FILE_ENV])

    def _load(self) -> dict[str, str]:
        try:
            data: dict[str, str] = json.loads(self._path().read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return data

    def _update(self, key: str, value: str | None) -> bool:
        path = self._path()
        with open(path.with_name(path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._load()
            existed = data.pop(key, None) is not None
            if value is not None:
                data[key] = value
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, path)
        return existed

    @staticmethod
    def _key(service: str, username: str) -> str:
        return f"{service}\x00{username}"

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(self._key(service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._update(self._key(service, username), password)

    def delete_password(self, service: str, username: str) -> None:
        if not self._update(self._key(service, username), None):
            raise PasswordDeleteError("no such password")


class ProviderWriteFailsKeyring(PlaintextFileKeyring):
    """The plain-text file keyring, except that storing a provider's secret fails (duoctl's
    own entries, named "_...", still work): a store that breaks half-way through
    `provider create`, after the Admin API credential was read and the application created."""

    def set_password(self, service: str, username: str, password: str) -> None:
        if not username.startswith("_"):
            raise PasswordSetError("the collection refused the item")
        super().set_password(service, username, password)
