"""The read-only commands that run without typer, and the command lines that reach them.

`provider list` and `mfa status` are what scripts and monitoring run in loops, so they
must start as fast as the libraries allow; typer costs ~12 ms to import and more to build
a command. A command line of exactly their shape (the command words, their own flags, the
root options) runs the function here directly; anything else (help, a typo, an unknown
option, `--version`) goes to typer, which runs the same function for these commands.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from duoctl.cli.argv import ROOT_OPTIONS_WITH_VALUE
from duoctl.cli.state import AppState
from duoctl.output import render


def provider_list(state: AppState, json_output: bool) -> None:
    from duoctl.config.listing import list_providers

    render(
        state.streams, "provider list", list_providers(state.config_path), json_output=json_output
    )


def mfa_status(state: AppState, json_output: bool) -> None:
    from duoctl.mfa import mfa_status as read_status

    render(state.streams, "mfa status", read_status(state.config_path), json_output=json_output)


# Each plain command's words; the one flag each takes is --json.
_PLAIN: dict[tuple[str, ...], Callable[[AppState, bool], None]] = {
    ("provider", "list"): provider_list,
    ("mfa", "status"): mfa_status,
}


def plain_command(args: list[str], state: AppState) -> Callable[[], None] | None:
    """The plain command ``args`` (root options hoisted to the front) names, ready to run
    with the root options applied to ``state``; None when typer must parse the line."""
    config: str | None = None
    system = False
    i = 0
    while i < len(args) and args[i].startswith("-"):
        arg = args[i]
        if arg == "--system":
            system = True
        elif arg in ROOT_OPTIONS_WITH_VALUE and i + 1 < len(args):
            i += 1
            config = args[i]
        elif arg.startswith("--config="):
            config = arg.removeprefix("--config=")
        else:
            return None
        i += 1
    if config is not None and (not config or config.startswith("-")):
        return None  # an empty or odd-looking path: click's parsing and message decide
    function = _PLAIN.get(tuple(args[i : i + 2]))
    flags = args[i + 2 :]
    if function is None or any(flag != "--json" for flag in flags):
        return None
    if config is not None:
        state.config_option = Path(config)
    state.system = state.system or system
    return lambda: function(state, bool(flags))
