"""Support's view of Duo's decisions through the console script, against the emulator's
Admin API: `user show` for each status, `logs` after approve, deny and timeout (their txids
and reasons as the emulator decided them), and `test-login --explain`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from admin.conftest import Admin
from duoctl.admin import permissions
from duoctl.emulator import EmulatedUser, Emulator, Outcome
from duoctl.emulator.server import SeenRequest
from duoctl.emulator.users import Phone
from duoctl.errors import ExitCode
from testlogin.conftest import add_provider_via_cli

pytestmark = pytest.mark.real_keyring

LANDLINE = Phone(number="+15555550000", platform="Generic Smartphone", capabilities=("phone",))
USERS = [
    EmulatedUser("alice", Outcome.APPROVE, groups=("PAM admins",), last_login=1_790_000_000),
    EmulatedUser("dan", Outcome.DENY),
    EmulatedUser("tim", Outcome.TIMEOUT),
    EmulatedUser("bea", status="bypass"),
    EmulatedUser("dis", status="disabled"),
    EmulatedUser("lou", status="locked out"),
    EmulatedUser("nora", is_enrolled=False, phones=()),
    EmulatedUser("phil", phones=(LANDLINE,)),
]


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    # Overrides admin/conftest.py's: these users, a TIMEOUT decided at once, and the
    # authentication log served without Duo's two-minute delay (a test cannot wait it).
    with Emulator(USERS, state_dir=tmp_path / "emulator", push_timeout=0, authlog_delay=0) as emu:
        yield emu


@pytest.fixture
def with_provider(logged_in: Admin) -> Admin:
    created = logged_in.run("provider", "create", "prod", "--duo-name", "PAM production")
    assert created.code == 0, created.stderr
    return logged_in


def _json(out: str) -> Any:
    return json.loads(out)["data"]


# -- user show ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "finding"),
    [
        ("bea", "bypass", "WITHOUT a second factor"),
        ("dis", "disabled", "Duo denies every login"),
        ("lou", "locked out", "until an administrator unlocks"),
    ],
)
def test_user_show_names_each_status_and_what_it_does(
    logged_in: Admin, name: str, status: str, finding: str
) -> None:
    shown = logged_in.run("user", "show", name)
    assert shown.code == 0, shown.stderr
    assert status in shown.stdout
    assert finding in shown.stderr
    data = _json(logged_in.run("user", "show", name, "--json").stdout)
    assert (data["exists"], data["status"]) == (True, status)
    assert any(finding in f for f in data["findings"])


def test_user_show_of_an_active_user_with_push(logged_in: Admin) -> None:
    # Looked up in another case: Duo's lookup is not case-sensitive.
    shown = logged_in.run("user", "show", "ALICE", "--json")
    assert shown.code == 0, shown.stderr
    data = _json(shown.stdout)
    assert data["exists"] is True
    assert data["duo_username"] == "alice"
    assert data["status"] == "active"
    assert data["enrolled"] is True
    assert data["groups"] == ["PAM admins"]
    assert data["last_login"] == "2026-09-21T14:13:20+00:00"
    [phone] = data["phones"]
    assert (phone["platform"], phone["push_capable"]) == ("Apple iOS", True)
    assert data["findings"] == []
    text = logged_in.run("user", "show", "alice")
    assert "Apple iOS" in text.stdout
    assert "PAM admins" in text.stdout


def test_user_show_says_when_no_phone_can_take_a_push(logged_in: Admin) -> None:
    shown = logged_in.run("user", "show", "phil", "--json")
    data = _json(shown.stdout)
    assert [p["push_capable"] for p in data["phones"]] == [False]
    assert any("no phone can receive a push" in f for f in data["findings"])
    # The findings are the result's warnings: said on stderr for whoever runs the script.
    assert "warning: no phone can receive a push" in shown.stderr


def test_user_show_of_an_unenrolled_user(logged_in: Admin) -> None:
    data = _json(logged_in.run("user", "show", "nora", "--json").stdout)
    assert (data["enrolled"], data["phones"]) == (False, [])
    assert any(f.startswith("not enrolled") for f in data["findings"])


def test_user_show_of_an_unknown_user_exits_0_and_says_so(logged_in: Admin) -> None:
    shown = logged_in.run("user", "show", "nobody-here")
    assert shown.code == 0, shown.stderr
    assert "Duo has no user 'nobody-here'" in shown.stderr
    assert "New User Policy" in shown.stderr
    assert _json(logged_in.run("user", "show", "nobody-here", "--json").stdout)["exists"] is False


def test_user_show_without_read_resource_names_the_permission(logged_in: Admin) -> None:
    logged_in.emulator.admin_permissions.discard("Grant read resource")
    shown = logged_in.run("user", "show", "alice")
    assert shown.code == ExitCode.PERMISSION, shown.stderr
    assert "Grant read resource" in shown.stderr


# -- logs -----------------------------------------------------------------------------------


def _login(admin: Admin, user: str, *extra: str) -> Any:
    return admin.run(
        "test-login", "prod", "--username", user, "--browser", "follow", "--timeout", "5", *extra
    )


def _decisions(emu: Emulator) -> dict[str, tuple[str, str, str]]:
    """user -> (txid, result, reason) as the emulator decided each authorize."""
    return {
        r.decision.user: (r.decision.txid, r.decision.result, r.decision.reason)
        for r in emu.recent_requests()
        if r.decision is not None
    }


def test_logs_after_approve_deny_and_timeout_show_each_txid_and_reason(
    with_provider: Admin,
) -> None:
    assert _login(with_provider, "alice").code == 0
    assert _login(with_provider, "dan").code == ExitCode.DUO_DENIED
    assert _login(with_provider, "tim").code == ExitCode.TIMEOUT
    decided = _decisions(with_provider.emulator)
    assert {u: d[1:] for u, d in decided.items()} == {
        "alice": ("success", "user_approved"),
        "dan": ("denied", "user_cancelled"),
        "tim": ("denied", "no_response"),
    }

    listed = with_provider.run("logs", "--since", "10m", "--json")
    assert listed.code == 0, listed.stderr
    data = _json(listed.stdout)
    assert data["complete"] is True
    got = {a["user"]: (a["txid"], a["result"], a["reason"]) for a in data["attempts"]}
    assert got == decided
    # Newest first, as Duo sorts them.
    assert [a["user"] for a in data["attempts"]] == ["tim", "dan", "alice"]
    assert all(a["factor"] and a["access_device_ip"] == "127.0.0.1" for a in data["attempts"])

    table = with_provider.run("logs", "--since", "10m")
    assert table.code == 0, table.stderr
    for txid, result, reason in decided.values():
        line = next(row for row in table.stdout.splitlines() if txid in row)
        assert result in line
        assert reason in line


def test_logs_filter_by_user_in_any_case_and_by_provider(with_provider: Admin) -> None:
    assert _login(with_provider, "alice").code == 0
    assert _login(with_provider, "dan").code == ExitCode.DUO_DENIED
    only = _json(with_provider.run("logs", "--user", "DAN", "--json").stdout)["attempts"]
    assert [a["user"] for a in only] == ["dan"]
    by_provider = _json(with_provider.run("logs", "--provider", "prod", "--json").stdout)
    assert {a["user"] for a in by_provider["attempts"]} == {"alice", "dan"}
    # The emulator's own application had no logins: filtering by it shows none.
    add_provider_via_cli(with_provider.emulator, with_provider.config, "other")
    other = _json(with_provider.run("logs", "--provider", "other", "--json").stdout)
    assert other["attempts"] == []


def test_logs_limit_stops_short_and_says_so(with_provider: Admin) -> None:
    for _ in range(3):
        assert _login(with_provider, "alice").code == 0
    listed = with_provider.run("logs", "--limit", "2")
    assert listed.code == 0, listed.stderr
    assert "showing the newest 2: stopped at the limit of 2" in listed.stderr
    data = _json(with_provider.run("logs", "--limit", "2", "--json").stdout)
    assert (len(data["attempts"]), data["complete"]) == (2, False)


def test_logs_for_an_unknown_user_shows_none(with_provider: Admin) -> None:
    listed = with_provider.run("logs", "--user", "nobody-here")
    assert listed.code == 0, listed.stderr
    assert "Duo has no user 'nobody-here'" in listed.stderr


@pytest.mark.parametrize("since", ["yesterday", "181d", "-5m"])
def test_logs_refuses_a_bad_since(logged_in: Admin, since: str) -> None:
    listed = logged_in.run("logs", "--since", since)
    assert listed.code == ExitCode.INVALID_INPUT, listed.stderr
    assert "--since" in listed.stderr


def test_logs_without_read_log_names_the_permission(with_provider: Admin) -> None:
    with_provider.emulator.admin_permissions.discard("Grant read log")
    listed = with_provider.run("logs")
    assert listed.code == ExitCode.PERMISSION, listed.stderr
    assert "Grant read log" in listed.stderr


# -- test-login --explain -------------------------------------------------------------------


def test_explain_after_a_deny_shows_dans_reason(with_provider: Admin) -> None:
    login = _login(with_provider, "dan", "--explain")
    assert login.code == ExitCode.DUO_DENIED, login.stderr
    txid = _decisions(with_provider.emulator)["dan"][0]
    assert "Duo's record (matched by txid): denied, reason user_cancelled" in login.stderr
    assert "the user denied the push" in login.stderr
    assert txid in login.stderr


def test_explain_after_a_redirect_with_access_denied(with_provider: Admin) -> None:
    # A locked-out user is sent back with error=access_denied: no token, so no txid.
    login = _login(with_provider, "lou", "--explain")
    assert login.code == ExitCode.DUO_DENIED, login.stderr
    assert "Duo's record (matched by user and time): denied, reason locked_out" in login.stderr
    assert _decisions(with_provider.emulator)["lou"][0] in login.stderr


def test_explain_after_a_timeout_in_json(with_provider: Admin) -> None:
    login = _login(with_provider, "tim", "--explain", "--json")
    assert login.code == ExitCode.TIMEOUT, login.stderr
    envelope = json.loads(login.stdout)
    explanation = envelope["data"]["explanation"]
    assert (explanation["found"], explanation["matched_by"]) == (True, "user and time")
    record = explanation["record"]
    assert (record["user"], record["result"], record["reason"]) == ("tim", "denied", "no_response")
    assert record["txid"] == _decisions(with_provider.emulator)["tim"][0]
    assert envelope["error"]["exit_code"] == ExitCode.TIMEOUT


def test_explain_needs_the_admin_credential_before_the_login(admin: Admin) -> None:
    emu = admin.emulator
    add_provider_via_cli(emu, admin.config, "prod")
    login = _login(admin, "dan", "--explain")
    assert login.code == ExitCode.CONFIG, login.stderr
    assert "duoctl admin login" in login.stderr
    # Refused before the login began: Duo saw no authorize.
    assert _decisions(emu) == {}


def test_explain_gives_up_after_its_wait_and_says_where_to_look(
    with_provider: Admin,
) -> None:
    # The record is not in the log yet (Duo's real delay): explain waits, then says so.
    with_provider.emulator.authlog_delay = 120
    login = _login(with_provider, "dan", "--explain", "--explain-wait", "0")
    assert login.code == ExitCode.DUO_DENIED, login.stderr
    assert "has no record of this login for 'dan' yet" in login.stderr
    assert "duoctl logs --user dan" in login.stderr


def test_explain_without_read_log_refuses_before_the_login(with_provider: Admin) -> None:
    # The operator learns the credential cannot explain anything before a push is sent.
    with_provider.emulator.admin_permissions.discard(permissions.READ_LOG)
    login = _login(with_provider, "dan", "--explain")
    assert login.code == ExitCode.PERMISSION, login.stderr
    assert "'Grant read log'" in login.stderr
    assert _decisions(with_provider.emulator) == {}


def test_explain_that_cannot_read_the_log_keeps_the_logins_exit_code(
    with_provider: Admin,
) -> None:
    # README: "The exit code stays the login's (6 or 9)". The grant is taken away once the
    # preflight passed, when Duo decides the login: the lookup after it fails with 14, and
    # that must not replace Duo's deny.
    emu = with_provider.emulator

    def revoke_on_decision(seen: SeenRequest) -> None:
        if seen.decision is not None:
            emu.admin_permissions.discard(permissions.READ_LOG)

    emu._on_request = revoke_on_decision
    login = _login(with_provider, "dan", "--explain", "--json")
    assert login.code == ExitCode.DUO_DENIED, login.stderr
    envelope = json.loads(login.stdout)
    assert envelope["error"]["exit_code"] == ExitCode.DUO_DENIED
    assert envelope["data"]["explanation"]["found"] is False
    assert envelope["data"]["explanation"]["error"]["exit_code"] == ExitCode.PERMISSION
    said = " ".join(login.stderr.split())
    assert "--explain could not read Duo's record:" in said
    assert "'Grant read log'" in said


def test_explain_found_drops_the_hint_to_go_and_look(with_provider: Admin) -> None:
    login = _login(with_provider, "dan", "--explain")
    assert login.code == ExitCode.DUO_DENIED, login.stderr
    assert "Duo's record (matched by txid)" in login.stderr
    assert "see the Duo Admin Panel's authentication log" not in login.stderr
    plain = _login(with_provider, "dan")
    assert "see the Duo Admin Panel's authentication log" in plain.stderr


@pytest.mark.parametrize("args", [["user", "show", ""], ["logs", "--user", " "]], ids=" ".join)
def test_an_empty_username_is_refused_before_asking_duo(logged_in: Admin, args: list[str]) -> None:
    # `duoctl user show "$NAME"` with NAME unset must not show whichever user Duo lists first.
    before = len(logged_in.emulator.recent_requests(500))
    result = logged_in.run(*args)
    assert result.code == ExitCode.INVALID_INPUT, result.stderr
    assert "error: the username is empty" in result.stderr
    assert len(logged_in.emulator.recent_requests(500)) == before
