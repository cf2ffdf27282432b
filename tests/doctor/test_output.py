"""doctor through the console script: plain text in a pipe, a fitted table at a terminal,
titles in its fixes, one failure for a locked keyring, and MFA off on purpose."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from duoctl.emulator import Emulator
from foundation.helpers import run_duoctl
from support.terminal import run_at_terminal, split_mid_word

from .conftest import emulator_provider, write_config

LOCKED = "support.keyring_backends.LockedKeyring"
PLAINTEXT = "support.keyring_backends.PlaintextFileKeyring"
BOX = set("\u2500\u2501\u2502\u2503\u2547")


def _plaintext_env(tmp_path: Path) -> dict[str, str]:
    # A keyring every environment has (a file), so these runs do not depend on a desktop
    # one; its "plain text" warning is all it adds to the report.
    return {
        "DUOCTL_TEST_KEYRING_FILE": str(tmp_path / "keyring.json"),
        "DUOCTL_ALLOW_PLAINTEXT_KEYRING": "1",
    }


def _doctor_json(config: Path, *args: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    result = run_duoctl(["doctor", "--json", *args], config=config, **kwargs)
    return result.returncode, json.loads(result.stdout)


def _checks(payload: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(c["scope"], c["id"]): c for c in payload["data"]["checks"]}


@pytest.fixture
def long_config(tmp_path: Path) -> Path:
    """A readable-by-all config (a warning whose detail and fix quote its long path)."""
    path = tmp_path / "a-rather-long-directory-name-for-configs" / "duoctl-staging" / "cfg.toml"
    path.parent.mkdir(parents=True)
    return write_config(path, {}, mfa=False, mode=0o644)


def test_a_pipe_gets_plain_unpadded_lines(long_config: Path, tmp_path: Path) -> None:
    result = run_duoctl(
        ["doctor", "--expect-mfa-disabled"],
        config=long_config,
        keyring_backend=PLAINTEXT,
        env={**_plaintext_env(tmp_path), "COLUMNS": "80"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "This machine"
    assert [line for line in lines if line != line.rstrip()] == []
    assert BOX.isdisjoint(result.stdout)
    assert "\x1b" not in result.stdout
    # No wrapping either (COLUMNS is for terminals): the fix quoting the path is one line.
    assert f"fix: chmod 600 {long_config}" in result.stdout
    row = next(line for line in lines if "Config permissions" in line)
    assert row.split()[2] == "WARN"


@pytest.mark.parametrize("columns", [80, 100])
def test_at_a_terminal_the_tables_fit_and_paths_break_after_a_slash(
    long_config: Path, tmp_path: Path, columns: int
) -> None:
    code, lines, stderr = run_at_terminal(
        ["doctor", "--expect-mfa-disabled"],
        columns,
        long_config,
        env={"PYTHON_KEYRING_BACKEND": PLAINTEXT, **_plaintext_env(tmp_path)},
    )
    assert code == 0, stderr
    assert max(len(line) for line in lines) <= columns
    assert any("Config permissions" in line and "WARN" in line for line in lines)
    tokens = [t for line in lines for t in line.split() if not BOX.intersection(t)]
    assert split_mid_word(tokens, [str(long_config)]) == []
    # The path is all there, in pieces cut after a slash.
    assert str(long_config).replace("/", "") in "".join(tokens).replace("/", "")


def test_fixes_name_the_check_as_the_table_shows_it(config_path: Path) -> None:
    config_path.write_text("schema_version = 1\n[external_mfa\n")
    config_path.chmod(0o600)
    result = run_duoctl(["doctor"], config=config_path, keyring_backend=LOCKED)
    assert result.returncode == 10
    assert "fix: fix 'Config syntax' first" in result.stdout
    assert "config.parse" not in result.stdout
    # The closing error line too: titles, not ids.
    assert "error: doctor: 1 check(s) failed: Config syntax\n" in result.stderr
    code, payload = _doctor_json(config_path, keyring_backend=LOCKED)
    assert code == 10
    valid = _checks(payload)[("global", "config.valid")]
    assert (valid["status"], valid["fix"]) == ("skipped", "fix 'Config syntax' first")


def test_a_locked_keyring_is_one_failure_and_its_dependants_are_skipped(
    config_path: Path, emu: Emulator
) -> None:
    write_config(config_path, {"a": emulator_provider(emu), "b": emulator_provider(emu)})
    code, payload = _doctor_json(config_path, keyring_backend=LOCKED)
    assert code == 10
    failed = [c for c in payload["data"]["checks"] if c["status"] == "fail"]
    assert [(c["scope"], c["id"]) for c in failed] == [("global", "secrets.backend")]
    assert "locked" in failed[0]["detail"]
    assert "unlock" in failed[0]["fix"]
    checks = _checks(payload)
    for name in ("a", "b"):
        secret = checks[(f"provider:{name}", "secret")]
        assert secret["status"] == "skipped"
        assert secret["fix"] == "fix 'Secret store' first"
        assert secret["data"] == {"needs": "secrets.backend"}
        assert checks[(f"provider:{name}", "tls")]["status"] == "ok"  # the rest still ran
    assert checks[("global", "secrets.orphans")]["status"] == "skipped"
    assert payload["error"]["message"] == "doctor: 1 check(s) failed: Secret store"


def test_external_mfa_off_on_purpose(config_path: Path, tmp_path: Path) -> None:
    write_config(config_path, {}, mfa=False)
    env = _plaintext_env(tmp_path)
    # Without the flag: off is a failure (and so is having no provider), the fix names it.
    code, payload = _doctor_json(config_path, keyring_backend=PLAINTEXT, env=env)
    assert code == 10
    mfa = _checks(payload)[("global", "mfa.enabled")]
    assert mfa["status"] == "fail"
    assert "--expect-mfa-disabled" in mfa["fix"]
    # With it: both are fine, and doctor passes.
    code, payload = _doctor_json(
        config_path, "--expect-mfa-disabled", keyring_backend=PLAINTEXT, env=env
    )
    assert code == 0, payload
    checks = _checks(payload)
    assert checks[("global", "mfa.enabled")]["status"] == "ok"
    assert "as expected" in checks[("global", "mfa.enabled")]["detail"]
    assert checks[("global", "mfa.providers")]["status"] == "ok"


def test_external_mfa_on_when_expected_off_warns(config_path: Path, emu: Emulator) -> None:
    write_config(config_path, {"prod": emulator_provider(emu)}, mfa=True)
    result = run_duoctl(
        ["doctor", "--expect-mfa-disabled", "--strict", "prod"],
        config=config_path,
        keyring_backend=LOCKED,
    )
    row = next(line for line in result.stdout.splitlines() if "External MFA" in line)
    assert row.split()[3] == "WARN"
    assert "External MFA parameter" in result.stderr  # --strict: the warning counts


def test_an_unknown_subcommand_suggests_once() -> None:
    result = run_duoctl(["provider", "lst"])
    assert result.returncode == 2
    assert result.stderr.count("Did you mean 'list'?") == 1
    result = run_duoctl(["provider", "lst", "--json"])
    assert result.returncode == 2
    message = json.loads(result.stdout)["error"]["message"]
    assert message == "No such command 'lst'. Did you mean 'list'?"
