"""``duoctl config ...``: which config file is in use, and why."""

from __future__ import annotations

import typer

from duoctl.cli.options import CommandGroup, JsonOption
from duoctl.cli.state import AppState

HELP = "The config file in use.\n\nExample: duoctl config path"

GROUP = CommandGroup("config", HELP)


@GROUP.command("path")
def path(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Print the config file in use, the rule that chose it, and whether it exists.

    Lookup order: --config > $DUOCTL_CONFIG > --system ($DUOCTL_SCOPE=system) > the user
    config dir. The path alone goes to stdout, so $(duoctl config path) works in scripts.

    Example: duoctl --system config path --json
    """
    from duoctl.output import render
    from duoctl.paths import ConfigPathResult

    state: AppState = ctx.obj
    render(state.streams, "config path", ConfigPathResult(state.location), json_output=json_output)


def register(root: typer.Typer, only: str | None = None) -> None:
    GROUP.register(root, only)
