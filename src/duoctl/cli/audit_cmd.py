"""``duoctl audit``: the record of every change, and the check of its hash chain."""

from __future__ import annotations

from typing import Annotated

import typer

from duoctl.cli.options import JsonOption
from duoctl.cli.state import AppState
from duoctl.output import render

HELP = (
    "Show the audit trail: who changed what, when, with which result (JSON Lines beside "
    "the config, hash-chained).\n\nExample: duoctl audit --since 1d --provider okta"
)

SinceOption = Annotated[
    str | None,
    typer.Option("--since", help="Only records newer than this: 30m, 12h, 1d, 2w, or a date-time."),
]
ProviderOption = Annotated[
    str | None, typer.Option("--provider", help="Only records that touch this provider.")
]


def show(
    ctx: typer.Context,
    since: SinceOption = None,
    provider: ProviderOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show the records, oldest first (stops before a broken record: see 'audit verify')."""
    if ctx.invoked_subcommand is not None:
        return
    import datetime

    from duoctl.audit.view import parse_since, show_trail

    state: AppState = ctx.obj
    cutoff = parse_since(since, datetime.datetime.now(datetime.UTC)) if since else None
    view = show_trail(state.config_path, since=cutoff, provider=provider)
    render(state.streams, "audit", view, json_output=json_output)


def verify(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Check the hash chain; name the first broken record (exit 10).

    Example: duoctl audit verify
    """
    from duoctl.audit.view import verify_trail

    state: AppState = ctx.obj
    result = verify_trail(state.config_path)
    render(state.streams, "audit verify", result, json_output=json_output)


def register(root: typer.Typer, only: str | None = None) -> None:
    group = typer.Typer(help=HELP, invoke_without_command=True)
    group.callback(invoke_without_command=True)(show)
    group.command("verify")(verify)
    root.add_typer(group, name="audit")
