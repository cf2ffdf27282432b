"""The fingerprint key: created once per config in its secret store, never listed as a
provider's secret, and moved along by ``secrets migrate``."""

from __future__ import annotations

import json
from pathlib import Path

from duoctl.audit.log import audit_path
from duoctl.audit.record import FINGERPRINT_KEY_NAME, fingerprint
from duoctl.providers import add_provider, edit_provider
from duoctl.secrets.memory import MemorySecretStore
from duoctl.secrets.migrate import migrate_secrets
from foundation.helpers import CLIENT_ID, ENDPOINT, SECRET, SECRET_2


def test_one_key_per_store_and_not_a_provider(tmp_path: Path) -> None:
    store = MemorySecretStore()
    first = fingerprint(store, SECRET)
    key = store.get(FINGERPRINT_KEY_NAME)
    assert key is not None
    assert len(key) == 40
    assert fingerprint(store, SECRET) == first
    assert store.get(FINGERPRINT_KEY_NAME) == key
    assert fingerprint(store, SECRET_2) != first
    # Another config (another store) has another key: its fingerprints differ.
    assert fingerprint(MemorySecretStore(), SECRET) != first
    assert store.names() == []


def test_migrate_moves_the_key_and_fingerprints_stay_comparable(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    source, target = MemorySecretStore(), MemorySecretStore()
    add_provider(config, source, name="prod", endpoint=ENDPOINT, client_id=CLIENT_ID,
                 client_secret=SECRET)  # fmt: skip
    key = source.get(FINGERPRINT_KEY_NAME)
    report = migrate_secrets(config, source, target, source_name="keyring",
                             target_name="encrypted-file")  # fmt: skip
    assert report.copied == ["prod"]
    assert target.get(FINGERPRINT_KEY_NAME) == key
    assert source.get(FINGERPRINT_KEY_NAME) is None
    edit_provider(config, "prod", target, new_secret=SECRET)
    records = [json.loads(line) for line in audit_path(config).read_text().splitlines()]
    prints = [e["fingerprint"] for r in records for e in r["secrets"] if "fingerprint" in e]
    assert prints[0] == prints[-1]
    assert [r["command"] for r in records][-1] == "duoctl (library call)"
    copied = [e for r in records for e in r["secrets"] if e["action"].startswith("copied")]
    assert copied == [{"provider": "prod", "action": "copied to encrypted-file"}]
