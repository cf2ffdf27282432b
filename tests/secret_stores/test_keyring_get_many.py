"""KeyringSecretStore.get_many against the real Secret Service: doctor reads every
provider's secret this way, on one D-Bus connection, and must see what ``get`` sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from duoctl.secrets.keyring_store import KeyringSecretStore
from support.real_components import require_real, secret_service_available

pytestmark = pytest.mark.real_keyring


@pytest.fixture
def stores(tmp_path: Path) -> tuple[KeyringSecretStore, KeyringSecretStore]:
    require_real("Secret Service", *secret_service_available())
    mine = KeyringSecretStore(tmp_path / "mine.toml", timeout=10)
    other = KeyringSecretStore(tmp_path / "other.toml", timeout=10)
    assert mine.backend().name == "keyring.backends.SecretService.Keyring"
    return mine, other


def test_get_many_reads_each_entry_of_this_config_only(
    stores: tuple[KeyringSecretStore, KeyringSecretStore],
) -> None:
    mine, other = stores
    mine.set("a", "secret-of-a-é")
    mine.set("b", "secret-of-b")
    other.set("c", "another config's secret")
    try:
        read = mine.get_many(["b", "a", "c", "missing"])
        assert read == {"b": "secret-of-b", "a": "secret-of-a-é", "c": None, "missing": None}
        assert {name: mine.get(name) for name in read} == read
    finally:
        for store, name in ((mine, "a"), (mine, "b"), (other, "c")):
            store.delete(name)


def test_get_many_of_nothing_stored_is_all_none(
    stores: tuple[KeyringSecretStore, KeyringSecretStore],
) -> None:
    assert stores[0].get_many(["a"]) == {"a": None}
