"""``duoctl emulator``: a local Duo to try duoctl (or any Duo Universal client) offline."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from duoctl.cli.options import finite_float
from duoctl.emulator.admin.authlog import VISIBILITY_DELAY


def register(app: typer.Typer) -> None:
    app.command("emulator")(emulator)


def emulator(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port on loopback; 0 picks a free one.")
    ] = 0,
    users: Annotated[
        Path | None,
        typer.Option(
            "--users",
            metavar="FILE",
            dir_okay=False,
            # No square brackets here: Rich would read "[[users]]" as markup and drop it.
            help='TOML file: one "users" table per user, with name, outcome, delay (seconds).',
            show_default=False,
        ),
    ] = None,
    user: Annotated[
        list[str] | None,
        typer.Option(
            "--user",
            metavar="NAME[:OUTCOME[:DELAY]]",
            help="Add a user (repeatable). Outcomes: approve, deny, fraud, lockout, "
            "policy_deny, timeout, not_enrolled.",
            show_default=False,
        ),
    ] = None,
    interactive: Annotated[
        bool,
        typer.Option("--interactive", help="Show a push page with Approve / Deny buttons."),
    ] = False,
    show_secret: Annotated[
        bool,
        typer.Option("--show-secret", help="Print the client secret instead of a file path."),
    ] = False,
    new_user_policy: Annotated[
        str,
        typer.Option(
            "--new-user-policy",
            metavar="enroll|allow|deny",
            help="What an unknown user gets, as Duo's New User Policy (default: enroll).",
        ),
    ] = "enroll",
    log_requests: Annotated[
        bool,
        typer.Option(
            "--log-requests/--no-log-requests",
            help="One stderr line per request (refused ones are always logged, with why).",
        ),
    ] = True,
    json_banner: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Once ready, print one JSON document on stdout (endpoint, Client ID, secret "
            "file, CA bundle, control API URL and token, pid, version); status goes to stderr.",
        ),
    ] = False,
    client_id: Annotated[
        str | None,
        typer.Option(
            "--client-id", help="Client ID to serve (default: generated).", show_default=False
        ),
    ] = None,
    client_secret_file: Annotated[
        Path | None,
        typer.Option(
            "--client-secret-file",
            metavar="FILE",
            dir_okay=False,
            help="Client secret: read from FILE, or generated into it (0600) when missing.",
            show_default=False,
        ),
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            metavar="DIR",
            file_okay=False,
            help="Keep the CA, leaf key, Client ID, secret and control token in DIR across runs.",
            show_default=False,
        ),
    ] = None,
    apps: Annotated[
        Path | None,
        typer.Option(
            "--apps",
            metavar="FILE",
            dir_okay=False,
            help="TOML file: one apps table per extra application (client_id, "
            "client_secret_file, name).",
            show_default=False,
        ),
    ] = None,
    bind: Annotated[
        str | None,
        typer.Option(
            "--bind",
            metavar="ADDR",
            help="Address to listen on (default 127.0.0.1); non-loopback prints a warning.",
            show_default=False,
        ),
    ] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            metavar="NAME[=VALUE]",
            help="Start with a fault on (repeatable), e.g. rate-limit=30 (429, Retry-After "
            "30 s), status-5xx=502, non-json, clock-skew=-5, wrong-ca, nonce-claim=wrong.",
            show_default=False,
        ),
    ] = None,
    admin_permission: Annotated[
        list[str] | None,
        typer.Option(
            "--admin-permission",
            metavar="GRANT",
            help="Give the Admin API credential only this grant (repeatable; default: all; "
            "'none' for none): read information, applications, settings, read log, read "
            "resource, write resource, administrators.",
            show_default=False,
        ),
    ] = None,
    authlog_delay: Annotated[
        float,
        typer.Option(
            "--authlog-delay",
            metavar="SECONDS",
            help="Seconds before the Admin API's authentication log shows a record: Duo's "
            "documented 120 by default; 0 for tests that cannot wait.",
            min=0,
            max=86400,
            callback=finite_float,
        ),
    ] = VISIBILITY_DELAY,
    hostname: Annotated[
        list[str] | None,
        typer.Option(
            "--hostname",
            metavar="NAME",
            help="Another name for the leaf certificate (repeatable), e.g. a CI service name.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run a Duo emulator in the foreground until Ctrl+C (then exit 0).

    Example: duoctl emulator --user alice --user bob:deny --user carol:approve:3

    In CI: duoctl emulator --json --state-dir DIR > banner.json & (read it with jq)
    """
    from duoctl.cli.state import AppState
    from duoctl.emulator.foreground import run_emulator_foreground
    from duoctl.emulator.service import ServiceOptions
    from duoctl.emulator.users import parse_new_user_policy
    from duoctl.errors import ValidationError

    try:
        policy = parse_new_user_policy(new_user_policy)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None

    service = ServiceOptions(
        json=json_banner,
        client_id=client_id,
        client_secret_file=client_secret_file,
        state_dir=state_dir,
        apps_file=apps,
        bind=bind,
        hostnames=tuple(hostname or ()),
    )
    state = ctx.obj if isinstance(ctx.obj, AppState) else None
    out = state.streams.out if state is not None else sys.stdout
    err = state.streams.err if state is not None else sys.stderr
    run_emulator_foreground(
        users,
        port,
        interactive,
        out,
        err,
        user_specs=user or (),
        show_secret=show_secret,
        log_requests=log_requests,
        new_user_policy=policy,
        service=service,
        fault_specs=fault or (),
        admin_permissions=admin_permission,
        authlog_delay=authlog_delay,
    )
