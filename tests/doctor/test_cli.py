"""``duoctl doctor`` end to end: table, JSON envelope, exit codes, live display, import cost."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from duoctl.cli.app import app, run
from duoctl.cli.state import AppState
from duoctl.emulator import Emulator
from duoctl.errors import ChecksFailed
from duoctl.output import Streams
from duoctl.secrets.memory import MemorySecretStore


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class Captured:
    def __init__(self, result: Result, out: io.StringIO, err: io.StringIO) -> None:
        self.result = result
        # Typer/click write usage errors to their own streams; duoctl writes to Streams.
        self.stdout = result.stdout + out.getvalue()
        self.stderr = result.stderr + err.getvalue()
        self.exit_code = result.exit_code

    def json(self) -> dict[str, Any]:
        # json.loads rejects trailing data: this also proves stdout holds ONE document.
        payload: dict[str, Any] = json.loads(self.stdout)
        return payload


def invoke(
    store: MemorySecretStore, config: Path, *args: str, err: io.StringIO | None = None
) -> Captured:
    out, err = io.StringIO(), err if err is not None else io.StringIO()
    state = AppState(
        streams=Streams(out=out, err=err), secret_store_factory=lambda path, streams: store
    )
    result = CliRunner().invoke(app, ["--config", str(config), "doctor", *args], obj=state)
    return Captured(result, out, err)


def test_table_output_exit_0_with_warnings(emu_config: Path, store: MemorySecretStore) -> None:
    got = invoke(store, emu_config)
    assert got.exit_code == 0, got.stdout + got.stderr
    assert "This machine" in got.stdout
    assert "Provider prod" in got.stdout
    for title in ("Config permissions", "Secret store", "DNS", "TLS certificate", "Clock skew"):
        assert title in got.stdout
    # localhost is no Duo hostname: the one warning. The emulator's leaf lives 90 days, so
    # the 30-day certificate warning stays quiet.
    assert got.stdout.count("WARN") == 1
    assert "1 warning(s)" in got.stdout
    assert "doctor PASSED" in got.stdout
    assert got.stderr == ""  # not a terminal: no live display


def test_strict_fails_on_warnings(emu_config: Path, store: MemorySecretStore) -> None:
    got = invoke(store, emu_config, "--strict")
    # Text mode hands ChecksFailed to the CLI edge (run(), below) after printing the report.
    assert isinstance(got.result.exception, ChecksFailed)
    assert "doctor FAILED (strict)" in got.stdout
    assert "warned" in got.result.exception.message
    assert "Endpoint name (provider prod)" in got.result.exception.message


def test_failure_through_the_cli_edge_exits_10(
    emu_config: Path, store: MemorySecretStore, emu: Emulator
) -> None:
    store.delete("prod")
    out, err = io.StringIO(), io.StringIO()
    state = AppState(
        streams=Streams(out=out, err=err), secret_store_factory=lambda path, streams: store
    )
    code = run(["--config", str(emu_config), "doctor"], state)
    assert code == 10
    assert "Provider prod" in out.getvalue()
    assert "error: doctor: 1 check(s) failed: Client Secret (provider prod)" in err.getvalue()
    assert "fix: apply each listed fix" in err.getvalue()
    assert emu.client_secret not in out.getvalue() + err.getvalue()


def test_strict_through_the_cli_edge_exits_10(emu_config: Path, store: MemorySecretStore) -> None:
    out, err = io.StringIO(), io.StringIO()
    state = AppState(
        streams=Streams(out=out, err=err), secret_store_factory=lambda path, streams: store
    )
    assert run(["--config", str(emu_config), "doctor", "--strict"], state) == 10
    assert run(["--config", str(emu_config), "doctor"], state) == 0


def test_json_shape(emu_config: Path, store: MemorySecretStore, emu: Emulator) -> None:
    got = invoke(store, emu_config, "--json")
    assert got.exit_code == 0, got.stdout
    payload = got.json()
    assert payload["duoctl"] == 1
    assert payload["command"] == "doctor"
    assert payload["ok"] is True
    assert "error" not in payload
    data = payload["data"]
    assert data["config"] == str(emu_config)
    assert data["passed"] is True
    assert data["strict"] is False
    assert data["providers"] == ["prod"]
    checks = data["checks"]
    for check in checks:
        assert set(check) == {"scope", "id", "title", "status", "detail", "fix", "data"}
        assert check["status"] in {"ok", "warn", "fail", "skipped"}
        assert check["fix"] is None or check["status"] != "ok"
    keys = [(c["scope"], c["id"]) for c in checks]
    assert len(keys) == len(set(keys))
    assert ("global", "config.permissions") in keys
    assert ("global", "secrets.orphans") in keys
    assert ("global", "mfa.enabled") in keys
    provider_ids = [c["id"] for c in checks if c["scope"] == "provider:prod"]
    assert provider_ids == [
        "endpoint",
        "secret",
        "proxy",
        "dns",
        "tcp",
        "tls",
        "clock",
        "credentials",
    ]
    assert sum(data["summary"].values()) == len(checks)
    assert emu.client_secret not in got.stdout
    assert got.stderr == ""


def test_json_failure_is_one_document_and_exits_10(
    emu_config: Path, store: MemorySecretStore, emu: Emulator
) -> None:
    emu.faults.expired_cert = True
    # Through run(), the edge that turns ChecksFailed into the one failure envelope.
    out, err = io.StringIO(), io.StringIO()
    state = AppState(
        streams=Streams(out=out, err=err), secret_store_factory=lambda path, streams: store
    )
    code = run(["--config", str(emu_config), "doctor", "--json"], state)
    assert code == 10
    payload = json.loads(out.getvalue())  # rejects trailing data: ONE document
    assert payload["ok"] is False
    assert payload["data"]["passed"] is False
    assert payload["error"]["kind"] == "checks_failed"
    assert payload["error"]["exit_code"] == 10
    assert "TLS certificate (provider prod)" in payload["error"]["message"]
    tls = next(c for c in payload["data"]["checks"] if c["id"] == "tls")
    assert tls["status"] == "fail"
    assert "clock" in tls["fix"]


def test_json_failure_through_the_cli_edge_prints_one_document(
    emu_config: Path, store: MemorySecretStore
) -> None:
    out, err = io.StringIO(), io.StringIO()
    state = AppState(
        streams=Streams(out=out, err=err), secret_store_factory=lambda path, streams: store
    )
    assert run(["--config", str(emu_config), "doctor", "--json", "--strict"], state) == 10
    payload = json.loads(out.getvalue())
    assert payload["ok"] is False
    assert payload["data"]["strict"] is True


def test_named_unknown_provider_is_a_config_error(
    emu_config: Path, store: MemorySecretStore
) -> None:
    out, err = io.StringIO(), io.StringIO()
    state = AppState(
        streams=Streams(out=out, err=err), secret_store_factory=lambda path, streams: store
    )
    assert run(["--config", str(emu_config), "doctor", "nope"], state) == 4
    assert "no provider named 'nope'" in err.getvalue()


@pytest.mark.parametrize("json_flag", [False, True])
def test_live_display_only_on_a_terminal_without_json(
    emu_config: Path, store: MemorySecretStore, json_flag: bool
) -> None:
    err = _Tty()
    got = invoke(store, emu_config, *(["--json"] if json_flag else []), err=err)
    assert got.exit_code == 0
    if json_flag:
        assert err.getvalue() == ""
        got.json()
    else:
        assert "doctor:" in err.getvalue()
        assert "Provider prod" in got.stdout


def test_command_module_imports_nothing_heavy() -> None:
    # Every duoctl invocation imports the command module: it must stay as cheap as typer.
    code = (
        "import sys; import typer, duoctl.cli.options, duoctl.cli.state; "
        "import duoctl.cli.secret_options; "
        "before = set(sys.modules); import duoctl.cli.doctor_cmd; "
        "print(sorted(set(sys.modules) - before))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "['duoctl.cli.doctor_cmd']"
