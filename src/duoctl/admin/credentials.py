"""The one Admin API credential of a config: host, ikey and CA bundle in its [admin] table,
the secret key in the same secret store as the providers' secrets.

Stored and removed like a provider's secret (see :mod:`duoctl.providers`): under the config
lock, the audit record first, the store call next, undone if the config write fails.
"""

from __future__ import annotations

from pathlib import Path

from duoctl.config.edit import edit_config
from duoctl.config.model import AdminCredential
from duoctl.config.reader import load_config
from duoctl.errors import ConfigError, SecretStoreError
from duoctl.providers import validate_ca_bundle
from duoctl.secret_edits import SecretChange, current_secret, store_label, store_names
from duoctl.secrets import ADMIN_SKEY_ENTRY, SecretStore
from duoctl.validation import (
    normalize_pasted_endpoint,
    validate_admin_ikey,
    validate_admin_skey,
    validate_endpoint,
)

# The store entry of the secret key. It starts with "_", which no provider name can
# (validation.py: names start with a letter or digit), so it never collides with one.
SKEY_ENTRY = ADMIN_SKEY_ENTRY
AUDIT_TARGET = "[admin]"
_AUDIT_NAME = "Admin API"
LOGIN_HINT = "duoctl admin login --host api-XXXXXXXX.duosecurity.com --ikey DIXXXXXXXXXXXXXXXXXX"


def validated(
    host: str, ikey: str, ca_bundle: str | None
) -> tuple[AdminCredential, tuple[str, ...]]:
    """The credential from typed values, and notes on what was normalised (a pasted URL)."""
    bare, note = normalize_pasted_endpoint(host)
    credential = AdminCredential(
        host=validate_endpoint(bare),
        ikey=validate_admin_ikey(ikey),
        ca_bundle=validate_ca_bundle(ca_bundle) if ca_bundle is not None else None,
    )
    return credential, (note,) if note else ()


def check_store(secrets: SecretStore) -> tuple[str, str | None]:
    """A bounded read before a secret is asked for: a store that cannot work fails now.
    Returns the store's label and backend name."""
    # A damaged old key is no obstacle (read as None): the login replaces it, which is its fix.
    current_secret(secrets, SKEY_ENTRY)
    return store_names(secrets)


def save(
    path: Path, secrets: SecretStore, credential: AdminCredential, skey: str
) -> tuple[str, str | None]:
    """Store the credential (replacing any); returns the store's label and backend name."""
    skey = validate_admin_skey(skey)
    label = check_store(secrets)
    with _skey_change(secrets) as change, edit_config(path) as edit:
        edit.set_table(
            "admin", host=credential.host, ikey=credential.ikey, ca_bundle=credential.ca_bundle
        )
        change.store(edit, skey, "stored")
    return label


def load(path: Path, secrets: SecretStore) -> tuple[AdminCredential, str]:
    """The credential and its secret key; ConfigError (4) or SecretStoreError (5) when absent."""
    credential = load_config(path).admin
    if credential is None:
        raise ConfigError(
            f"no Admin API credential in {path}",
            hint=f"store one first: {LOGIN_HINT}",
        )
    skey = secrets.get(SKEY_ENTRY)
    if skey is None:
        raise SecretStoreError(
            f"the Admin API secret key is missing from {store_label(secrets)}",
            hint=f"store it again: {LOGIN_HINT}",
        )
    return credential, skey


def remove(
    path: Path, secrets: SecretStore, *, keep_secret: bool = False
) -> tuple[AdminCredential | None, bool]:
    """Remove the [admin] table and the secret key; returns what was there.

    ``keep_secret`` leaves the store alone: the way out when it cannot be reached (as for
    `provider remove --keep-secret`); the key stays behind in it, unused.
    """
    if not keep_secret:
        secrets.preload()
    with _skey_change(secrets) as change, edit_config(path) as edit:
        before = edit.before.admin
        if before is not None:
            edit.set_table("admin", host=None, ikey=None, ca_bundle=None)
        if not keep_secret:
            change.delete(edit)
    return before, change.deleted


def _skey_change(secrets: SecretStore) -> SecretChange:
    return SecretChange(secrets, SKEY_ENTRY, audit_name=_AUDIT_NAME, target=AUDIT_TARGET)
