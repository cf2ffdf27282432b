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
    from duoctl.paths import credentials_dir

    state: AppState = ctx.obj
    location = state.location
    exists = location.path.exists()
    if json_output:
        from duoctl.output import envelope

        state.streams.json(
            envelope(
                "config path",
                {
                    "path": str(location.path),
                    "rule": location.rule,
                    "exists": exists,
                    "scope": "system" if location.system else "user",
                    "credentials_dir": str(credentials_dir(location.path, system=location.system)),
                },
            )
        )
        return
    state.streams.out.write(f"{location.path}\n")
    state.streams.status(
        f"chosen by {location.rule}; "
        + ("it exists" if exists else "it does not exist yet (a write command creates it)")
    )


def register(root: typer.Typer, only: str | None = None) -> None:
    GROUP.register(root, only)
