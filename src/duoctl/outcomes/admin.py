"""The results of `admin login` and `admin logout` (plain classes, as in outcomes/provider.py:
cheaper to define at start-up than dataclasses)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from duoctl.admin.status import AdminStatus
    from duoctl.config.model import AdminCredential
    from duoctl.secrets import SecretStore


def _credential_dict(credential: AdminCredential) -> dict[str, Any]:
    return {"host": credential.host, "ikey": credential.ikey, "ca_bundle": credential.ca_bundle}


class _Said:
    __slots__ = ()
    headers = None
    empty = ""
    notes: tuple[str, ...] = ()
    remarks_first = False


class AdminStored(_Said):
    """`admin login`: ``check`` is Duo's answer (`admin status`'s data), None with --no-verify."""

    __slots__ = ("backend", "check", "credential", "store")

    def __init__(
        self,
        credential: AdminCredential,
        store: str,
        backend: str | None,
        check: AdminStatus | None,
    ) -> None:
        self.credential = credential
        self.store = store
        self.backend = backend
        self.check = check

    @property
    def warnings(self) -> tuple[str, ...]:
        if self.check is None:
            return ()
        return tuple(
            f"the Admin API application lacks {permission!r}"
            + (f": {', '.join(commands)} will not work" if commands else "")
            for permission, commands in self.check.disabled_commands().items()
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "changed": True,
            "credential": _credential_dict(self.credential),
            "secret_store": self.store,
            "secret_backend": self.backend,
            "verified": self.check is not None,
            "check": None if self.check is None else self.check.to_dict(),
        }

    def rows(self) -> list[tuple[str]]:
        c = self.credential
        return [
            (
                f"stored the Admin API credential for {c.host} ({c.ikey}); "
                f"secret key in {self.store}",
            )
        ]


class AdminRemoved(_Said):
    """`admin logout`: what was there (None: no [admin] table) and what became of the key;
    ``store`` None: --keep-secret, the store was not touched."""

    __slots__ = ("backend", "before", "keep_secret", "secret_deleted", "store")
    warnings: tuple[str, ...] = ()

    def __init__(
        self,
        before: AdminCredential | None,
        secret_deleted: bool,
        keep_secret: bool,
        store: str | None,
        backend: str | None,
    ) -> None:
        self.before = before
        self.secret_deleted = secret_deleted
        self.keep_secret = keep_secret
        self.store = store
        self.backend = backend

    @property
    def changed(self) -> bool:
        return self.before is not None or self.secret_deleted

    def to_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "credential": None if self.before is None else _credential_dict(self.before),
            "secret_deleted": self.secret_deleted,
            "secret_kept": self.keep_secret,
            "secret_store": self.store,
            "secret_backend": self.backend,
        }

    def rows(self) -> list[tuple[str]]:
        if not self.changed:
            return [("no Admin API credential was stored; nothing changed",)]
        b = self.before
        where = f" for {b.host} ({b.ikey})" if b is not None else ""
        if self.keep_secret:
            key = "; the secret store was not touched (--keep-secret)"
        elif self.secret_deleted:
            key = " and its secret key"
        else:
            key = "; it had no secret key in the store"
        return [(f"removed the Admin API credential{where}{key}",)]


def logout(path: Path, secrets: SecretStore, *, keep_secret: bool) -> AdminRemoved:
    """Remove the credential (duoctl.admin.credentials.remove) and say what was done."""
    from duoctl.admin import credentials
    from duoctl.secret_edits import store_names

    before, deleted = credentials.remove(path, secrets, keep_secret=keep_secret)
    store, backend = (None, None) if keep_secret else store_names(secrets)
    return AdminRemoved(before, deleted, keep_secret, store, backend)
