"""admin login/status/logout through the real console script, against the emulator's Admin
API over real TLS, with the real Secret Service; and every fault the brief names."""

from __future__ import annotations

import json
import socket
import threading
import tomllib
from collections.abc import Iterator

import pytest

from admin.conftest import Admin
from duoctl.admin import permissions
from duoctl.audit.log import audit_path
from duoctl.errors import ExitCode

pytestmark = pytest.mark.real_keyring


def test_login_then_status_reports_every_permission(admin: Admin) -> None:
    login = admin.login()
    assert login.code == 0, login.stderr
    assert "stored the Admin API credential" in login.stderr
    table = tomllib.loads(admin.config.read_text())["admin"]
    assert table["ikey"] == admin.emulator.admin_ikey
    assert table["host"] == admin.emulator.api_host
    status = admin.run("admin", "status", "--json")
    assert status.code == 0, status.stderr
    data = json.loads(status.stdout)["data"]
    assert data["credential"] == "accepted"
    assert data["missing"] == []
    assert set(data["permissions"]) >= {permissions.APPLICATIONS, permissions.READ_LOG}
    assert admin.emulator.admin_skey not in admin.outputs(login, status)


def test_logout_removes_the_credential(logged_in: Admin) -> None:
    out = logged_in.run("admin", "logout", "--yes")
    assert out.code == 0, out.stderr
    assert "and its secret key" in out.stderr
    assert not tomllib.loads(logged_in.config.read_text()).get("admin")
    last = json.loads(audit_path(logged_in.config).read_text().splitlines()[-1])
    assert last["command"] == "admin logout"
    assert last["targets"] == ["[admin]"]
    assert last["secrets"] == [{"provider": "Admin API", "action": "deleted", "target": "[admin]"}]
    status = logged_in.run("admin", "status")
    assert status.code == ExitCode.CONFIG
    assert "admin login" in status.stderr


def test_wrong_secret_key_exits_8_and_stores_nothing(admin: Admin) -> None:
    wrong = "W" * 40
    result = admin.login(wrong)
    assert result.code == ExitCode.DUO_CREDENTIALS, result.stderr
    assert "Invalid signature" in result.stderr, result.stderr
    assert not admin.config.exists() or "[admin]" not in admin.config.read_text()
    assert wrong not in admin.outputs(result)


def test_clock_skew_says_check_this_hosts_clock(logged_in: Admin) -> None:
    logged_in.emulator.faults.clock_skew = 3600.0
    result = logged_in.run("admin", "status")
    assert result.code == ExitCode.DUO_CREDENTIALS
    assert "check this host's clock" in result.stderr


def test_missing_permission_is_named_and_status_still_exits_0(logged_in: Admin) -> None:
    logged_in.emulator.admin_permissions.discard(permissions.APPLICATIONS)
    status = logged_in.run("admin", "status", "--json")
    assert status.code == 0, status.stderr
    data = json.loads(status.stdout)["data"]
    assert data["missing"] == [permissions.APPLICATIONS]
    assert "provider create" in data["disabled_commands"][permissions.APPLICATIONS]
    table = logged_in.run("admin", "status")
    assert table.code == 0
    (row,) = [line for line in table.stdout.splitlines() if permissions.APPLICATIONS in line]
    assert "MISSING" in row
    assert "provider create" in row
    create = logged_in.run("provider", "create", "prod")
    assert create.code == ExitCode.PERMISSION
    assert "'Grant applications'" in create.stderr


def test_rate_limit_is_retried_with_each_wait_said_then_a_clear_error(logged_in: Admin) -> None:
    logged_in.emulator.faults.rate_limit = 0  # Retry-After: 0, so the waits are duoctl's own
    before = len(logged_in.emulator.recent_requests(500))
    result = logged_in.run("admin", "status")
    assert result.code == ExitCode.DUO_UNREACHABLE
    waits = [line for line in result.stderr.splitlines() if "HTTP 429" in line]
    assert len(waits) == 3
    assert "rate limited" in result.stderr
    assert len(logged_in.emulator.recent_requests(500)) - before == 4


def test_unreachable_host_exits_7(admin: Admin) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = admin.run(
        "admin",
        "login",
        "--host",
        f"localhost:{port}",
        "--ikey",
        admin.emulator.admin_ikey,
        "--skey-stdin",
        input=admin.emulator.admin_skey + "\n",
    )
    assert result.code == ExitCode.DUO_UNREACHABLE, result.stderr
    assert "cannot connect" in result.stderr


@pytest.fixture
def stale_proxy() -> Iterator[tuple[str, list[object]]]:
    """A loopback listener standing in for a proxy: it records every connection it gets."""
    seen: list[object] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, addr = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            seen.append(addr)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", seen
    stop.set()
    thread.join(timeout=5)
    server.close()


def test_a_stale_proxy_variable_does_not_route_admin_calls(
    logged_in: Admin, stale_proxy: tuple[str, list[object]]
) -> None:
    url, seen = stale_proxy
    env = {**logged_in.env, "HTTPS_PROXY": url, "https_proxy": url, "ALL_PROXY": url}
    proxied = Admin(logged_in.emulator, logged_in.config, env)
    result = proxied.run("admin", "status")
    assert result.code == 0, result.stderr
    assert seen == []


def test_a_certificate_from_another_ca_is_a_tls_failure_exit_7(logged_in: Admin) -> None:
    logged_in.emulator.faults.wrong_ca = True
    result = logged_in.run("admin", "status")
    assert result.code == ExitCode.DUO_UNREACHABLE, result.stderr
    assert "TLS" in result.stderr
    assert "certificate could not be verified" in result.stderr


def test_status_of_a_key_duo_rejects_exits_8_with_a_json_error(admin: Admin) -> None:
    stored = admin.login("R" * 40, "--no-verify")  # stored unchecked, as asked
    assert stored.code == 0, stored.stderr
    result = admin.run("admin", "status", "--json")
    assert result.code == ExitCode.DUO_CREDENTIALS
    error = json.loads(result.stdout)
    assert error["command"] == "admin status"
    assert error["error"]["kind"] == "duo_credentials"
    assert error["error"]["exit_code"] == 8
