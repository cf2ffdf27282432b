"""Client secrets in the OS keyring, behind a small seam.

Scheme: service ``duoctl:<absolute config path>``, username = provider name. Two config files
therefore never share a secret, and a keyring browser shows which file an entry belongs to.

Every keyring call runs in a daemon thread with a deadline: a locked collection or a hung
D-Bus call otherwise blocks forever (gh wraps its keyring calls the same way). Library
errors are turned into :class:`SecretStoreError` here, at the seam.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from duoctl.deadline import call_with_deadline
from duoctl.errors import SecretStoreError

SERVICE_PREFIX = "duoctl:"
ALLOW_PLAINTEXT_ENV = "DUOCTL_ALLOW_PLAINTEXT_KEYRING"
KEYRING_TIMEOUT_ENV = "DUOCTL_KEYRING_TIMEOUT"
DEFAULT_TIMEOUT = 10.0

_T = TypeVar("_T")

FIX_NO_BACKEND = (
    "run duoctl inside a desktop session with a Secret Service (GNOME Keyring, KWallet), "
    "or set PYTHON_KEYRING_BACKEND to a secure backend"
)


@dataclass(frozen=True)
class BackendInfo:
    name: str
    kind: str  # "secure", "plaintext", "fail" or "null"

    @property
    def usable(self) -> bool:
        return self.kind in ("secure", "plaintext")


class SecretStore(Protocol):
    """What the core needs from a secret store; one instance serves one config file."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, secret: str) -> None: ...

    def delete(self, name: str) -> bool: ...

    def names(self) -> list[str] | None:
        """Every provider name with a secret under this config, or None if not listable."""
        ...

    def backend(self) -> BackendInfo: ...


def service_for(config_path: Path) -> str:
    return SERVICE_PREFIX + str(config_path.expanduser().resolve())


def _bounded(call: Callable[[], _T], timeout: float, what: str, *, writes: bool = False) -> _T:
    def timed_out() -> SecretStoreError:
        # An abandoned call cannot be cancelled: a write may still land after we give up.
        unknown = (
            "; the keyring may still complete that change later: check with "
            "'duoctl provider show NAME' or 'duoctl doctor'"
            if writes
            else ""
        )
        return SecretStoreError(
            f"the OS keyring did not answer within {timeout:g} s while trying to {what}",
            hint="the keyring may be locked (unlock it) or its D-Bus service hung; "
            f"set {KEYRING_TIMEOUT_ENV} to wait longer" + unknown,
        )

    try:
        return call_with_deadline(call, timeout, timed_out, name=f"keyring-{what}")
    except SecretStoreError:
        raise
    except Exception as exc:
        raise _translate(exc, what) from None


def _translate(exc: BaseException, what: str) -> SecretStoreError:
    if isinstance(exc, SecretStoreError):
        return exc
    name = type(exc).__name__
    if name == "KeyringLocked" or "locked" in str(exc).lower():
        return SecretStoreError(
            f"the OS keyring is locked; cannot {what}",
            hint="unlock your login keyring (e.g. log in to the desktop session) and retry",
        )
    if name == "NoKeyringError":
        return SecretStoreError(
            f"no OS keyring backend is available; cannot {what}", hint=FIX_NO_BACKEND
        )
    # The library messages name the backend problem but never the secret itself.
    return SecretStoreError(f"the OS keyring failed to {what}: {name}: {exc}", hint=FIX_NO_BACKEND)


def classify_backend(backend: object) -> BackendInfo:
    cls = type(backend)
    qual = f"{cls.__module__}.{cls.__qualname__}"
    lowered = qual.lower()
    if cls.__module__ == "keyring.backends.fail":
        kind = "fail"
    elif cls.__module__ == "keyring.backends.null":
        kind = "null"
    elif "plaintext" in lowered or "keyrings.alt" in lowered:
        # keyrings.alt's file backends keep secrets readable (or trivially decodable) on disk.
        kind = "plaintext"
    elif cls.__module__ == "keyring.backends.chainer":
        inner = [classify_backend(b) for b in getattr(backend, "backends", [])]
        kind = "secure" if inner and all(b.kind == "secure" for b in inner) else "plaintext"
    else:
        kind = "secure"
    return BackendInfo(name=qual, kind=kind)


def _timeout_from_env() -> float:
    raw = os.environ.get(KEYRING_TIMEOUT_ENV)
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 600:
        raise SecretStoreError(
            f"{KEYRING_TIMEOUT_ENV}={raw!r} is not a number of seconds between 0 and 600",
            hint=f"unset {KEYRING_TIMEOUT_ENV} to use the default of {DEFAULT_TIMEOUT:g} s",
        )
    return value


class KeyringSecretStore:
    """The real store: the ``keyring`` library, bounded in time, refusing unsafe backends."""

    def __init__(
        self,
        config_path: Path,
        *,
        timeout: float | None = None,
        allow_plaintext: bool | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.service = service_for(config_path)
        self.timeout = timeout if timeout is not None else _timeout_from_env()
        self.allow_plaintext = (
            allow_plaintext
            if allow_plaintext is not None
            else os.environ.get(ALLOW_PLAINTEXT_ENV) == "1"
        )
        self._warn = warn
        self._checked: BackendInfo | None = None

    def _keyring_backend(self) -> object:
        # Imported here: keyring costs ~0.1 s and read-only commands never need it.
        import keyring

        return keyring.get_keyring()

    def backend(self) -> BackendInfo:
        if self._checked is None:
            self._checked = _bounded(
                lambda: classify_backend(self._keyring_backend()), self.timeout, "find a backend"
            )
        return self._checked

    def _usable_backend(self, what: str) -> object:
        info = self.backend()
        if info.kind in ("fail", "null"):
            raise SecretStoreError(
                f"no usable OS keyring (backend {info.name}); cannot {what}", hint=FIX_NO_BACKEND
            )
        if info.kind == "plaintext":
            if not self.allow_plaintext:
                raise SecretStoreError(
                    f"the keyring backend {info.name} stores secrets in plain text; "
                    f"refusing to {what}",
                    hint=f"use a Secret Service keyring, or set {ALLOW_PLAINTEXT_ENV}=1 to accept "
                    "plain-text storage on this machine",
                )
            if self._warn is not None:
                self._warn(
                    f"WARNING: secrets are stored in PLAIN TEXT by {info.name} "
                    f"({ALLOW_PLAINTEXT_ENV}=1)"
                )
        return self._keyring_backend()

    def get(self, name: str) -> str | None:
        backend = self._usable_backend("read the client secret")
        value: object = _bounded(
            lambda: backend.get_password(self.service, name),  # type: ignore[attr-defined]
            self.timeout,
            "read the client secret",
        )
        return value if isinstance(value, str) else None

    def set(self, name: str, secret: str) -> None:
        backend = self._usable_backend("store the client secret")
        _bounded(
            lambda: backend.set_password(self.service, name, secret),  # type: ignore[attr-defined]
            self.timeout,
            "store the client secret",
            writes=True,
        )

    def delete(self, name: str) -> bool:
        backend = self._usable_backend("delete the client secret")

        def call() -> bool:
            import keyring.errors

            try:
                backend.delete_password(self.service, name)  # type: ignore[attr-defined]
            except keyring.errors.PasswordDeleteError:
                return False
            return True

        return _bounded(call, self.timeout, "delete the client secret", writes=True)

    def names(self) -> list[str] | None:
        backend = self._usable_backend("list stored secrets")
        if type(backend).__module__ != "keyring.backends.SecretService":
            return None

        def call() -> list[str]:
            collection = backend.get_preferred_collection()  # type: ignore[attr-defined]
            items = collection.search_items({"service": self.service})
            return sorted(item.get_attributes().get("username", "") for item in items)

        return _bounded(call, self.timeout, "list stored secrets")


class MemorySecretStore:
    """An in-process store: unit tests and the self-contained demo. Never persists."""

    def __init__(self, kind: str = "secure") -> None:
        self._items: dict[str, str] = {}
        self._kind = kind

    def get(self, name: str) -> str | None:
        return self._items.get(name)

    def set(self, name: str, secret: str) -> None:
        self._items[name] = secret

    def delete(self, name: str) -> bool:
        return self._items.pop(name, None) is not None

    def names(self) -> list[str] | None:
        return sorted(self._items)

    def backend(self) -> BackendInfo:
        return BackendInfo(name="duoctl.secretstore.MemorySecretStore", kind=self._kind)
