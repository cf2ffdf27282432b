"""The commands that run without typer (cli/plain.py) behave exactly as through typer."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import typer

from duoctl.cli.app import hoist_root_options
from duoctl.cli.command_tree import build_app
from duoctl.cli.plain import plain_command
from duoctl.cli.state import AppState
from duoctl.output import Streams
from foundation.helpers import config_with, write_private


def _state() -> tuple[AppState, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return AppState(streams=Streams(out=out, err=err)), out, err


def _by_typer(args: list[str]) -> tuple[str, str]:
    state, out, err = _state()
    command = typer.main.get_command(build_app(args))
    command.main(args=args, prog_name="duoctl", standalone_mode=False, obj=state)
    return out.getvalue(), err.getvalue()


def _plain(args: list[str]) -> tuple[str, str]:
    state, out, err = _state()
    plain = plain_command(args, state)
    assert plain is not None, args
    plain()
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    "args",
    [
        ["provider", "list"],
        ["provider", "list", "--json"],
        ["mfa", "status"],
        ["mfa", "status", "--json", "--json"],
        ["provider", "list", "--config", "{other}"],
        ["-c", "{other}", "mfa", "status", "--json"],
        ["--config={other}", "provider", "list", "--json"],
    ],
)
def test_plain_and_typer_print_the_same(config_path: Path, tmp_path: Path, args: list[str]) -> None:
    write_private(config_path, config_with(3, mfa=True))
    other = tmp_path / "other.toml"
    write_private(other, config_with(2))
    args = hoist_root_options([a.format(other=other) for a in args])
    plain = _plain(args)
    assert plain == _by_typer(args)
    # The config named on the line is the one read, not DUOCTL_CONFIG's.
    named = any(str(other) in a for a in args)
    assert ("p2" in plain[0]) is not named
    assert "p1" in plain[0]


def test_an_empty_list_says_so_on_stderr(config_path: Path) -> None:
    write_private(config_path, config_with(0))
    out, err = _plain(["provider", "list"])
    assert (out, err) == _by_typer(["provider", "list"])
    assert out == ""
    assert err == f"no providers in {config_path}\n"


def test_system_scope_is_applied() -> None:
    state, _out, _err = _state()
    assert plain_command(["--system", "mfa", "status"], state) is not None
    assert state.system is True


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["provider"],
        ["provider", "list", "--help"],
        ["provider", "list", "-h"],
        ["provider", "list", "extra"],
        ["provider", "list", "--jsn"],
        ["provider", "list", "--json=1"],
        ["provider", "list", "--", "--json"],
        ["provider", "show", "p1"],
        ["mfa", "enable"],
        ["--version"],
        ["--config"],
        ["--config", "provider", "list"],
        ["--config=", "provider", "list"],
        ["--config", "-x", "provider", "list"],
        ["-cfile", "provider", "list"],
        ["provider", "--json", "list"],
    ],
)
def test_anything_else_is_left_to_typer(args: list[str]) -> None:
    state, _out, _err = _state()
    assert plain_command(args, state) is None
    assert state.config_option is None
    assert state.system is False
