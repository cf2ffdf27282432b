"""AdminSession with the real duo_client against the emulator over TLS, in process: the
typed calls the support commands build on (user lookup, the authentication log's paging)."""

from __future__ import annotations

import time

import pytest

from admin.conftest import Admin
from duoctl.admin.session import AdminSession, session_for
from duoctl.config.model import AdminCredential

pytestmark = pytest.mark.real_keyring


def _session(admin: Admin) -> AdminSession:
    emu = admin.emulator
    credential = AdminCredential(emu.api_host, emu.admin_ikey, str(emu.ca_bundle))
    return session_for(credential, emu.admin_skey, notify=lambda _: None)


def test_users_by_name_and_the_authentication_log_pages(logged_in: Admin) -> None:
    logged_in.emulator.authlog_delay = 0  # the log serves records at once, not after 2 min
    assert logged_in.run("provider", "create", "prod").code == 0
    start_ms = int(time.time() * 1000) - 1000
    for _ in range(2):
        login = logged_in.run("test-login", "prod", "--username", "alice", "--browser", "follow")
        assert login.code == 0, login.stderr
    session = _session(logged_in)
    (alice,) = session.users_by_name("ALICE")
    assert alice["username"] == "alice"
    assert session.users_by_name("nobody") == []
    window = {"mintime_ms": start_ms, "maxtime_ms": int(time.time() * 1000) + 1000}
    first = session.authentication_log(limit=1, **window)
    assert len(first["authlogs"]) == 1
    offset = first["metadata"]["next_offset"]
    assert offset
    second = session.authentication_log(limit=1, next_offset=offset, **window)
    assert len(second["authlogs"]) == 1
    assert second["authlogs"][0]["txid"] != first["authlogs"][0]["txid"]
    assert {e["user"]["name"] for e in first["authlogs"] + second["authlogs"]} == {"alice"}
