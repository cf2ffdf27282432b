"""provider create's undo paths, with a fake Admin API and an in-memory store: what the
console tests cannot provoke on demand (a health check that fails after registration, an
undo that fails too, Ctrl+C between steps)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from admin.fakes import CREDENTIAL, FakeAdmin, duo_failure
from duoctl.admin.provision import create_provider
from duoctl.admin.session import AdminSession
from duoctl.config.model import Provider
from duoctl.config.reader import load_config
from duoctl.errors import DuoCredentialsRejected, DuoUnreachable
from duoctl.secrets.memory import MemorySecretStore

IKEY = "DIWEBSDK000000000001"
SECRET = "CreatedSecret0CreatedSecret0CreatedSecre"


@pytest.fixture
def config() -> Path:
    return Path(os.environ["DUOCTL_CONFIG"])


def _fake() -> FakeAdmin:
    fake = FakeAdmin()
    fake.answer(
        "create_integration", {"integration_key": IKEY, "secret_key": SECRET, "name": "prod"}
    )
    fake.answer("delete_integration", "")
    return fake


def _create(config: Path, fake: FakeAdmin, store: MemorySecretStore, health: object) -> list[str]:
    said: list[str] = []

    def health_check(provider: Provider, secret: str) -> float:
        if isinstance(health, BaseException):
            raise health
        return 12.0

    create_provider(
        config,
        store,
        AdminSession(fake, CREDENTIAL, notify=said.append, sleep=lambda _: None),
        name="prod",
        duo_name=None,
        enabled=True,
        health_check=health_check,
        notify=said.append,
    )
    return said


def test_a_failed_health_check_removes_provider_secret_and_integration(config: Path) -> None:
    fake, store = _fake(), MemorySecretStore()
    with pytest.raises(DuoCredentialsRejected) as caught:
        _create(config, fake, store, DuoCredentialsRejected("Duo rejected them"))
    assert "nothing remains" in (caught.value.hint or "")
    assert "prod" not in load_config(config).providers
    assert store.get("prod") is None
    assert ("delete_integration", (IKEY,), {}) in fake.calls


def test_an_undo_that_fails_names_what_remains_and_how_to_remove_it(config: Path) -> None:
    fake, store = _fake(), MemorySecretStore()
    fake.script["delete_integration"] = [duo_failure(503, 50301, "Service Unavailable")]
    with pytest.raises(DuoUnreachable) as caught:
        _create(config, fake, store, DuoUnreachable("health check: cannot connect"))
    assert "could NOT be fully undone" in caught.value.message
    hint = caught.value.hint or ""
    assert IKEY in hint
    assert "'prod'" in hint
    assert "Delete Application" in hint
    assert "prod" not in load_config(config).providers  # the local undo still happened


def test_ctrl_c_during_the_health_check_undoes_too(config: Path) -> None:
    fake, store = _fake(), MemorySecretStore()
    with pytest.raises(KeyboardInterrupt):
        _create(config, fake, store, KeyboardInterrupt())
    assert ("delete_integration", (IKEY,), {}) in fake.calls
    assert "prod" not in load_config(config).providers
    assert store.get("prod") is None


def test_steps_are_said_in_order(config: Path) -> None:
    said = _create(config, _fake(), MemorySecretStore(), None)
    assert [line[:2] for line in said] == ["1.", "2.", "3.", "4."]
    assert all(SECRET not in line for line in said)


@pytest.mark.parametrize("cut", [KeyboardInterrupt(), TimeoutError("timed out")])
def test_a_create_cut_off_mid_answer_says_where_to_look(config: Path, cut: BaseException) -> None:
    from duoctl.errors import DuoTimeout, Interrupted

    fake, store = FakeAdmin(), MemorySecretStore()
    fake.answer("create_integration", cut)
    with pytest.raises((Interrupted, DuoTimeout)) as caught:
        _create(config, fake, store, None)
    assert "Admin Panel" in (caught.value.hint or "")
    assert "'prod'" in (caught.value.hint or "")
    assert "prod" not in load_config(config).providers


class _NoDelete(MemorySecretStore):
    """A store that keeps what it was given: deleting fails."""

    def delete(self, name: str) -> bool:
        from duoctl.errors import SecretStoreError

        raise SecretStoreError("the collection refused the deletion")


def test_a_secret_the_store_would_not_take_back_is_named(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duoctl.config.edit as edit_module
    from duoctl.errors import ConfigError

    real_write = edit_module.write_atomic

    def fail_the_provider_write(path: Path, data: bytes) -> None:
        # The audit record of the Duo creation changes no config; the provider's write is
        # the first config write, and it fails (a full disk).
        if b"[providers.prod]" in data:
            raise ConfigError("no space left on device")
        real_write(path, data)

    monkeypatch.setattr(edit_module, "write_atomic", fail_the_provider_write)
    fake, store = _fake(), _NoDelete()
    with pytest.raises(ConfigError) as caught:
        _create(config, fake, store, None)
    hint = caught.value.hint or ""
    assert "a secret for 'prod' remains" in hint
    assert ("delete_integration", (IKEY,), {}) in fake.calls  # the Duo side was undone
