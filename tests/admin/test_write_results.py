"""`admin login` / `logout` results and `provider remove --delete-app`'s second step, with a
fake Admin API and an in-memory store: the console tests (test_write_json_e2e.py) cannot
make Duo refuse a deletion on demand."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from admin.fakes import CREDENTIAL, FakeAdmin, duo_failure
from duoctl.admin import credentials
from duoctl.admin.permissions import APPLICATIONS, READ_LOG, READ_RESOURCE
from duoctl.admin.provision import AppDeletion, Created
from duoctl.admin.session import AdminSession
from duoctl.admin.status import AdminStatus
from duoctl.config.model import Provider
from duoctl.errors import DuoctlError, ExitCode, Interrupted
from duoctl.outcomes.admin import AdminRemoved, AdminStored, logout
from duoctl.outcomes.provider import ProviderCreated, ProviderRemoved, delete_app_after
from duoctl.providers import ProviderView, Removal
from duoctl.secrets.memory import MemorySecretStore

IKEY = "DIWEBSDK000000000001"
SKEY = "AdminSkey0AdminSkey0AdminSkey0AdminSkey0"
CRED = {"host": CREDENTIAL.host, "ikey": CREDENTIAL.ikey, "ca_bundle": None}


@pytest.fixture
def config() -> Path:
    return Path(os.environ["DUOCTL_CONFIG"])


def test_a_login_checked_by_duo_warns_of_each_missing_permission() -> None:
    check = AdminStatus(
        CREDENTIAL.host,
        CREDENTIAL.ikey,
        {APPLICATIONS: True, READ_RESOURCE: False, READ_LOG: False},
        None,
    )
    stored = AdminStored(CREDENTIAL, "the store", "keyring", check)
    assert stored.to_dict() == {
        "changed": True,
        "credential": CRED,
        "secret_store": "the store",
        "secret_backend": "keyring",
        "verified": True,
        "check": check.to_dict(),
    }
    assert stored.to_dict()["check"]["missing"] == [READ_RESOURCE, READ_LOG]
    assert stored.rows() == [
        (
            f"stored the Admin API credential for {CREDENTIAL.host} ({CREDENTIAL.ikey}); "
            "secret key in the store",
        )
    ]
    assert stored.warnings == (
        f"the Admin API application lacks {READ_RESOURCE!r}: user show will not work",
        f"the Admin API application lacks {READ_LOG!r}: logs, test-login --explain will not work",
    )


def test_a_login_without_verify_has_no_check_and_no_warnings() -> None:
    stored = AdminStored(CREDENTIAL, "the store", None, None)
    assert stored.to_dict()["verified"] is False
    assert stored.to_dict()["check"] is None
    assert stored.warnings == ()


def test_logout_says_what_it_removed_and_where_the_key_was(config: Path) -> None:
    store = MemorySecretStore()
    credentials.save(config, store, CREDENTIAL, SKEY)
    removed = logout(config, store, keep_secret=False)
    label = store.backend().label
    assert removed.to_dict() == {
        "changed": True,
        "credential": CRED,
        "secret_deleted": True,
        "secret_kept": False,
        "secret_store": label,
        "secret_backend": store.backend().backend,
    }
    assert removed.rows() == [
        (
            f"removed the Admin API credential for {CREDENTIAL.host} ({CREDENTIAL.ikey}) and "
            "its secret key",
        )
    ]
    again = logout(config, store, keep_secret=False)
    assert again.to_dict()["changed"] is False
    assert again.to_dict()["credential"] is None
    assert again.rows() == [("no Admin API credential was stored; nothing changed",)]


def test_logout_keeping_the_secret_names_no_store(config: Path) -> None:
    store = MemorySecretStore()
    credentials.save(config, store, CREDENTIAL, SKEY)
    removed = logout(config, store, keep_secret=True)
    assert store.get(credentials.SKEY_ENTRY) == SKEY
    assert removed.to_dict()["secret_store"] is None
    assert removed.to_dict()["secret_kept"] is True
    assert removed.rows()[0][0].endswith("; the secret store was not touched (--keep-secret)")


def test_a_key_already_gone_from_the_store_is_said() -> None:
    removed = AdminRemoved(CREDENTIAL, False, False, "the store", None)
    assert removed.rows()[0][0].endswith("; it had no secret key in the store")


PROD = Provider("prod", CREDENTIAL.host, IKEY, enabled=True)


def _removed(exists: bool = True) -> ProviderRemoved:
    app = AppDeletion(IKEY, "PAM production", exists=exists)
    return ProviderRemoved(Removal(PROD, True, "the store"), keep_secret=False, app=app)


def _session(fake: FakeAdmin) -> AdminSession:
    return AdminSession(fake, CREDENTIAL, notify=lambda _: None, sleep=lambda _: None)


def test_the_application_is_deleted_after_the_provider(config: Path) -> None:
    fake = FakeAdmin()
    fake.answer("delete_integration", "")
    result, failure = delete_app_after(config, _session(fake), _removed())
    assert failure is None
    assert result.app_deleted is True
    assert [call[0] for call in fake.calls] == ["delete_integration"]


def test_an_application_already_gone_is_not_asked_for_again(config: Path) -> None:
    fake = FakeAdmin()
    result, failure = delete_app_after(config, _session(fake), _removed(exists=False))
    assert (result.app_deleted, failure, fake.calls) == (False, None, [])


def test_a_refused_deletion_is_the_failure_with_the_removal_as_its_data(config: Path) -> None:
    fake = FakeAdmin()
    fake.answer("delete_integration", duo_failure(403, 40301, "Access forbidden"))
    removed = _removed()
    result, failure = delete_app_after(config, _session(fake), removed)
    assert isinstance(failure, DuoctlError)
    assert failure.message.startswith("the provider was removed, but deleting the Duo")
    # Under --json the error envelope carries what was done: the provider is gone, the
    # application not.
    assert failure.data == removed.to_dict()
    assert failure.data["duo_application"]["deleted"] is False
    assert result == removed


def test_ctrl_c_during_the_deletion_says_the_provider_was_removed(config: Path) -> None:
    fake = FakeAdmin()
    fake.answer("delete_integration", KeyboardInterrupt())
    removed = _removed()
    result, failure = delete_app_after(config, _session(fake), removed)
    assert isinstance(failure, Interrupted)
    assert failure.exit_code == ExitCode.INTERRUPTED
    assert f"deleting the application 'PAM production' ({IKEY})" in failure.message
    assert failure.hint is not None
    assert failure.hint.startswith("the provider was removed")
    assert failure.data == removed.to_dict()
    assert result == removed


def test_a_created_provider_names_its_application_and_how_to_reveal_the_secret() -> None:
    view = ProviderView(PROD, True, warnings=("odd host",), store="the store", backend="keyring")
    created = ProviderCreated(*Created(view, IKEY, "PAM production", 12.4))
    assert created.to_dict() == {
        "changed": True,
        "provider": view.to_dict(),
        "duo_application": {"integration_key": IKEY, "name": "PAM production"},
        "health_check_ms": 12,
    }
    assert created.rows() == [
        (
            "created provider 'prod'; the platform's form also needs its Client Secret: "
            "duoctl provider secret reveal prod",
        )
    ]
    assert created.warnings == ("odd host",)
    assert created.remarks_first  # as before: the warning, then the outcome
