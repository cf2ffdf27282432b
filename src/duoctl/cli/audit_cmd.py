"""``duoctl audit``: the record of every change, and the check of its hash chain."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from duoctl.cli.options import JsonOption
from duoctl.cli.state import AppState

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


def _line(record: dict[str, Any]) -> str:
    who = record.get("user", "?")
    if record.get("sudo_user"):
        who += f" (sudo from {record['sudo_user']})"
    parts = [
        f"#{record['seq']}",
        str(record.get("time")),
        who,
        f"{record.get('host')}[{record.get('pid')}]",
        str(record.get("command")),
        ", ".join(record.get("targets", [])) or "-",
        str(record["status"]),
    ]
    return "  ".join(parts)


def _details(record: dict[str, Any]) -> list[str]:
    lines = [
        f"    {c['field']}: {c['before']!r} -> {c['after']!r}" for c in record.get("changes", [])
    ]
    for event in record.get("secrets", []):
        mark = f" ({event['fingerprint']})" if "fingerprint" in event else ""
        lines.append(f"    secret of {event['provider']}: {event['action']}{mark}")
    for event in record.get("duo", []):
        lines.append(
            f"    Duo application {event['name']!r} ({event['integration_key']}): {event['action']}"
        )
    return lines


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
    if json_output:
        from duoctl.output import envelope

        data = {"path": str(view.path), "records": view.records, "broken_at": view.broken}
        state.streams.json(envelope("audit", data))
    else:
        out = state.streams.out
        for record in view.records:
            out.write(_line(record) + "\n")
            for detail in _details(record):
                out.write(detail + "\n")
        if not view.records:
            state.streams.status(f"no audit records in {view.path}")
    if view.broken is not None:
        state.streams.warn(
            f"the trail is broken at record {view.broken[0]}: {view.broken[1]}; later records "
            "are not shown (run 'duoctl audit verify')"
        )


def verify(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Check the hash chain; name the first broken record (exit 10).

    Example: duoctl audit verify
    """
    from duoctl.audit.view import verify_trail

    state: AppState = ctx.obj
    result = verify_trail(state.config_path)
    if json_output:
        from duoctl.output import envelope

        data = {
            "path": str(result.path),
            "records": result.records,
            "intact": True,
            "incomplete": result.incomplete,
            "torn_tail": result.torn_tail,
        }
        state.streams.json(envelope("audit verify", data))
        return
    state.streams.out.write(f"audit trail intact: {result.records} record(s) in {result.path}\n")
    if result.incomplete:
        state.streams.warn(
            "record(s) "
            + ", ".join(map(str, result.incomplete))
            + " describe a change that is not what followed (interrupted before the config "
            "was written, or the config was edited by hand)"
        )
    if result.torn_tail:
        state.streams.warn("the last line is a record a killed writer never finished")


def register(root: typer.Typer, only: str | None = None) -> None:
    group = typer.Typer(help=HELP, invoke_without_command=True)
    group.callback(invoke_without_command=True)(show)
    group.command("verify")(verify)
    root.add_typer(group, name="audit")
