"""Read-only commands stay fast by not importing what they do not use."""

from __future__ import annotations

from pathlib import Path

import pytest

from foundation.helpers import config_with, run_probed, write_private

# duo_client (the Admin API client) is imported only by the Admin API commands (issue 11).
HEAVY = (
    "keyring",
    "duo_universal",
    "duo_client",
    "requests",
    "jwt",
    "pydantic",
    "tomlkit",
    "cryptography",
)


def _probe(config_path: Path, args: list[str]) -> tuple[dict[str, object], str]:
    """Run duoctl in a fresh interpreter; its exit code and every module it loaded."""
    write_private(config_path, config_with(20))
    probed = run_probed(args, config=config_path)
    return {"code": probed.code, "modules": probed.modules}, probed.stdout


@pytest.mark.parametrize(
    "args", [["provider", "list"], ["provider", "list", "--json"], ["mfa", "status"]]
)
def test_read_only_commands_import_nothing_heavy(config_path: Path, args: list[str]) -> None:
    report, stdout = _probe(config_path, args)
    assert report["code"] == 0
    assert "p19" in stdout
    modules = report["modules"]
    assert isinstance(modules, list)
    loaded = {name.split(".")[0] for name in modules}
    assert sorted(loaded.intersection(HEAVY)) == []


# duoctl's own modules that `provider list` must leave alone: writers, the keyring seam,
# and the other commands (only the named command is built).
NOT_ON_THE_LIST_PATH = (
    "duoctl.config.edit",
    "duoctl.config.line_edits",
    "duoctl.providers",
    "duoctl.secrets.keyring_store",
    "duoctl.secrets.select",
    "duoctl.cli.mfa_cmd",
    "duoctl.cli.testlogin_cmd",
    "duoctl.cli.demo_cmd",
    "duoctl.cli.doctor_cmd",
    "duoctl.cli.emulator_cmd",
    "duoctl.cli.admin_cmd",
    "duoctl.admin.client",
    "duoctl.admin.session",
    "duoctl.admin.provision",
)


def _loaded(config_path: Path, args: list[str], shown: str) -> list[str]:
    """The modules a successful run of ``args`` loaded; its stdout must show ``shown``."""
    report, stdout = _probe(config_path, args)
    assert report["code"] == 0
    assert shown in stdout
    modules = report["modules"]
    assert isinstance(modules, list)
    return modules


def _packages(modules: list[str], name: str) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] == name)


@pytest.mark.parametrize("args", [["provider", "list"], ["mfa", "status"]])
def test_plain_read_commands_load_neither_typer_nor_rich_in_a_pipe(
    config_path: Path, args: list[str]
) -> None:
    """They run without typer (cli/plain.py), and in a pipe write plain text: no rich
    Console to build. Their Typer modules stay unloaded too."""
    modules = _loaded(config_path, args, "p19")
    assert _packages(modules, "typer") == []
    assert "rich.console" not in modules
    assert "duoctl.cli.provider_cmd" not in modules
    assert sorted(set(modules).intersection(NOT_ON_THE_LIST_PATH)) == []


def test_other_command_lines_still_go_through_typer(config_path: Path) -> None:
    """Help is typer's: the plain path takes only the exact shapes it knows."""
    modules = _loaded(config_path, ["provider", "list", "--help"], "--json")
    assert "typer" in modules
    assert "duoctl.cli.provider_cmd" in modules


def test_a_login_in_a_pipe_draws_nothing_with_rich(config_path: Path) -> None:
    """test-login's and demo's progress and result are plain text when nobody watches."""
    modules = _loaded(config_path, ["demo", "--delay", "0"], "Result: ALLOWED")
    assert _packages(modules, "rich") == []
