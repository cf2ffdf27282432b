"""Which store holds a config's secrets: ``[secrets] backend`` or ``DUOCTL_SECRET_BACKEND``.

``auto`` (the default) decides once per command, in this order:

1. a file backend whose credential files are already in the config's credential directory
   (a secret stays in the backend that holds it: moving is ``duoctl secrets migrate``);
2. the OS keyring, when a usable one is there (not for the system config: a person's
   keyring cannot hold a host-wide secret);
3. systemd-creds, when its binary and host key are usable (as root);
4. otherwise an error listing the concrete ways forward.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from duoctl.errors import SecretStoreError
from duoctl.paths import credentials_dir
from duoctl.secrets import (
    BACKEND_AUTO,
    BACKEND_CHOICES,
    BACKEND_ENCRYPTED_FILE,
    BACKEND_KEYRING,
    BACKEND_SYSTEMD_CREDS,
    BackendInfo,
    SecretRead,
    SecretStore,
    StoreProblem,
)
from duoctl.secrets.bounded import timeout_from_env

if TYPE_CHECKING:
    from duoctl.secrets.keyring_session import KeyringSession

BACKEND_ENV = "DUOCTL_SECRET_BACKEND"


class StoreSettings(NamedTuple):
    """Everything that decides which store serves a config, and how it is reached."""

    config_path: Path
    system: bool = False
    backend: str = BACKEND_AUTO  # from the config's [secrets] table
    systemd_creds_key: str = "host"


class Choice(NamedTuple):
    backend: str
    why: str  # for doctor and messages: "DUOCTL_SECRET_BACKEND", "auto: ..."


def requested_backend(settings: StoreSettings, environ: Mapping[str, str]) -> tuple[str, str]:
    """The backend asked for, and by whom: the variable beats the config."""
    from_env = environ.get(BACKEND_ENV, "").strip()
    if from_env:
        if from_env not in BACKEND_CHOICES:
            raise SecretStoreError(
                f"{BACKEND_ENV}={from_env!r} is not a secret store",
                hint=f"use one of: {', '.join(BACKEND_CHOICES)}",
            )
        return from_env, BACKEND_ENV
    return settings.backend, f"[secrets] backend in {settings.config_path}"


def ways_forward(settings: StoreSettings, environ: Mapping[str, str]) -> str:
    from duoctl.secret_input import PASSPHRASE_FILE_ENV
    from duoctl.secrets.keyring_store import ALLOW_PLAINTEXT_ENV
    from duoctl.secrets.systemd_creds import INSTALL_HINT, unusable_reason

    systemd = unusable_reason(settings.systemd_creds_key, environ)
    steps = [
        f"as root: {INSTALL_HINT}; duoctl then uses systemd-creds"
        if systemd is not None and "not installed" in systemd
        else "run duoctl as root (sudo) so that it can use systemd-creds",
        f"as any user: set {BACKEND_ENV}=encrypted-file (or [secrets] backend = "
        f'"encrypted-file") with {PASSPHRASE_FILE_ENV}=FILE, or type the passphrase at a '
        "terminal",
    ]
    if not settings.system:
        steps.append(
            "on a desktop: run inside a session with a Secret Service (GNOME Keyring, KWallet)"
        )
        steps.append(
            f"last resort: a plain-text keyring backend (keyrings.alt) with {ALLOW_PLAINTEXT_ENV}=1"
        )
    return "; ".join(f"({i}) {step}" for i, step in enumerate(steps, 1))


KeyringProbe = Callable[[float], BackendInfo]
SystemdProbe = Callable[[str, Mapping[str, str]], str | None]


def choose(
    settings: StoreSettings,
    environ: Mapping[str, str],
    timeout: float,
    *,
    keyring_probe: KeyringProbe | None = None,
    systemd_probe: SystemdProbe | None = None,
) -> Choice:
    """The backend for this config; the probes are seams for tests (real ones by default)."""
    backend, who = requested_backend(settings, environ)
    if backend != BACKEND_AUTO:
        return Choice(backend, who)
    from duoctl.secrets.credfiles import backend_with_files

    directory = credentials_dir(settings.config_path, system=settings.system, env=environ)
    holding = backend_with_files(directory)
    if holding is not None:
        return Choice(holding, f"auto: this config's secrets are already in {directory}")
    tried: list[str] = []
    if settings.system:
        tried.append("the OS keyring: not used for the system config (it is per user)")
    else:
        from duoctl.secrets.keyring_store import ALLOW_PLAINTEXT_ENV, keyring_backend_info

        try:
            info = (keyring_probe or keyring_backend_info)(timeout)
        except SecretStoreError as exc:
            tried.append(f"the OS keyring: {exc.message}")
        else:
            plaintext_ok = environ.get(ALLOW_PLAINTEXT_ENV) == "1"
            if info.kind == "secure" or (info.kind == "plaintext" and plaintext_ok):
                return Choice(BACKEND_KEYRING, f"auto: a usable OS keyring ({info.name})")
            tried.append(f"the OS keyring: backend {info.name} is {info.kind}")
    from duoctl.secrets.systemd_creds import unusable_reason

    reason = (systemd_probe or unusable_reason)(settings.systemd_creds_key, environ)
    if reason is None:
        why = "auto: no usable OS keyring; " if not settings.system else "auto: system config; "
        return Choice(BACKEND_SYSTEMD_CREDS, why + "systemd-creds is usable")
    tried.append(f"systemd-creds: {reason}")
    raise SecretStoreError(
        "no usable secret store: " + "; ".join(tried),
        hint="ways forward: " + ways_forward(settings, environ),
    )


def build(
    backend: str,
    settings: StoreSettings,
    *,
    environ: Mapping[str, str],
    warn: Callable[[str], None] | None,
    passphrase: Callable[[bool], str],
    keyring_session: KeyringSession | None = None,
) -> SecretStore:
    """The concrete store for ``backend`` (never "auto"); a keyring store uses
    ``keyring_session`` when given (what :func:`choose` already found, and its connection)."""
    timeout = timeout_from_env(environ)
    if backend == BACKEND_KEYRING:
        from duoctl.secrets.keyring_store import KeyringSecretStore

        return KeyringSecretStore(
            settings.config_path, timeout=timeout, warn=warn, session=keyring_session
        )
    if backend == BACKEND_SYSTEMD_CREDS:
        from duoctl.secrets.systemd_creds import SystemdCredsStore

        return SystemdCredsStore(
            settings.config_path,
            system=settings.system,
            key=settings.systemd_creds_key,
            timeout=timeout,
            environ=environ,
        )
    if backend == BACKEND_ENCRYPTED_FILE:
        from duoctl.secrets.encrypted_file import EncryptedFileStore

        return EncryptedFileStore(
            settings.config_path, passphrase=passphrase, system=settings.system
        )
    raise SecretStoreError(f"unknown secret store {backend!r}")


class SelectedStore:
    """The store :func:`choose` picks, chosen on first use (never for commands that need none).

    Choosing may probe the keyring (bounded, but not free): a command that never touches a
    secret pays nothing, and one that does pays once: the keyring store it builds keeps the
    backend the probe found, and its D-Bus connection, until :meth:`close`.
    """

    def __init__(
        self,
        settings: StoreSettings,
        *,
        environ: Mapping[str, str] | None = None,
        warn: Callable[[str], None] | None = None,
        passphrase: Callable[[bool], str],
    ) -> None:
        self.settings = settings
        self._environ = dict(os.environ if environ is None else environ)
        self._warn = warn
        self._passphrase = passphrase
        self._chosen: tuple[Choice, SecretStore] | None = None
        self._keyring: KeyringSession | None = None

    def choice(self) -> Choice:
        return self._resolve()[0]

    def _resolve(self) -> tuple[Choice, SecretStore]:
        if self._chosen is None:
            from duoctl.secrets.keyring_session import KeyringSession
            from duoctl.secrets.keyring_store import keyring_backend_info

            if self._keyring is None:
                self._keyring = KeyringSession()
            session = self._keyring
            choice = choose(
                self.settings,
                self._environ,
                timeout_from_env(self._environ),
                keyring_probe=lambda timeout: keyring_backend_info(timeout, session),
            )
            if choice.backend != BACKEND_KEYRING:
                session.close()  # a probe's connection, of no use to another store
            store = build(
                choice.backend,
                self.settings,
                environ=self._environ,
                warn=self._warn,
                passphrase=self._passphrase,
                keyring_session=session,
            )
            self._chosen = (choice, store)
        return self._chosen

    def close(self) -> None:
        """Release what the store holds open (the keyring's D-Bus connection)."""
        if self._keyring is not None:
            self._keyring.close()

    def store(self) -> SecretStore:
        return self._resolve()[1]

    def get(self, name: str) -> str | None:
        return self.store().get(name)

    def get_many(self, names: Sequence[str]) -> dict[str, SecretRead]:
        return self.store().get_many(names)

    def set(self, name: str, secret: str) -> None:
        self.store().set(name, secret)

    def delete(self, name: str) -> bool:
        return self.store().delete(name)

    def names(self) -> list[str] | None:
        return self.store().names()

    def backend(self) -> BackendInfo:
        return self.store().backend()

    def problems(self) -> list[StoreProblem]:
        return self.store().problems()

    def preload(self) -> None:
        self.store().preload()
