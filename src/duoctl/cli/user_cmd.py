"""``duoctl user show``: a Duo user as support needs to see them. Parse, call duoctl.admin,
render."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from duoctl.cli.options import CommandGroup, JsonOption
from duoctl.cli.state import AppState
from duoctl.output import safe_text

if TYPE_CHECKING:
    from duoctl.admin.users import UserView

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

    state: AppState = ctx.obj
    view = lookup(state.admin_session(), username)
    if json_output:
        from duoctl.output import envelope

        state.streams.json(envelope("user show", view.to_dict()))
        return
    _render_user(state, view)


def _render_user(state: AppState, view: UserView) -> None:
    from duoctl.tables import print_table

    out = state.streams.console
    if not view.found:
        state.streams.status(f"Duo has no user {safe_text(view.asked)!r}")
    else:
        last = "never" if view.last_login is None else f"{view.last_login:%Y-%m-%d %H:%M:%S} UTC"
        rows = [
            ("User", safe_text(view.username or view.asked)),
            ("Status", safe_text(view.status or "unknown")),
            ("Enrolled", _yes_no(view.enrolled)),
            ("Last login", last),
            ("Groups", safe_text(", ".join(view.groups)) or "-"),
        ]
        if view.aliases:
            rows.append(("Aliases", safe_text(", ".join(view.aliases))))
        print_table(out, ("Field", "Value"), rows)
        if view.phones:
            out.file.write("\n")
            print_table(
                out,
                ("Phone", "Platform", "Push", "Activated", "Capabilities"),
                [
                    (
                        safe_text(p.name),
                        safe_text(p.platform),
                        "yes" if p.push else "no",
                        _yes_no(p.activated),
                        safe_text(", ".join(p.capabilities)) or "-",
                    )
                    for p in view.phones
                ],
            )
        else:
            state.streams.status("no phones")
    for finding in view.findings():
        state.streams.warn(safe_text(finding))


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def register(root: typer.Typer, only: str | None = None) -> None:
    USER_GROUP.register(root, only)
