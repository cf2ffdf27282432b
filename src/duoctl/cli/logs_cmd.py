"""``duoctl logs``: recent authentication attempts from Duo's log. Parse, call duoctl.admin,
render."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from duoctl.cli.options import JsonOption
from duoctl.cli.state import AppState
from duoctl.output import render, safe_text

if TYPE_CHECKING:
    from duoctl.admin.authlog import Listing


def logs(
    ctx: typer.Context,
    user: Annotated[
        str | None, typer.Option("--user", "-u", help="Only this Duo user (any case).")
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(
            help="Only this provider's application (default: every configured provider's; "
            "all applications when none is configured)."
        ),
    ] = None,
    since: Annotated[
        str,
        typer.Option(help="How far back: an age (30m, 2h, 7d) or an ISO 8601 time (max 180 days)."),
    ] = "24h",
    limit: Annotated[
        int, typer.Option(help="Most attempts to show, newest first.", min=1, max=10000)
    ] = 50,
    json_output: JsonOption = False,
) -> None:
    """Recent authentication attempts from Duo's log: time, user, result, reason, factor,
    access device IP.

    Duo shows an attempt about 2 minutes after it happens. Needs the Admin API permission
    "Grant read log".

    Example: duoctl logs --user alice --since 1h
    """
    from duoctl.admin import authlog
    from duoctl.admin.users import lookup
    from duoctl.config.reader import load_config

    state: AppState = ctx.obj
    now = datetime.datetime.now(datetime.UTC)
    start = authlog.parse_since(since, now)
    config = load_config(state.config_path)
    if provider is not None:
        applications = [config.provider(provider).client_id]
    else:
        applications = [p.client_id for p in config.providers.values()]
    session = state.admin_session()
    user_ids: list[str] = []
    if user is not None:
        found = lookup(session, user)
        if not found.found or found.user_id is None:
            state.streams.warn(f"Duo has no user {safe_text(user)!r}: no attempts to show")
            _render_logs(state, authlog.Listing(), json_output, start, now)
            return
        user_ids.append(found.user_id)
    listing = authlog.fetch(
        session,
        since=start,
        until=now,
        limit=limit,
        users=user_ids,
        applications=applications,
    )
    _render_logs(state, listing, json_output, start, now)


def _render_logs(
    state: AppState,
    listing: Listing,
    json_output: bool,
    start: datetime.datetime,
    now: datetime.datetime,
) -> None:
    from duoctl.admin.authlog import LogsResult

    render(state.streams, "logs", LogsResult(listing, start, now), json_output=json_output)


def register(root: typer.Typer) -> None:
    root.command("logs")(logs)
