"""The Admin API credential: [admin] in the config, the secret key in the store, audited."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from admin.fakes import ADMIN_SKEY
from duoctl.admin import credentials
from duoctl.audit.log import audit_path
from duoctl.config.reader import load_config
from duoctl.errors import ConfigError, SecretStoreError, ValidationError
from duoctl.secrets import INTERNAL_PREFIX
from duoctl.secrets.memory import MemorySecretStore
from duoctl.validation import validate_name


@pytest.fixture
def config() -> Path:
    return Path(os.environ["DUOCTL_CONFIG"])


def _login(config: Path, store: MemorySecretStore, skey: str = ADMIN_SKEY) -> None:
    credential, _ = credentials.validated(
        "api-1234abcd.duosecurity.com", "DIADMIN0000000000001", None
    )
    credentials.save(config, store, credential, skey)


def test_login_stores_host_and_ikey_in_config_and_the_skey_only_in_the_store(config: Path) -> None:
    store = MemorySecretStore()
    _login(config, store)
    text = config.read_text()
    assert tomllib.loads(text)["admin"] == {
        "host": "api-1234abcd.duosecurity.com",
        "ikey": "DIADMIN0000000000001",
    }
    assert ADMIN_SKEY not in text
    assert ADMIN_SKEY not in audit_path(config).read_text()
    assert store.get(credentials.SKEY_ENTRY) == ADMIN_SKEY
    assert store.names() == []  # not listed as a provider
    loaded, skey = credentials.load(config, store)
    assert loaded.ikey == "DIADMIN0000000000001"
    assert skey == ADMIN_SKEY


def test_the_store_entry_can_never_be_a_provider_name() -> None:
    assert credentials.SKEY_ENTRY.startswith(INTERNAL_PREFIX)
    with pytest.raises(ValidationError):
        validate_name(credentials.SKEY_ENTRY)


def test_login_is_audited_with_a_fingerprint_never_the_key(config: Path) -> None:
    import json

    store = MemorySecretStore()
    _login(config, store)
    record = json.loads(audit_path(config).read_text().splitlines()[-1])
    assert "[admin]" in record["targets"]
    (event,) = record["secrets"]
    assert event["action"] == "stored"
    assert event["fingerprint"].startswith("hmac-sha256:")
    fields = {c["field"] for c in record["changes"]}
    assert {"admin.host", "admin.ikey"} <= fields


def test_a_failed_config_write_puts_the_old_key_back(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemorySecretStore()
    _login(config, store)
    import duoctl.config.edit as edit_module

    def refuse(path: Path, data: bytes) -> None:
        raise ConfigError("disk full")

    monkeypatch.setattr(edit_module, "write_atomic", refuse)
    new_key = "NewAdminKey0NewAdminKey0NewAdminKey00000"
    moved, _ = credentials.validated("api-99.duosecurity.com", "DIADMIN0000000000002", None)
    with pytest.raises(ConfigError):
        credentials.save(config, store, moved, new_key)
    assert store.get(credentials.SKEY_ENTRY) == ADMIN_SKEY
    assert load_config(config).admin.ikey == "DIADMIN0000000000001"  # type: ignore[union-attr]


def test_logout_removes_table_and_key(config: Path) -> None:
    store = MemorySecretStore()
    _login(config, store)
    before, deleted = credentials.remove(config, store)
    assert before is not None
    assert deleted
    assert load_config(config).admin is None
    assert store.get(credentials.SKEY_ENTRY) is None
    with pytest.raises(ConfigError, match="no Admin API credential"):
        credentials.load(config, store)


def test_a_credential_without_its_key_is_a_store_error(config: Path) -> None:
    store = MemorySecretStore()
    _login(config, store)
    store.delete(credentials.SKEY_ENTRY)
    with pytest.raises(SecretStoreError, match="secret key is missing"):
        credentials.load(config, store)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[admin]\nhost = "api-x.duosecurity.com"\n', "missing 'ikey'"),
        ('[admin]\nhost = "a b"\nikey = "DIADMIN0000000000001"\n', "not a valid host name"),
        ('[admin]\nhost = "h"\nikey = "DXADMIN0000000000001"\n', "must start with 'DI'"),
        ('[admin]\nhost = "h"\nikey = "DIADMIN0000000000001"\nport = 1\n', "not a known key"),
    ],
)
def test_a_bad_admin_table_is_a_config_error(config: Path, text: str, message: str) -> None:
    config.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(config)


def test_secrets_migrate_moves_the_admin_key_along(config: Path) -> None:
    from duoctl.providers import add_provider
    from duoctl.secrets.migrate import migrate_secrets
    from foundation.helpers import CLIENT_ID, ENDPOINT, SECRET

    source, target = MemorySecretStore(), MemorySecretStore()
    add_provider(
        config, source, name="prod", endpoint=ENDPOINT, client_id=CLIENT_ID, client_secret=SECRET
    )
    _login(config, source)
    migrate_secrets(config, source, target, source_name="keyring", target_name="encrypted-file")
    assert target.get(credentials.SKEY_ENTRY) == ADMIN_SKEY
    assert source.get(credentials.SKEY_ENTRY) is None
    assert credentials.load(config, target)[1] == ADMIN_SKEY


class _Unreachable(MemorySecretStore):
    """A store this session cannot reach (a desktop keyring from SSH); counts the calls."""

    def __init__(self) -> None:
        super().__init__()
        self.touched: list[str] = []

    def get(self, name: str) -> str | None:
        self.touched.append("get")
        raise SecretStoreError("the keyring did not answer")

    def delete(self, name: str) -> bool:
        self.touched.append("delete")
        raise SecretStoreError("the keyring did not answer")

    def preload(self) -> None:
        self.touched.append("preload")


def test_logout_with_keep_secret_needs_no_store(config: Path) -> None:
    _login(config, MemorySecretStore())
    with pytest.raises(SecretStoreError):
        credentials.remove(config, _Unreachable())
    assert load_config(config).admin is not None  # nothing changed
    store = _Unreachable()
    before, deleted = credentials.remove(config, store, keep_secret=True)
    assert before is not None
    assert not deleted
    assert store.touched == []
    assert load_config(config).admin is None


def test_logout_of_a_damaged_key_deletes_it_after_recording(config: Path) -> None:
    import json

    from duoctl.errors import CredentialUnreadable

    class Damaged(MemorySecretStore):
        def get(self, name: str) -> str | None:
            if name == credentials.SKEY_ENTRY:
                raise CredentialUnreadable("cannot decrypt")
            return super().get(name)

    store = Damaged()
    _login(config, MemorySecretStore())
    store.set(credentials.SKEY_ENTRY, ADMIN_SKEY)
    _, deleted = credentials.remove(config, store)
    assert deleted
    assert credentials.SKEY_ENTRY not in store._items
    record = json.loads(audit_path(config).read_text().splitlines()[-1])
    assert record["secrets"][0]["action"] == "deleted"
