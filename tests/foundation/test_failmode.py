"""Failmode (issue 15, row 7): what the platform does with logins while Duo cannot be
reached. Set beside external MFA, asked for by 'mfa enable' when unset (never guessed),
shown by 'mfa status', audited like every change, and checked by doctor (open warns with
its consequence). Everything through the installed console script; the question at a
terminal is in test_cli.py (test_mfa_enable_confirmed_at_the_prompt)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from duoctl.audit.log import audit_path
from duoctl.errors import ExitCode
from foundation.helpers import run_duoctl, run_probed

OPEN_CONSEQUENCE = "users log in with their password alone, without a second factor"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config with one enabled provider and external MFA off (no secret needed)."""
    path = tmp_path / "cfg" / "config.toml"
    path.parent.mkdir(mode=0o700)
    path.write_text(
        "schema_version = 1\n\n[external_mfa]\nenabled = false\n\n[providers.prod]\n"
        'endpoint = "api-1234abcd.duosecurity.com"\nclient_id = "DIABCDEFGHIJKLMNOPQR"\n'
    )
    path.chmod(0o600)
    return path


def _external_mfa(config: Path) -> dict[str, object]:
    table: dict[str, object] = tomllib.loads(config.read_text())["external_mfa"]
    return table


def test_a_script_without_failmode_is_refused_not_guessed(config: Path) -> None:
    before = config.read_bytes()
    result = run_duoctl(["mfa", "enable", "--yes"], config=config)
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert "external MFA needs a failmode, and standard input is not a terminal" in result.stderr
    assert "--failmode closed" in result.stderr
    assert config.read_bytes() == before


def test_the_flag_sets_it_in_the_same_edit_and_status_shows_it(config: Path) -> None:
    enabled = run_duoctl(["mfa", "enable", "--yes", "--failmode", "open"], config=config)
    assert enabled.returncode == 0, enabled.stderr
    assert f"warning: failmode is open: while Duo cannot be reached, {OPEN_CONSEQUENCE}" in (
        " ".join(enabled.stderr.split())
    )
    assert _external_mfa(config) == {"enabled": True, "failmode": "open"}

    status = run_duoctl(["mfa", "status", "--json"], config=config)
    data = json.loads(status.stdout)["data"]
    assert data["failmode"] == "open"
    assert any(OPEN_CONSEQUENCE in w for w in data["warnings"])
    text = run_duoctl(["mfa", "status"], config=config)
    assert "failmode: open" in text.stdout


def test_a_bad_failmode_is_invalid_input(config: Path) -> None:
    result = run_duoctl(["mfa", "enable", "--yes", "--failmode", "maybe"], config=config)
    assert result.returncode == ExitCode.INVALID_INPUT
    assert "failmode must be closed or open, not 'maybe'" in result.stderr
    assert _external_mfa(config) == {"enabled": False}


def test_failmode_command_sets_and_audits_it(config: Path) -> None:
    assert run_duoctl(["mfa", "failmode"], config=config).stdout == "failmode: not set\n"
    refused = run_duoctl(["mfa", "failmode", "open"], config=config)
    assert refused.returncode == ExitCode.USAGE  # open asks first; no terminal, no --yes
    assert "failmode" not in _external_mfa(config)

    changed = run_duoctl(["mfa", "failmode", "open", "--yes"], config=config)
    assert changed.returncode == 0, changed.stderr
    assert _external_mfa(config) == {"enabled": False, "failmode": "open"}
    records = [json.loads(line) for line in audit_path(config).read_text().splitlines()]
    assert [r["command"] for r in records] == ["mfa failmode"]
    assert records[0]["changes"] == [
        {"field": "external_mfa.failmode", "before": None, "after": "open"}
    ]


def test_doctor_warns_on_open_naming_the_consequence(config: Path) -> None:
    assert run_duoctl(["mfa", "failmode", "open", "--yes"], config=config).returncode == 0
    report = run_duoctl(["doctor", "--json", "--expect-mfa-disabled"], config=config)
    checks = {c["id"]: c for c in json.loads(report.stdout)["data"]["checks"]}
    assert checks["mfa.failmode"]["status"] == "warn"
    assert OPEN_CONSEQUENCE in checks["mfa.failmode"]["detail"]
    assert checks["mfa.failmode"]["fix"].endswith("duoctl mfa failmode closed")


# ---- unset while external MFA is on: a hand-written config, or one from before failmode ----


def _mfa_on_without_failmode(config: Path) -> Path:
    config.write_text(config.read_text().replace("enabled = false", "enabled = true", 1))
    assert _external_mfa(config) == {"enabled": True}
    return config


def test_doctor_warns_that_an_unset_failmode_is_undecided(config: Path) -> None:
    report = run_duoctl(["doctor", "--json"], config=_mfa_on_without_failmode(config))
    failmode = {c["id"]: c for c in json.loads(report.stdout)["data"]["checks"]}["mfa.failmode"]
    assert failmode["status"] == "warn", failmode
    assert failmode["detail"] == "not set: what logins do while Duo cannot be reached is undecided"
    assert failmode["fix"].startswith("duoctl mfa failmode closed")


def test_mfa_status_says_an_unset_failmode_and_how_to_set_it(config: Path) -> None:
    status = run_duoctl(["mfa", "status", "--json"], config=_mfa_on_without_failmode(config))
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)["data"]
    assert data["failmode"] is None
    assert any(
        "failmode is not set" in w and "'duoctl mfa failmode closed' or 'open'" in w
        for w in data["warnings"]
    ), data["warnings"]


def test_with_mfa_off_an_unset_failmode_is_no_warning(config: Path) -> None:
    # The control: the warning is about MFA on without a choice, not the key's absence.
    report = run_duoctl(["doctor", "--json", "--expect-mfa-disabled"], config=config)
    failmode = {c["id"]: c for c in json.loads(report.stdout)["data"]["checks"]}["mfa.failmode"]
    assert failmode["status"] != "warn", failmode


def test_in_pipes_enable_and_failmode_write_plain_lines_without_rich(config: Path) -> None:
    enabled = run_probed(["mfa", "enable", "--yes", "--failmode", "closed"], config=config)
    assert enabled.code == 0, enabled.stderr
    assert enabled.stderr.startswith("CAUTION: Enabling external MFA relaxes")
    shown = run_probed(["mfa", "failmode"], config=config)
    assert shown.code == 0, shown.stderr
    assert shown.stdout == (
        "failmode: closed: while Duo cannot be reached, nobody can log in (users are locked out)\n"
    )
    for run in (enabled, shown):
        assert "rich.console" not in run.modules
        assert "\x1b" not in run.stdout + run.stderr
