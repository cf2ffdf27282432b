"""Client secrets in the OS keyring (a desktop's Secret Service), behind the store seam.

Scheme: service ``duoctl:<absolute config path>``, username = provider name. Two config files
therefore never share a secret, and a keyring browser shows which file an entry belongs to.

Every call is bounded (:mod:`duoctl.secrets.bounded`), and library errors become
:class:`SecretStoreError` here, at the seam. On keyring's SecretService backend the calls go
through :mod:`duoctl.secrets.secret_service`, on the one D-Bus connection of the command's
:class:`~duoctl.secrets.keyring_session.KeyringSession`; any other backend through keyring.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from duoctl.errors import SecretStoreError
from duoctl.paths import config_identity
from duoctl.secrets import (
    BACKEND_KEYRING,
    BackendInfo,
    SecretRead,
    StoreProblem,
    get_each,
)
from duoctl.secrets.bounded import bounded, timeout_from_env
from duoctl.secrets.keyring_session import KeyringSession, load_keyring

SERVICE_PREFIX = "duoctl:"
ALLOW_PLAINTEXT_ENV = "DUOCTL_ALLOW_PLAINTEXT_KEYRING"

_T = TypeVar("_T")

FIX_NO_BACKEND = (
    "on a server, use systemd-creds (as root) or the encrypted-file store: "
    "set DUOCTL_SECRET_BACKEND=systemd-creds or encrypted-file (see 'On a server' in the "
    "README); on a desktop, run duoctl inside a session with a Secret Service "
    "(GNOME Keyring, KWallet)"
)
_HANG_HINT = "the keyring may be locked (unlock it) or its D-Bus service hung"


def service_for(config_path: Path) -> str:
    return SERVICE_PREFIX + config_identity(config_path)


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
    return BackendInfo(name=qual, kind=kind, backend=BACKEND_KEYRING)


def keyring_backend_info(timeout: float, session: KeyringSession | None = None) -> BackendInfo:
    """Which keyring backend this process would use, found within ``timeout``.

    With ``session``, the backend found is kept there for the command's calls (and its
    connection, on the Secret Service); without, the probe closes what it opened.
    """
    load_keyring()
    probe = session if session is not None else KeyringSession()
    try:
        return _bounded(lambda: classify_backend(probe.backend()), timeout, "find a backend")
    finally:
        if session is None:
            probe.close()


def _bounded(call: Callable[[], _T], timeout: float, what: str, *, writes: bool = False) -> _T:
    try:
        return bounded(
            call, timeout, store="the OS keyring", what=what, writes=writes, hint=_HANG_HINT
        )
    except SecretStoreError:
        raise
    except Exception as exc:
        raise _translate(exc, what) from None


class KeyringSecretStore:
    """The ``keyring`` library, bounded in time, refusing unsafe backends."""

    def __init__(
        self,
        config_path: Path,
        *,
        timeout: float | None = None,
        allow_plaintext: bool | None = None,
        warn: Callable[[str], None] | None = None,
        session: KeyringSession | None = None,
    ) -> None:
        self.service = service_for(config_path)
        # Shared with duoctl.secrets.select's probe when it chose this store: one detection
        # and one D-Bus connection for the whole command.
        self._session = session if session is not None else KeyringSession()
        self.timeout = timeout if timeout is not None else timeout_from_env()
        self.allow_plaintext = (
            allow_plaintext
            if allow_plaintext is not None
            else os.environ.get(ALLOW_PLAINTEXT_ENV) == "1"
        )
        self._warn = warn
        self._warned = False
        self._checked: BackendInfo | None = None

    def backend(self) -> BackendInfo:
        if self._checked is None:
            info = keyring_backend_info(self.timeout, self._session)
            self._checked = info._replace(location=self.service)
        return self._checked

    def close(self) -> None:
        """Close the store's D-Bus connection (the command is done with the store)."""
        self._session.close()

    def preload(self) -> None:
        load_keyring()

    def problems(self) -> list[StoreProblem]:
        return []  # the keyring keeps its own files; doctor's backend check covers it

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
                    hint=f"use a Secret Service keyring or an encrypted store, or set "
                    f"{ALLOW_PLAINTEXT_ENV}=1 to accept plain-text storage on this machine",
                )
            if self._warn is not None and not self._warned:
                # Once per command: three identical warnings read like three problems.
                self._warned = True
                self._warn(
                    f"secrets are stored in PLAIN TEXT by {info.name} ({ALLOW_PLAINTEXT_ENV}=1)"
                )
        # The backend backend() classified: checked once a command, not looked up again.
        return self._session.backend()

    def _calls(self, what: str) -> _Calls:
        """The calls for the backend checked: the command's one-connection calls on the
        Secret Service, keyring's own on any other backend."""
        backend = self._usable_backend(what)
        calls = self._session.calls
        return calls if calls is not None else _KeyringCalls(backend)

    def get(self, name: str) -> str | None:
        what = "read the client secret"
        calls = self._calls(what)
        return _bounded(lambda: calls.get(self.service, name), self.timeout, what)

    def get_many(self, names: Sequence[str]) -> dict[str, SecretRead]:
        what = "read the client secrets"
        self._usable_backend(what)
        calls = self._session.calls
        if calls is None:
            return get_each(self.get, names)
        # One search for every entry of this config, on the command's connection.
        return _bounded(lambda: calls.get_many(self.service, names), self.timeout, what)

    def set(self, name: str, secret: str) -> None:
        what = "store the client secret"
        calls = self._calls(what)
        _bounded(lambda: calls.set(self.service, name, secret), self.timeout, what, writes=True)

    def delete(self, name: str) -> bool:
        what = "delete the client secret"
        calls = self._calls(what)
        return _bounded(lambda: calls.delete(self.service, name), self.timeout, what, writes=True)

    def names(self) -> list[str] | None:
        what = "list stored secrets"
        self._usable_backend(what)
        calls = self._session.calls
        if calls is None:
            return None
        return _bounded(lambda: calls.usernames(self.service), self.timeout, what)


class _Calls(Protocol):
    """What the store asks of a backend (SecretServiceCalls has these too)."""

    def get(self, service: str, username: str) -> str | None: ...

    def set(self, service: str, username: str, secret: str) -> None: ...

    def delete(self, service: str, username: str) -> bool: ...


class _KeyringCalls:
    """keyring's own calls on a backend other than its SecretService (each call opens what
    it needs), as :class:`_Calls`."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    def get(self, service: str, username: str) -> str | None:
        value: object = self._backend.get_password(service, username)
        return value if isinstance(value, str) else None

    def set(self, service: str, username: str, secret: str) -> None:
        self._backend.set_password(service, username, secret)

    def delete(self, service: str, username: str) -> bool:
        import keyring.errors

        try:
            self._backend.delete_password(service, username)
        except keyring.errors.PasswordDeleteError:
            return False
        return True
