"""SecretChange: a store change bound to the config edit around it.

Each case fails the edit for real (an exception inside ``edit_config``, so nothing is
written) or lets it commit, and checks what the store and the audit trail hold after.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from duoctl.audit.log import audit_path
from duoctl.audit.record import fingerprint
from duoctl.config.edit import ConfigEdit, edit_config
from duoctl.config.model import Provider
from duoctl.config.reader import load_config
from duoctl.errors import CredentialUnreadable, SecretStoreError
from duoctl.secret_edits import (
    SecretChange,
    current_secret,
    restore_secret,
    store_label,
    store_names,
)
from duoctl.secrets import BackendInfo
from duoctl.secrets.memory import MemorySecretStore

OLD = "O" * 40
NEW = "N" * 40


class DamagedStore(MemorySecretStore):
    """Entries named in ``damaged`` are there but cannot be read, as a corrupt file is."""

    def __init__(self, damaged: set[str]) -> None:
        super().__init__()
        self.damaged = damaged
        for name in damaged:
            self.set(name, "unreadable")

    def get(self, name: str) -> str | None:
        if name in self.damaged:
            raise CredentialUnreadable(f"{name}: damaged")
        return super().get(name)

    def delete(self, name: str) -> bool:
        self.damaged.discard(name)
        return super().delete(name)


class Boom(Exception):
    pass


class StuckStore(MemorySecretStore):
    """A store that stops answering after the change: deleting and describing fail."""

    def delete(self, name: str) -> bool:
        raise SecretStoreError("the store stopped answering")

    def backend(self) -> BackendInfo:
        raise SecretStoreError("the store stopped answering")


def _provider(name: str) -> Provider:
    return Provider(name=name, endpoint="api-abcdef12.duosecurity.com", client_id="DI" + "A" * 18)


def _audit_secrets(config: Path) -> list[dict[str, str]]:
    """Every secret event of the audit trail, in order."""
    path = audit_path(config)
    if not path.exists():
        return []
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return [event for record in records for event in record.get("secrets", [])]


def _audit_actions(config: Path) -> list[tuple[str, str]]:
    return [(event["provider"], event["action"]) for event in _audit_secrets(config)]


Body = Callable[[SecretChange, ConfigEdit], None]


def _run(store: MemorySecretStore, config: Path, body: Body, *, fail: bool) -> SecretChange:
    """``body`` inside the paired edit of entry "p"; with ``fail``, the edit then raises."""
    change = SecretChange(store, "p")
    with change, edit_config(config) as edit:
        body(change, edit)
        if fail:
            raise Boom
    return change


def _add(name: str, then: Body) -> Body:
    def body(change: SecretChange, edit: ConfigEdit) -> None:
        edit.add_provider(_provider(name))
        then(change, edit)

    return body


def _store(action: str, **kwargs: bool) -> Body:
    return lambda change, edit: change.store(edit, NEW, action, **kwargs)


def _delete(change: SecretChange, edit: ConfigEdit) -> None:
    change.delete(edit)


def test_a_failed_edit_puts_the_replaced_secret_back(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    store = MemorySecretStore()
    store.set("p", OLD)
    seen: list[str | None] = []

    def body(change: SecretChange, edit: ConfigEdit) -> None:
        change.store(edit, NEW, "rotated")
        seen.append(store.get("p"))  # stored before the config write

    with pytest.raises(Boom):
        _run(store, config, _add("p", body), fail=True)
    assert seen == [NEW]
    assert store.get("p") == OLD
    assert not config.exists()


def test_a_failed_edit_removes_a_secret_that_was_new(tmp_path: Path) -> None:
    store = MemorySecretStore()
    with pytest.raises(Boom):
        _run(store, tmp_path / "c.toml", _add("p", _store("stored")), fail=True)
    assert store.get("p") is None


def test_a_committed_store_keeps_the_new_secret_and_records_it(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    store = MemorySecretStore()
    _run(store, config, _add("p", _store("stored")), fail=False)
    assert store.get("p") == NEW
    assert "p" in load_config(config).providers
    assert ("p", "stored") in _audit_actions(config)


def test_a_failed_edit_restores_a_deleted_secret(tmp_path: Path) -> None:
    store = MemorySecretStore()
    store.set("p", OLD)
    seen: list[str | None] = []

    def body(change: SecretChange, edit: ConfigEdit) -> None:
        change.delete(edit)
        seen.append(store.get("p"))

    with pytest.raises(Boom):
        _run(store, tmp_path / "c.toml", body, fail=True)
    assert seen == [None]
    assert store.get("p") == OLD


def test_a_damaged_secret_is_deleted_only_after_the_config_write(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    store = DamagedStore({"p"})
    during: list[tuple[bool, bool]] = []

    def body(change: SecretChange, edit: ConfigEdit) -> None:
        change.delete(edit)
        during.append(("p" in store.damaged, change.deleted))

    change = _run(store, config, _add("q", body), fail=False)
    assert during == [(True, False)]  # still there until the edit committed
    assert change.deleted
    assert store.names() == []
    assert ("p", "deleted") in _audit_actions(config)


def test_a_damaged_secret_stays_when_the_edit_fails(tmp_path: Path) -> None:
    store = DamagedStore({"p"})
    with pytest.raises(Boom):
        _run(store, tmp_path / "c.toml", _delete, fail=True)
    assert "p" in store.damaged


def test_deleting_an_absent_secret_records_nothing(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    change = _run(MemorySecretStore(), config, _add("q", _delete), fail=False)
    assert not change.deleted
    assert _audit_actions(config) == []


def test_store_can_refuse_to_overwrite_a_damaged_secret(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    store = DamagedStore({"p"})
    body = _add("p", _store("stored", replace_damaged=False))
    with pytest.raises(CredentialUnreadable):
        _run(store, config, body, fail=False)
    assert "p" in store.damaged
    assert not config.exists()


def test_a_replaced_damaged_secret_is_removed_when_the_edit_fails(tmp_path: Path) -> None:
    # It cannot be put back: the new one goes, which leaves the entry as unusable as it was.
    store = DamagedStore({"p"})
    with pytest.raises(Boom):
        _run(store, tmp_path / "c.toml", _store("rotated"), fail=True)
    assert store.get("p") is None


def test_current_secret_reads_damaged_as_none_and_restore_deletes_for_none() -> None:
    store = DamagedStore({"p"})
    store.set("q", OLD)
    assert current_secret(store, "p") is None
    assert current_secret(store, "q") == OLD
    restore_secret(store, "q", None)
    assert store.get("q") is None
    restore_secret(store, "q", NEW)
    assert store.get("q") == NEW


def test_the_audit_names_the_secret_its_fingerprint_and_its_target(tmp_path: Path) -> None:
    # How admin login/logout record the Admin API key: under its own name and target, with
    # the stored secret's fingerprint (never the secret) and none for a deletion.
    config = tmp_path / "config.toml"
    store = MemorySecretStore()
    with (
        SecretChange(store, "entry", audit_name="admin", target="[admin]") as change,
        edit_config(config) as edit,
    ):
        change.store(edit, NEW, "stored")
    with (
        SecretChange(store, "entry", audit_name="admin", target="[admin]") as change,
        edit_config(config) as edit,
    ):
        change.delete(edit)
    assert change.deleted
    assert _audit_secrets(config) == [
        {
            "provider": "admin",
            "action": "stored",
            "fingerprint": fingerprint(store, NEW),
            "target": "[admin]",
        },
        {"provider": "admin", "action": "deleted", "target": "[admin]"},
    ]
    assert fingerprint(store, NEW) != fingerprint(store, OLD)


def test_a_restore_that_fails_leaves_the_original_error_to_the_user(tmp_path: Path) -> None:
    # The new secret cannot be taken back out (delete fails): the user still learns why the
    # edit failed, not that the clean-up did.
    store = StuckStore()
    with pytest.raises(Boom):
        _run(store, tmp_path / "c.toml", _store("stored"), fail=True)
    assert store.get("p") == NEW


def test_messages_name_the_store_and_a_silent_store_generically() -> None:
    store = MemorySecretStore(backend="systemd-creds", location="/etc/credstore")
    assert store_names(store) == ("systemd-creds (/etc/credstore)", "systemd-creds")
    assert store_label(store) == "systemd-creds (/etc/credstore)"
    assert store_names(StuckStore()) == ("the secret store", None)
    assert store_label(StuckStore()) == "the secret store"
