"""``duoctl secrets ...``: which store holds the secrets, and moving them to another."""

from __future__ import annotations

from typing import Annotated

import typer

from duoctl.cli.options import CommandGroup, JsonOption
from duoctl.cli.state import AppState

HELP = (
    "Where Client Secrets are stored: keyring, systemd-creds or encrypted-file.\n\n"
    "Example: duoctl secrets status"
)

GROUP = CommandGroup("secrets", HELP)

BackendArg = Annotated[
    str,
    typer.Option(
        "--to",
        help="Target backend: keyring, systemd-creds or encrypted-file.",
        show_default=False,
    ),
]


@GROUP.command("status")
def status(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Show which secret store this config uses, why, and where it keeps secrets.

    Example: duoctl --system secrets status --json
    """
    from duoctl.output import render
    from duoctl.secrets.status import secrets_status

    state: AppState = ctx.obj
    store = state.secrets()
    result = secrets_status(state.config_path, store)
    render(state.streams, "secrets status", result, json_output=json_output)


@GROUP.command("migrate")
def migrate(
    ctx: typer.Context,
    to: BackendArg,
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Source backend (default: the one in use, or the one an interrupted move "
            "was emptying).",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Move every provider's secret to another backend, verified before anything is deleted.

    Example: sudo duoctl --system secrets migrate --to systemd-creds
    """
    import os

    from duoctl.errors import UsageError
    from duoctl.output import render
    from duoctl.secrets import BACKENDS
    from duoctl.secrets.migrate import MigrationReport, migrate_secrets
    from duoctl.secrets.select import BACKEND_ENV

    state: AppState = ctx.obj
    for value in (to, from_):
        if value is not None and value not in BACKENDS:
            raise UsageError(
                f"unknown backend {value!r}", hint=f"use one of: {', '.join(BACKENDS)}"
            )
    from duoctl.config.reader import load_config
    from duoctl.secrets.migrate import source_for

    config = load_config(state.config_path)
    in_use = state.backend_in_use()
    source_name = source_for(
        to, named=from_, in_use=in_use, migrating_from=config.secrets_migrating_from
    )
    if source_name == to:
        raise UsageError(f"--from and --to both name {to}")
    stale = config.secrets_migrating_to
    if source_name is None and stale is not None and stale != to:
        # A move to `stale` was stopped before it switched: the secrets stayed here, and
        # this command (to where they are) drops the copies it had made.
        from duoctl.secrets.migrate import drop_abandoned_copies

        report = drop_abandoned_copies(
            state.config_path, state.store_for(stale), stale_name=stale, current_name=to
        )
    elif source_name is None:
        # Already done (a re-run after success, or after a kill at the very end): a
        # script that repeats the command must not fail on it.
        report = MigrationReport(source=to, target=to)
    else:
        report = migrate_secrets(
            state.config_path,
            state.store_for(source_name),
            state.store_for(to),
            source_name=source_name,
            target_name=to,
            on_step=state.streams.status,
        )
        if os.environ.get(BACKEND_ENV, to) != to:
            state.streams.warn(
                f"{BACKEND_ENV}={os.environ[BACKEND_ENV]} overrides the config: unset it, or "
                f"duoctl keeps reading secrets from there"
            )
    render(state.streams, "secrets migrate", report, json_output=json_output)


def register(root: typer.Typer, only: str | None = None) -> None:
    GROUP.register(root, only)
