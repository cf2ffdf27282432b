"""The audit trail through the console script: one record per change, its fields, the
chain check, failures recorded with their kind, and tampering named at the record."""

from __future__ import annotations

import datetime
import itertools
import json
import os
import socket
import stat
from pathlib import Path
from typing import Any

from duoctl.audit.log import audit_path
from duoctl.audit.record import config_digest
from foundation.helpers import run_duoctl


def _records(config: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in audit_path(config).read_text().splitlines()]


def _ok(config: Path, *args: str) -> None:
    result = run_duoctl(list(args), config=config)
    assert result.returncode == 0, result.stderr


def test_each_change_appends_one_record_with_who_what_when(config_path: Path) -> None:
    _ok(config_path, "provider", "disable", "p1")
    _ok(config_path, "platform", "url", "set", "https://pam.example.com")
    _ok(config_path, "mfa", "enable", "--yes", "--failmode", "closed")
    _ok(config_path, "mfa", "status")  # reads: no record
    _ok(config_path, "provider", "disable", "p1")  # nothing changed: no record
    _ok(config_path, "platform", "url", "unset")
    _ok(config_path, "mfa", "disable", "--yes")
    _ok(config_path, "provider", "enable", "p1")

    records = _records(config_path)
    assert [r["command"] for r in records] == [
        "provider disable",
        "platform url set",
        "mfa enable",
        "platform url unset",
        "mfa disable",
        "provider enable",
    ]
    assert [r["seq"] for r in records] == list(range(1, 7))
    first = records[0]
    assert first["changes"] == [{"field": "providers.p1.enabled", "before": True, "after": False}]
    assert first["targets"] == ["provider p1"]
    assert first["result"] == "ok"
    when = datetime.datetime.fromisoformat(first["time"].replace("Z", "+00:00"))
    assert first["time"].endswith("Z")
    assert abs((datetime.datetime.now(datetime.UTC) - when).total_seconds()) < 120
    assert first["user"]
    assert first["host"] == socket.gethostname()
    assert isinstance(first["pid"], int)
    assert first["pid"] != os.getpid()
    assert records[1]["changes"] == [
        {"field": "platform.url", "before": None, "after": "https://pam.example.com"}
    ]
    # Each record follows the previous one, and the last matches the file as it is.
    for before, after in itertools.pairwise(records):
        assert after["prev"] == before["hash"]
        assert after["config_before"] == before["config_after"]
    assert records[-1]["config_after"] == config_digest(config_path.read_text())
    assert stat.S_IMODE(audit_path(config_path).stat().st_mode) == 0o600


def test_sudo_user_is_recorded(config_path: Path) -> None:
    result = run_duoctl(
        ["provider", "disable", "p2"], config=config_path, env={"SUDO_USER": "alice"}
    )
    assert result.returncode == 0, result.stderr
    assert _records(config_path)[-1]["sudo_user"] == "alice"


def test_a_refused_change_is_recorded_with_its_error_kind(config_path: Path) -> None:
    assert (
        run_duoctl(
            ["provider", "edit", "ghost", "--endpoint", "x.example.com"], config=config_path
        ).returncode
        == 4
    )
    _ok(config_path, "mfa", "enable", "--yes", "--failmode", "closed")
    for name in ("p0", "p1"):
        _ok(config_path, "provider", "disable", name)
    refused = run_duoctl(["provider", "disable", "p2"], config=config_path)
    assert refused.returncode == 13, refused.stderr
    records = _records(config_path)
    assert records[0]["command"] == "provider edit"
    assert records[0]["result"] == "provider_not_found"
    assert records[0]["targets"] == ["provider ghost"]
    assert records[0]["changes"] == []
    assert records[-1]["result"] == "lockout"
    assert records[-1]["targets"] == ["provider p2"]
    # A refusal changes nothing: its before and after are the same file.
    assert records[-1]["config_before"] == records[-1]["config_after"]


def test_show_filters_by_provider_and_time(config_path: Path) -> None:
    _ok(config_path, "provider", "disable", "p1")
    _ok(config_path, "provider", "disable", "p2")
    _ok(config_path, "mfa", "enable", "--yes", "--failmode", "closed")
    shown = run_duoctl(["audit", "--provider", "p2", "--json"], config=config_path)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)["data"]
    assert [r["targets"] for r in data["records"]] == [["provider p2"]]
    assert data["records"][0]["status"] == "ok"
    text = run_duoctl(["audit", "--since", "1h"], config=config_path)
    assert text.returncode == 0
    assert "provider disable" in text.stdout
    assert "mfa enable" in text.stdout
    assert "providers.p1.enabled: True -> False" in text.stdout
    future = run_duoctl(["audit", "--since", "2999-01-01T00:00:00Z", "--json"], config=config_path)
    assert json.loads(future.stdout)["data"]["records"] == []
    bad = run_duoctl(["audit", "--since", "yesterday"], config=config_path)
    assert bad.returncode == 3
    assert "--since 'yesterday' is neither a duration nor a date-time" in bad.stderr


def _three_records(config: Path) -> list[str]:
    for name in ("p0", "p1", "p2"):
        _ok(config, "provider", "disable", name)
    verified = run_duoctl(["audit", "verify"], config=config)
    assert verified.returncode == 0, verified.stderr
    assert "intact: 3 record(s)" in verified.stdout
    return audit_path(config).read_text().splitlines(keepends=True)


def test_editing_a_record_fails_verify_at_that_record(config_path: Path) -> None:
    lines = _three_records(config_path)
    lines[1] = lines[1].replace('"after":false', '"after":true')
    audit_path(config_path).write_text("".join(lines))
    result = run_duoctl(["audit", "verify", "--json"], config=config_path)
    assert result.returncode == 10
    assert "broken at record 2" in result.stderr
    assert json.loads(result.stdout)["data"]["broken_at"] == 2


def test_deleting_a_record_fails_verify_at_that_record(config_path: Path) -> None:
    lines = _three_records(config_path)
    del lines[1]
    audit_path(config_path).write_text("".join(lines))
    result = run_duoctl(["audit", "verify"], config=config_path)
    assert result.returncode == 10
    assert "broken at record 2" in result.stderr
    assert "deleted" in result.stderr


def test_a_rehashed_edit_still_breaks_the_next_link(config_path: Path) -> None:
    from duoctl.audit.log import _canonical, record_hash

    lines = _three_records(config_path)
    forged = json.loads(lines[0])
    forged["user"] = "somebody-else"
    forged["hash"] = record_hash(forged)
    lines[0] = _canonical(forged).decode() + "\n"
    audit_path(config_path).write_text("".join(lines))
    result = run_duoctl(["audit", "verify"], config=config_path)
    assert result.returncode == 10
    assert "broken at record 2" in result.stderr


def test_syslog_receives_each_record(config_path: Path, tmp_path: Path) -> None:
    receiver_path = tmp_path / "log.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver:
        receiver.bind(str(receiver_path))
        receiver.settimeout(10)
        text = config_path.read_text().replace(
            "[external_mfa]",
            f'[audit]\nsyslog = true\nsyslog_socket = "{receiver_path}"\n\n[external_mfa]',
        )
        config_path.write_text(text)
        _ok(config_path, "provider", "disable", "p1")
        message = receiver.recv(65536).decode()
    assert message.startswith("<85>1 ")
    assert " duoctl " in message
    forwarded = json.loads(message[message.index("{") :])
    assert forwarded == _records(config_path)[-1]


def test_a_missing_syslog_receiver_costs_a_warning_not_the_change(
    config_path: Path, tmp_path: Path
) -> None:
    gone = tmp_path / "nobody.sock"
    text = config_path.read_text().replace(
        "[external_mfa]", f'[audit]\nsyslog = true\nsyslog_socket = "{gone}"\n\n[external_mfa]'
    )
    config_path.write_text(text)
    result = run_duoctl(["provider", "disable", "p1"], config=config_path)
    assert result.returncode == 0
    assert "not forwarded to syslog" in result.stderr
    assert len(_records(config_path)) == 1


def test_unknown_audit_key_is_a_config_error(config_path: Path) -> None:
    config_path.write_text(config_path.read_text() + "\n[audit]\nsyslg = true\n")
    result = run_duoctl(["provider", "list"], config=config_path)
    assert result.returncode == 4
    assert "audit.syslg is not a known key (did you mean 'syslog'?)" in result.stderr
