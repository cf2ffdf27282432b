"""The commands end to end in-process: typer's runner on the app, and run() (the edge that
maps errors to exit codes), with an in-memory secret store."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
import typer
from typer.testing import CliRunner

from duoctl import __version__
from duoctl.cli.app import app
from duoctl.cli.state import AppState
from duoctl.output import Streams
from duoctl.secrets.memory import MemorySecretStore
from foundation.helpers import (
    CLIENT_ID,
    DUOCTL,
    ENDPOINT,
    PROCESS_TIMEOUT_S,
    SECRET,
    SECRET_2,
    add_args,
    config_with,
    run_duoctl,
    write_private,
)

Cli = Callable[..., Any]


def _envelope(stdout: str, command: str) -> Any:
    payload = json.loads(stdout)
    assert set(payload) == {"duoctl", "command", "ok", "data"}
    assert payload["duoctl"] == 1
    assert payload["command"] == command
    assert payload["ok"] is True
    return payload["data"]


def test_typer_runner_with_app_state(tmp_path: Path, config_path: Path) -> None:
    store = MemorySecretStore()
    out, err = io.StringIO(), io.StringIO()
    state = AppState(
        streams=Streams(out=out, err=err), secret_store_factory=lambda path, streams: store
    )

    result = CliRunner().invoke(app, add_args("prod"), input=SECRET + "\n", obj=state)

    assert result.exit_code == 0, (result.output, err.getvalue())
    assert store.get("prod") == SECRET
    assert "added provider 'prod' (enabled)" in err.getvalue()
    assert out.getvalue() == ""  # status goes to stderr; stdout is data only
    data = tomllib.loads(config_path.read_text())
    assert data["providers"]["prod"] == {
        "type": "duo",
        "enabled": True,
        "endpoint": ENDPOINT,
        "client_id": CLIENT_ID,
    }


def test_provider_lifecycle(cli: Cli, mem_store: MemorySecretStore, config_path: Path) -> None:
    assert cli(*add_args("prod"), input=SECRET + "\n").exit_code == 0
    result = cli(*add_args("stage", endpoint="api-99999999.duofederal.com"), "--disabled",
                 input=SECRET_2 + "\n")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert mem_store.names() == ["prod", "stage"]

    listed = _envelope(cli("provider", "list", "--json").stdout, "provider list")
    assert listed["config"] == str(config_path)
    assert [(p["name"], p["enabled"]) for p in listed["providers"]] == [
        ("prod", True),
        ("stage", False),
    ]

    table = cli("provider", "list")
    assert table.exit_code == 0
    assert "prod" in table.stdout
    assert "api-99999999.duofederal.com" in table.stdout

    shown = _envelope(cli("provider", "show", "prod", "--json").stdout, "provider show")
    assert shown["secret_present"] is True
    assert shown["warnings"] == []

    assert cli("provider", "enable", "stage").exit_code == 0
    assert cli("provider", "disable", "prod").exit_code == 0
    providers = tomllib.loads(config_path.read_text())["providers"]
    assert providers["stage"]["enabled"] is True
    assert providers["prod"]["enabled"] is False

    edited = cli("provider", "edit", "prod", "--endpoint", "api-abcdef12.duosecurity.com",
                 "--rotate-secret", "--client-secret-stdin", input=SECRET_2 + "\n")  # fmt: skip
    assert edited.exit_code == 0, edited.stderr
    assert "secret rotated" in edited.stderr
    assert mem_store.get("prod") == SECRET_2
    assert tomllib.loads(config_path.read_text())["providers"]["prod"]["endpoint"] == (
        "api-abcdef12.duosecurity.com"
    )

    removed = cli("provider", "remove", "prod", "--yes")
    assert removed.exit_code == 0
    assert mem_store.names() == ["stage"]
    assert "prod" not in tomllib.loads(config_path.read_text())["providers"]


def test_secret_from_environment(cli: Cli, mem_store: MemorySecretStore) -> None:
    result = cli(*add_args("prod")[:-1], env={"DUOCTL_CLIENT_SECRET": SECRET})
    assert result.exit_code == 0, result.stderr
    assert mem_store.get("prod") == SECRET


def test_no_secret_source_is_an_input_error(cli: Cli, config_path: Path) -> None:
    # No stdin flag, no env, stdin not a TTY: refuse rather than store nothing.
    result = cli(*add_args("prod")[:-1])
    assert result.exit_code == 3
    assert "no Client Secret given" in result.stderr
    assert not config_path.exists()


def test_non_duo_endpoint_warns(cli: Cli) -> None:
    result = cli(*add_args("lab", endpoint="duo.example.internal:8443"), input=SECRET + "\n")
    assert result.exit_code == 0, result.stderr
    assert "does not look like a Duo API hostname" in result.stderr
    shown = json.loads(cli("provider", "show", "lab", "--json").stdout)["data"]
    assert shown["endpoint"] == "duo.example.internal:8443"
    assert len(shown["warnings"]) == 1


def test_remove_without_yes_asks_and_abort_changes_nothing(
    cli: Cli, mem_store: MemorySecretStore, config_path: Path
) -> None:
    assert cli(*add_args("prod"), input=SECRET + "\n").exit_code == 0
    before = config_path.read_bytes()

    result = cli("provider", "remove", "prod", input="n\n", tty=True)

    assert result.exit_code == 12
    assert "Remove provider 'prod'" in result.stderr
    assert "cancelled" in result.stderr
    assert config_path.read_bytes() == before
    assert mem_store.get("prod") == SECRET


def test_mfa_enable_disable_status(cli: Cli, config_path: Path) -> None:
    # DUOCTL_CONFIG names a file that is not there yet: a read must not pass for "empty".
    missing = cli("mfa", "status", "--json")
    assert missing.exit_code == 4
    assert json.loads(missing.stdout)["error"]["message"] == (
        f"no config file at {config_path} (named by DUOCTL_CONFIG)"
    )
    assert cli("mfa", "disable", "--yes").exit_code == 0  # creates it, in its existing dir
    status = _envelope(cli("mfa", "status", "--json").stdout, "mfa status")
    assert status == {
        "enabled": False,
        "session_cookie_samesite": "Strict",
        "failmode": None,
        "enabled_providers": [],
        "warnings": [],
    }

    # No provider yet: switching MFA on would lock everyone out. Refused (13), then forced.
    before = config_path.read_bytes()
    refused = cli("mfa", "enable", "--yes", "--failmode", "closed")
    assert refused.exit_code == 13
    assert "error: refusing to enable external MFA" in refused.stderr
    assert "nobody could complete a login" in refused.stderr
    assert "--force does it anyway" in refused.stderr
    assert config_path.read_bytes() == before
    enabled = cli("mfa", "enable", "--yes", "--failmode", "closed", "--force")
    assert enabled.exit_code == 0
    assert "SameSite" in enabled.stderr
    assert "--force: no MFA provider is enabled" in enabled.stderr
    assert tomllib.loads(config_path.read_text())["external_mfa"] == {
        "enabled": True,
        "failmode": "closed",
    }
    again = cli("mfa", "enable", "--yes", "--failmode", "closed")
    assert (again.exit_code, again.stderr) == (
        0,
        "external MFA is already enabled; nothing changed\n",
    )

    assert cli(*add_args("prod"), input=SECRET + "\n").exit_code == 0
    status = _envelope(cli("mfa", "status", "--json").stdout, "mfa status")
    assert status["enabled"] is True
    assert status["session_cookie_samesite"] == "Lax"
    assert status["enabled_providers"] == ["prod"]

    text = cli("mfa", "status")
    assert "external MFA: enabled" in text.stdout
    assert "session cookie SameSite: Lax" in text.stdout

    assert cli("mfa", "disable", "--yes").exit_code == 0
    assert tomllib.loads(config_path.read_text())["external_mfa"] == {
        "enabled": False,
        "failmode": "closed",
    }


def test_mfa_enable_declined_changes_nothing(cli: Cli, config_path: Path) -> None:
    assert cli(*add_args("prod"), input=SECRET + "\n").exit_code == 0
    before = config_path.read_bytes()
    result = cli("mfa", "enable", input="closed\nn\n", tty=True)
    assert result.exit_code == 12
    assert config_path.read_bytes() == before


def test_mfa_enable_confirmed_at_the_prompt(cli: Cli, config_path: Path) -> None:
    assert cli(*add_args("prod"), input=SECRET + "\n").exit_code == 0
    result = cli("mfa", "enable", input="closed\ny\n", tty=True)
    assert result.exit_code == 0, result.stderr
    assert tomllib.loads(config_path.read_text())["external_mfa"] == {
        "enabled": True,
        "failmode": "closed",
    }


@pytest.mark.parametrize(
    "args",
    [["mfa", "enable", "--failmode", "closed"], ["mfa", "disable"], ["provider", "remove", "prod"]],
    ids=" ".join,
)
def test_no_terminal_and_no_yes_is_a_usage_error_not_an_answer(
    cli: Cli, mem_store: MemorySecretStore, config_path: Path, args: list[str]
) -> None:
    assert cli(*add_args("prod"), input=SECRET + "\n").exit_code == 0
    if args == ["mfa", "disable"]:
        # something to disable
        assert cli("mfa", "enable", "--yes", "--failmode", "closed").exit_code == 0
    before = config_path.read_bytes()
    # Piped "y" must not count as a person's yes.
    result = cli(*args, input="y\n")
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert config_path.read_bytes() == before
    assert mem_store.get("prod") == SECRET


@pytest.mark.parametrize(
    ("args", "command", "kind", "code"),
    [
        (["provider", "show", "ghost", "--json"], "provider show", "provider_not_found", 4),
        (["provider", "list", "--json"], "provider list", "config", 4),
        (["mfa", "status", "--json"], "mfa status", "config", 4),
    ],
)
def test_json_error_envelope(
    cli: Cli, config_path: Path, args: list[str], command: str, kind: str, code: int
) -> None:
    if kind == "config":
        write_private(config_path, "schema_version = [\n")
    else:
        write_private(config_path, config_with(1))

    result = cli(*args)

    assert result.exit_code == code
    payload = json.loads(result.stdout)
    assert payload == {
        "duoctl": 1,
        "command": command,
        "ok": False,
        "error": {
            "kind": kind,
            "exit_code": code,
            "message": payload["error"]["message"],
            "hint": payload["error"]["hint"],
        },
    }
    assert payload["error"]["message"]
    assert payload["error"]["hint"]


def test_json_error_envelope_names_the_command_after_config_option(
    cli: Cli, config_path: Path
) -> None:
    # Regression: the value of "-c PATH" was once taken for the command word.
    write_private(config_path, config_with(1))
    result = cli("-c", config_path, "provider", "show", "ghost", "--json")
    assert result.exit_code == 4
    assert json.loads(result.stdout)["command"] == "provider show"


def test_version(cli: Cli) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"duoctl {__version__}"


def _foundation_commands() -> list[list[str]]:
    root = typer.main.get_command(app)
    assert isinstance(root, click.Group)
    found = []
    for group in ("provider", "mfa", "admin", "user"):
        sub = root.commands[group]
        assert isinstance(sub, click.Group)
        for name, command in sub.commands.items():
            if isinstance(command, click.Group):  # `provider secret reveal`
                found += [[group, name, leaf] for leaf in command.commands]
            else:
                found.append([group, name])
    return found


def test_every_foundation_command_is_covered() -> None:
    # If a command is added, the parametrised help test below must learn about it.
    assert sorted(" ".join(c) for c in _foundation_commands()) == sorted(
        " ".join(c) for c in GROUP_COMMANDS
    )


GROUP_COMMANDS = (
    [
        ["provider", name]
        for name in ("add", "create", "list", "show", "edit", "remove", "enable", "disable")
    ]
    + [["provider", "secret", "reveal"]]
    + [["mfa", name] for name in ("enable", "disable", "status", "failmode")]
    + [["admin", name] for name in ("login", "status", "logout")]
    + [["user", "show"]]
)
HELP_COMMANDS = [*GROUP_COMMANDS, ["logs"]]


@pytest.mark.parametrize("command", HELP_COMMANDS, ids=" ".join)
def test_help_has_an_example(cli: Cli, command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert f"duoctl {' '.join(command)}" in result.stdout


def _click_command(path: list[str]) -> click.Command:
    command = typer.main.get_command(app)
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


@pytest.mark.parametrize("command", [*HELP_COMMANDS, ["test-login"]], ids=" ".join)
def test_help_shows_the_whole_summary(cli: Cli, command: list[str]) -> None:
    # Rich reads "[word]" in a help text as markup and drops it: "the [admin] table" once
    # rendered as "the  table". The summary paragraph must reach the screen word for word.
    summary = (_click_command(command).help or "").split("\n\n")[0].replace("\\[", "[")
    result = cli(*command, "--help")
    assert result.exit_code == 0
    assert " ".join(summary.split()) in " ".join(result.stdout.split())


# Groups count as commands: each help screen shows a runnable example.
@pytest.mark.parametrize(
    "group",
    [[], ["mfa"], ["provider"], ["admin"], ["provider", "secret"], ["user"]],
    ids=["root", "mfa", "provider", "admin", "provider-secret", "user"],
)
def test_group_help_has_an_example(cli: Cli, group: list[str]) -> None:
    result = cli(*group, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert f"duoctl {' '.join(group)}".strip() in result.stdout


def test_client_secret_on_the_command_line_is_impossible(cli: Cli, config_path: Path) -> None:
    result = cli(*add_args("prod")[:-1], "--client-secret", SECRET)
    assert result.exit_code == 2
    assert "No such option" in result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert not config_path.exists()


def test_console_script_rejects_client_secret_option(config_path: Path) -> None:
    for flag in (["--client-secret", SECRET], [f"--client-secret={SECRET}"]):
        result = run_duoctl([*add_args("prod")[:-1], *flag])
        assert result.returncode == 2, result.stderr
        assert SECRET not in result.stderr + result.stdout
    assert not config_path.exists()


def test_console_script_version_and_module_help() -> None:
    version = subprocess.run(
        [DUOCTL, "--version"], capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S, check=True
    )
    assert version.stdout.strip() == f"duoctl {__version__}"
    module = subprocess.run(
        [sys.executable, "-m", "duoctl", "--help"],
        check=False,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
    )
    assert module.returncode == 0, module.stderr
    assert "provider" in module.stdout
    assert "mfa" in module.stdout


def test_no_arguments_prints_help(cli: Cli) -> None:
    result = cli()
    assert result.exit_code in (0, 2)
    assert "Usage" in result.stdout + result.stderr


class _ClosingStore(MemorySecretStore):
    def __init__(self) -> None:
        super().__init__()
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_closing_the_state_closes_every_store_it_built(
    monkeypatch: pytest.MonkeyPatch, config_path: Path
) -> None:
    # A migration builds a store per backend besides the selected one; each may hold a D-Bus
    # connection, and all are released when the command ends, not when the process exits.
    import duoctl.secrets.select

    built: list[_ClosingStore] = []

    def build(*args: object, **kwargs: object) -> _ClosingStore:
        built.append(_ClosingStore())
        return built[-1]

    monkeypatch.setattr(duoctl.secrets.select, "build", build)
    selected = _ClosingStore()
    state = AppState(secret_store_factory=lambda path, streams: selected)
    state.secrets()
    state.store_for("keyring")
    state.store_for("encrypted-file")
    state.close()
    assert [store.closed for store in (selected, *built)] == [1, 1, 1]
