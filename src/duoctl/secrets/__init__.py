"""Where client secrets live: one protocol, several storage backends.

- ``keyring``: the OS keyring through the ``keyring`` library (a desktop's Secret Service).
- ``systemd-creds``: one file per provider, encrypted by ``systemd-creds`` with the host key
  (or a TPM2); readable by a platform service through ``LoadCredentialEncrypted=``.
- ``encrypted-file``: one file per provider, AES-256-GCM under a key derived with scrypt
  from a passphrase; for a non-root user with neither of the above.

``auto`` (the default) picks one: see :mod:`duoctl.secrets.select`. Only this module is
imported on the start-up path; each backend is imported when it is used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol, TypeAlias

if TYPE_CHECKING:
    from duoctl.errors import CredentialUnreadable

BACKEND_AUTO = "auto"
BACKEND_KEYRING = "keyring"
BACKEND_SYSTEMD_CREDS = "systemd-creds"
BACKEND_ENCRYPTED_FILE = "encrypted-file"
BACKENDS = (BACKEND_KEYRING, BACKEND_SYSTEMD_CREDS, BACKEND_ENCRYPTED_FILE)
BACKEND_CHOICES = (BACKEND_AUTO, *BACKENDS)
# Entries a store keeps for duoctl itself (the audit trail's fingerprint key): their names
# start with "_", which no provider name can, and ``names()`` leaves them out.
INTERNAL_PREFIX = "_"
# The Admin API secret key (duoctl.admin.credentials); "_" keeps it apart from providers.
ADMIN_SKEY_ENTRY = "_admin-skey"


def provider_names(names: list[str]) -> list[str]:
    return sorted(name for name in names if not name.startswith(INTERNAL_PREFIX))


class BackendInfo(NamedTuple):
    name: str  # the implementation (a keyring class path, "systemd-creds", ...)
    kind: str  # "secure", "plaintext", "fail" or "null"
    backend: str = BACKEND_KEYRING  # which of BACKENDS (or "memory", "one-shot")
    location: str = ""  # where the secrets are: a directory, a keyring service name

    @property
    def usable(self) -> bool:
        return self.kind in ("secure", "plaintext")

    @property
    def label(self) -> str:
        """How messages name the store: "systemd-creds (/var/lib/duoctl/...)"."""
        if self.backend == BACKEND_KEYRING:
            if self.kind == "plaintext":
                return f"the PLAIN-TEXT keyring backend {self.name}"
            return f"the OS keyring ({self.name})"
        return f"{self.backend} ({self.location})" if self.location else self.backend


class StoreProblem(NamedTuple):
    """Something doctor should report about a store's own files: "warn" or "fail"."""

    status: str
    detail: str
    fix: str


# One entry as get_many reads it: the secret, None when there is none, or why it is unreadable.
SecretRead: TypeAlias = "str | CredentialUnreadable | None"


def get_each(get: Callable[[str], str | None], names: Sequence[str]) -> dict[str, SecretRead]:
    """:meth:`SecretStore.get_many` one ``get`` a name: for stores where that costs nothing
    more (a file each, a dict)."""
    from duoctl.errors import CredentialUnreadable

    read: dict[str, SecretRead] = {}
    for name in names:
        try:
            read[name] = get(name)
        except CredentialUnreadable as exc:
            read[name] = exc
    return read


class SecretStore(Protocol):
    """What the core needs from a secret store; one instance serves one config file."""

    def get(self, name: str) -> str | None: ...

    def get_many(self, names: Sequence[str]) -> dict[str, SecretRead]:
        """Each name's secret (None when absent), read the cheapest way the store allows: a
        keyring answers them all on one connection. An entry that cannot be decrypted is
        that entry's :class:`CredentialUnreadable`; a store that refuses (locked, hung)
        raises, as :meth:`get` does."""
        ...

    def set(self, name: str, secret: str) -> None: ...

    def delete(self, name: str) -> bool: ...

    def names(self) -> list[str] | None:
        """Every provider name with a secret under this config, or None if not listable
        (duoctl's own entries, see :data:`INTERNAL_PREFIX`, are not listed)."""
        ...

    def backend(self) -> BackendInfo: ...

    def problems(self) -> list[StoreProblem]:
        """What is wrong with the store's own files (modes, keys); [] when nothing is."""
        ...

    def preload(self) -> None:
        """Load what the store's calls need (libraries), without calling the store itself.

        Writers call this before they take the config lock, so that inside it they only talk
        to the store: a hundred parallel writers then reach the store one at a time.
        """
        ...
