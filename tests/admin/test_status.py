"""admin status's probes against a fake Admin API: which permissions, and what they disable."""

from __future__ import annotations

import pytest

from admin.fakes import CREDENTIAL, FakeAdmin, duo_failure
from duoctl.admin import permissions
from duoctl.admin.session import AdminSession
from duoctl.admin.status import check
from duoctl.errors import DuoCredentialsRejected

FORBIDDEN = duo_failure(403, 40301, "Access forbidden")


def _session(fake: FakeAdmin) -> AdminSession:
    return AdminSession(fake, CREDENTIAL, notify=lambda _: None, sleep=lambda _: None)


def test_all_granted_when_every_probe_reads() -> None:
    fake = FakeAdmin()
    fake.answer("get_info_summary", {"user_count": 2})
    fake.answer("get_integration", duo_failure(404, 40401, "Resource not found"))
    fake.answer("get_users_by_name", [])
    fake.answer("get_authentication_log", {"authlogs": [], "metadata": {}})
    status = check(_session(fake))
    assert status.missing == []
    assert status.summary == {"user_count": 2}
    # Only reads: nothing that creates, changes or deletes.
    assert {call[0] for call in fake.calls} == {
        "get_info_summary",
        "get_integration",
        "get_users_by_name",
        "get_authentication_log",
    }


def test_missing_permissions_are_named_with_the_commands_they_disable() -> None:
    fake = FakeAdmin()
    fake.answer("get_info_summary", FORBIDDEN)
    fake.answer("get_integration", FORBIDDEN)
    fake.answer("get_users_by_name", [])
    fake.answer("get_authentication_log", FORBIDDEN)
    status = check(_session(fake))
    assert set(status.missing) == {
        permissions.READ_INFORMATION,
        permissions.APPLICATIONS,
        permissions.READ_LOG,
    }
    disabled = status.disabled_commands()
    assert "provider create" in disabled[permissions.APPLICATIONS]
    assert "logs" in disabled[permissions.READ_LOG]


def test_a_rejected_credential_raises() -> None:
    fake = FakeAdmin()
    fake.answer("get_info_summary", duo_failure(401, 40103, "Invalid signature"))
    with pytest.raises(DuoCredentialsRejected):
        check(_session(fake))
