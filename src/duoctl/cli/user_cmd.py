"""``duoctl user show``: a Duo user as support needs to see them. Parse, call duoctl.admin,
render."""

from __future__ import annotations

from typing import Annotated

import typer

from duoctl.cli.options import CommandGroup, JsonOption
from duoctl.cli.state import AppState

USER_HELP = (
    "Duo users, through the Admin API: why a user's login fails.\n\nExample: duoctl user show alice"
)
USER_GROUP = CommandGroup("user", USER_HELP)


@USER_GROUP.command("show")
def user_show(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The Duo username (any case, or an alias).")],
    json_output: JsonOption = False,
) -> None:
    """Show a Duo user: exists, status, enrolled, phones (push or not), last login, groups.

    Duo matches the name case-insensitively, and also its aliases. Exit 0 whenever Duo
    answered, also for a user it does not know (the output says so).
    Needs the Admin API permission "Grant read resource".

    Example: duoctl user show alice --json
    """
    from duoctl.admin.users import lookup
    from duoctl.output import render

    state: AppState = ctx.obj
    view = lookup(state.admin_session(), username)
    render(state.streams, "user show", view, json_output=json_output)


def register(root: typer.Typer, only: str | None = None) -> None:
    USER_GROUP.register(root, only)
