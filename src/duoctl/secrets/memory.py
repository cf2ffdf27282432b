"""An in-process store: unit tests and the self-contained demo. Never persists."""

from __future__ import annotations

from collections.abc import Sequence

from duoctl.secrets import BackendInfo, SecretRead, StoreProblem, get_each, provider_names


class MemorySecretStore:
    def __init__(
        self, kind: str = "secure", *, backend: str = "memory", location: str = "this process only"
    ) -> None:
        # kind/backend/location let a unit test stand in for any backend's description.
        self._items: dict[str, str] = {}
        self._kind = kind
        self._backend = backend
        self._location = location

    def get(self, name: str) -> str | None:
        return self._items.get(name)

    def get_many(self, names: Sequence[str]) -> dict[str, SecretRead]:
        return get_each(self.get, names)

    def set(self, name: str, secret: str) -> None:
        self._items[name] = secret

    def delete(self, name: str) -> bool:
        return self._items.pop(name, None) is not None

    def names(self) -> list[str] | None:
        return provider_names(list(self._items))

    def backend(self) -> BackendInfo:
        return BackendInfo(
            name="duoctl.secrets.memory.MemorySecretStore",
            kind=self._kind,
            backend=self._backend,
            location=self._location,
        )

    def problems(self) -> list[StoreProblem]:
        return []

    def preload(self) -> None:
        return None


class OneShotSecretStore:
    """A secret given for one run (``--client-secret-stdin``, ``DUOCTL_CLIENT_SECRET``).

    It answers for every provider the run asks about, never stores, never deletes, and
    cannot list: a one-shot run does not consult (or need access to) the real store.
    """

    def __init__(self, secret: str, source: str) -> None:
        self._secret = secret
        self.source = source

    def get(self, name: str) -> str | None:
        return self._secret

    def get_many(self, names: Sequence[str]) -> dict[str, SecretRead]:
        return get_each(self.get, names)

    def set(self, name: str, secret: str) -> None:
        from duoctl.errors import SecretStoreError

        raise SecretStoreError("a one-shot secret is never stored")

    def delete(self, name: str) -> bool:
        return False

    def names(self) -> list[str] | None:
        return None

    def backend(self) -> BackendInfo:
        return BackendInfo(name="one-shot", kind="secure", backend="one-shot", location=self.source)

    def problems(self) -> list[StoreProblem]:
        return []

    def preload(self) -> None:
        return None
