"""A secret-store change made together with a config edit, undone together.

The store and the config file cannot share a transaction, so the order is the protocol:
under the config lock, the audit record is written first (a kill then leaves the record,
never a change without one), then the store is changed, then the config is written when
:func:`duoctl.config.edit.edit_config` commits. If anything fails after the store changed,
the previous secret is put back. A secret that is there but unreadable (damaged, under
another host key) cannot be put back, so it is deleted only after the config write.

Used by the provider commands and by ``admin login/logout``, for the same reasons.
"""

from __future__ import annotations

import contextlib
from types import TracebackType

from duoctl.audit.record import fingerprint
from duoctl.config.edit import ConfigEdit
from duoctl.errors import CredentialUnreadable, SecretStoreError
from duoctl.secrets import SecretStore


def current_secret(secrets: SecretStore, entry: str) -> str | None:
    """The stored secret; None also when one is there but unreadable (damaged, wrong key).

    Rotating or removing a damaged secret is how it gets fixed, so that must not fail on
    reading it first; the store itself answered, which is what the caller needs to know.
    """
    try:
        return secrets.get(entry)
    except CredentialUnreadable:
        return None


def store_label(secrets: SecretStore) -> str:
    """How messages name the store; it is already chosen by the time a secret was handled."""
    return store_names(secrets)[0]


def store_names(secrets: SecretStore) -> tuple[str, str | None]:
    """The store's label and its backend's name (--json's "secret_backend"); the backend is
    None when the store cannot say."""
    try:
        info = secrets.backend()
    except SecretStoreError:
        return "the secret store", None
    return info.label, info.backend


def restore_secret(secrets: SecretStore, entry: str, previous: str | None) -> None:
    """Put ``previous`` back under ``entry`` (None: delete what is there). Best effort: the
    original error is what the user needs to see."""
    with contextlib.suppress(SecretStoreError):
        if previous is None:
            secrets.delete(entry)
        else:
            secrets.set(entry, previous)


class SecretChange:
    """One entry's change in the store, bound to the config edit it sits inside::

        with SecretChange(secrets, name) as change, edit_config(path) as edit:
            ...
            change.store(edit, secret, "rotated")

    Leaving the ``with`` by an exception (the config write included) restores what the
    entry held; leaving it normally finishes a deletion that had to wait for the write.
    """

    def __init__(
        self,
        secrets: SecretStore,
        entry: str,
        *,
        audit_name: str | None = None,
        target: str | None = None,
    ) -> None:
        self._secrets = secrets
        self._entry = entry
        self._audit_name = audit_name or entry
        self._target = target
        self._previous: str | None = None
        self._changed = False
        self._damaged = False
        self.deleted = False

    def store(
        self, edit: ConfigEdit, secret: str, action: str, *, replace_damaged: bool = True
    ) -> None:
        """Store ``secret`` after its audit record. ``replace_damaged=False`` refuses to
        overwrite an unreadable secret (the store's CredentialUnreadable propagates)."""
        if replace_damaged:
            self._previous = current_secret(self._secrets, self._entry)
        else:
            self._previous = self._secrets.get(self._entry)
        digest = fingerprint(self._secrets, secret)
        edit.note_secret(self._audit_name, action, digest, target=self._target)
        edit.record_now()
        self._secrets.set(self._entry, secret)
        self._changed = True

    def delete(self, edit: ConfigEdit) -> None:
        """Delete the entry after its audit record; a damaged one after the config write.

        No fingerprint: reading the key would cost a store call under the lock, and what
        was deleted is named by the records that stored it.
        """
        try:
            self._previous = self._secrets.get(self._entry)
        except CredentialUnreadable:
            self._damaged = True
        if self._previous is None and not self._damaged:
            return
        edit.note_secret(self._audit_name, "deleted", target=self._target)
        edit.record_now()
        if self._previous is not None:
            self.deleted = self._secrets.delete(self._entry)
            self._changed = self.deleted

    def __enter__(self) -> SecretChange:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            if self._changed:
                restore_secret(self._secrets, self._entry, self._previous)
            return
        if self._damaged:
            self.deleted = self._secrets.delete(self._entry)
