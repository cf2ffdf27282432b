"""keyring's SecretService backend's calls, made on one D-Bus connection for the command.

keyring opens a connection per call (10-15 ms each); these calls do what its
``get_password``/``set_password``/``delete_password`` do (keyring 25.7.0
``backends/SecretService.py``), on the connection detection opened, so that items stay
interchangeable with keyring's and ``secret-tool``'s:

- the collection: the backend's ``preferred_collection`` when set, else the default
  collection (``get_preferred_collection``); a locked one is unlocked, and still locked is
  keyring's ``KeyringLocked("Failed to unlock the collection!")``;
- the attributes: the backend's ``_query(service, username)`` (``service``/``username``, or
  its KeePassXC scheme) plus ``application = "Python keyring library"`` when storing, the
  label ``Password for '<username>' on '<service>'``, an existing item replaced
  (``set_password``);
- a read or delete takes the first item the search returns, a read unlocking it first.

The calls run in :mod:`duoctl.secrets.bounded` worker threads, one after another. A call
abandoned at its deadline may still hold the connection: the next call then opens one of its
own rather than share it (jeepney's blocking connection is not for two threads at once).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from typing import TYPE_CHECKING, Any

from duoctl.secrets import SecretRead, provider_names

if TYPE_CHECKING:
    from jeepney.io.blocking import DBusConnection  # type: ignore[import-untyped]
    from secretstorage.collection import Collection
    from secretstorage.dhcrypto import Session


class SecretServiceCalls:
    """One connection for every call of a command; :meth:`close` when the command ends."""

    def __init__(self, backend: Any, connection: DBusConnection | None) -> None:
        self._backend = backend  # keyring.backends.SecretService.Keyring
        self._connection = connection
        self._busy = threading.Lock()
        self._closed = False
        # The Secret Service transfer session (a Diffie-Hellman exchange), reused by every
        # call on the connection it belongs to: SecretStorage opens one per item otherwise.
        self._transfer: Session | None = None

    @contextmanager
    def _collection(self) -> Iterator[Collection]:
        import secretstorage

        if self._closed or not self._busy.acquire(blocking=False):
            # Closed, or an abandoned call still on the connection: a connection of its own.
            with closing(secretstorage.dbus_init()) as connection:
                yield self._preferred(connection, None)
            return
        try:
            if self._connection is None:
                self._connection = secretstorage.dbus_init()
            collection = self._preferred(self._connection, self._transfer)
            yield collection
            self._transfer = collection.session
        finally:
            self._busy.release()

    def _preferred(self, connection: DBusConnection, transfer: Session | None) -> Collection:
        """keyring's ``get_preferred_collection``, on ``connection``."""
        import secretstorage
        from keyring.errors import InitError, KeyringLocked
        from secretstorage.exceptions import SecretStorageException

        try:
            if hasattr(self._backend, "preferred_collection"):
                collection = secretstorage.Collection(
                    connection, self._backend.preferred_collection
                )
            else:
                collection = secretstorage.get_default_collection(connection)
        except SecretStorageException as exc:
            raise InitError(f"Failed to create the collection: {exc}.") from exc
        if collection.is_locked():
            collection.unlock()
            if collection.is_locked():  # the unlock prompt was dismissed
                raise KeyringLocked("Failed to unlock the collection!")
        collection.session = transfer
        return collection

    def get(self, service: str, username: str) -> str | None:
        with self._collection() as collection:
            for item in collection.search_items(self._backend._query(service, username)):
                self._backend.unlock(item)
                secret: str = item.get_secret().decode("utf-8")
                collection.session = item.session
                return secret
        return None

    def get_many(self, service: str, usernames: Sequence[str]) -> dict[str, SecretRead]:
        """Each username's secret, from one search of the service's items."""
        found: dict[str, SecretRead] = dict.fromkeys(usernames)
        key = self._backend.schemes[self._backend.scheme]["username"]
        with self._collection() as collection:
            for item in collection.search_items(self._backend._query(service)):
                name = item.get_attributes().get(key)
                if name in found and found[name] is None:
                    self._backend.unlock(item)
                    found[name] = item.get_secret().decode("utf-8")
                    # The search hands the collection's session to each item it yields
                    # next (SecretStorage 3.5.0 collection.py `search_items`).
                    collection.session = item.session
        return found

    def set(self, service: str, username: str, secret: str) -> None:
        attributes = self._backend._query(service, username, application=self._backend.appid)
        label = f"Password for '{username}' on '{service}'"
        with self._collection() as collection:
            collection.create_item(label, attributes, secret.encode("utf-8"), replace=True)

    def delete(self, service: str, username: str) -> bool:
        """Delete the first matching item; False when there is none."""
        with self._collection() as collection:
            for item in collection.search_items(self._backend._query(service, username)):
                item.delete()
                return True
        return False

    def usernames(self, service: str) -> list[str]:
        key = self._backend.schemes[self._backend.scheme]["username"]
        with self._collection() as collection:
            items = collection.search_items(self._backend._query(service))
            names = [item.get_attributes().get(key) for item in items]
        # An item filed under the service alone (by another client: keyring always sets
        # the username) names no provider.
        return provider_names([name for name in names if name])

    def close(self) -> None:
        self._closed = True
        connection, self._connection = self._connection, None
        if connection is not None:
            # At the command's end: a socket that will not close cleanly is no reason to fail.
            with suppress(OSError):
                connection.close()
