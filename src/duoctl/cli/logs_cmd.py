"""``duoctl logs``: recent authentication attempts from Duo's log. Parse, call duoctl.admin,
render."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from duoctl.cli.options import JsonOption
from duoctl.cli.state import AppState
from duoctl.output import safe_text

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
    from duoctl.config.store import load_config

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
    if json_output:
        from duoctl.output import envelope

        state.streams.json(
            envelope(
                "logs",
                {
                    "since": start.isoformat(),
                    "until": now.isoformat(),
                    "complete": listing.complete,
                    "stopped_because": listing.stopped_because,
                    "attempts": [a.to_dict() for a in listing.attempts],
                },
            )
        )
        return
    if not listing.attempts:
        state.streams.status(
            f"no authentication attempts since {start:%Y-%m-%d %H:%M:%S} UTC (Duo shows an "
            "attempt about 2 minutes after it happens)"
        )
        return
    from duoctl.tables import print_table

    print_table(
        state.streams.console,
        ("Time (UTC)", "User", "Result", "Reason", "Factor", "Access IP", "Txid"),
        [
            (
                "-" if a.time is None else f"{a.time:%Y-%m-%d %H:%M:%S}",
                safe_text(a.user or "-"),
                safe_text(a.result or "-"),
                safe_text(a.reason or "-"),
                safe_text(a.factor or "-"),
                safe_text(a.access_ip or "-"),
                safe_text(a.txid or "-"),
            )
            for a in listing.attempts
        ],
    )
    if not listing.complete:
        state.streams.status(
            f"showing the newest {len(listing.attempts)}: stopped at {listing.stopped_because}; "
            "narrow --since or raise --limit"
        )


def register(root: typer.Typer) -> None:
    root.command("logs")(logs)
