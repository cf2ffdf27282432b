"""``duoctl doctor``: parse, run the checks in :mod:`duoctl.doctor`, render.

Imported at every CLI start, so nothing beyond typer is imported at module level.

Exit status: 0 when nothing failed (warnings allowed), 10 (``ChecksFailed``) when a check
failed, or with ``--strict`` when any check warned. ``ChecksFailed`` goes to the CLI edge,
which prints the one-line error and its fix on stderr (text mode, after the report) or one
envelope on stdout (``--json``: the report as the error's data, so stdout holds exactly one
JSON document either way).
"""

from __future__ import annotations

from typing import Annotated

import typer

from duoctl.cli.options import JsonOption
from duoctl.cli.secret_options import SecretStdin, take_one_shot_secret
from duoctl.cli.state import AppState


def _one_provider_for_one_secret(state: AppState, named: list[str]) -> None:
    """A one-shot secret belongs to one provider: refuse a run that would check several."""
    from duoctl.errors import UsageError

    if len(set(named)) > 1:
        raise UsageError(
            "a one-shot Client Secret belongs to one provider; name only that one",
            hint="duoctl doctor NAME --client-secret-stdin",
        )
    if not named:
        from duoctl.config.reader import load_config

        enabled = load_config(state.config_path).enabled_providers()
        if len(enabled) > 1:
            raise UsageError(
                "a one-shot Client Secret belongs to one provider, and several are enabled: "
                + ", ".join(p.name for p in enabled),
                hint="duoctl doctor NAME --client-secret-stdin",
            )


def doctor(
    ctx: typer.Context,
    providers: Annotated[
        list[str] | None,
        typer.Argument(
            help="Providers to check (default: every enabled provider).", show_default=False
        ),
    ] = None,
    json_output: JsonOption = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 10) on warnings too, not only failures.")
    ] = False,
    client_secret_stdin: SecretStdin = False,
    expect_mfa_disabled: Annotated[
        bool,
        typer.Option(
            "--expect-mfa-disabled",
            help="External MFA is meant to be off on this machine: off is then ok, on a warning.",
        ),
    ] = False,
) -> None:
    """Check every link between this machine and Duo, and say exactly what to fix.

    Config file, secret store, the external-MFA parameter, then for each provider:
    endpoint, secret, proxy variables, DNS, TCP, TLS certificate, clock skew and credentials
    (Duo's health check). Exit 0 when nothing failed, 10 otherwise. With
    --client-secret-stdin or DUOCTL_CLIENT_SECRET, the one provider checked uses that secret
    for this run only.

    Example: duoctl doctor prod --json
    """
    import contextlib

    from duoctl.doctor.render import LiveProgress
    from duoctl.doctor.result import DoctorResult
    from duoctl.doctor.runner import DoctorDeps, run_doctor
    from duoctl.output import render_outcome

    state: AppState = ctx.obj
    streams = state.streams
    if take_one_shot_secret(state, client_secret_stdin):
        _one_provider_for_one_secret(state, providers or [])
    deps = DoctorDeps(secrets=state.secrets(), client_factory=state.duo_client_factory)
    # The live display only at a terminal: in a pipe nothing would see it, and building
    # rich's Console for stderr would cost more than saying nothing.
    live = not json_output and streams.err_is_terminal()
    progress = LiveProgress(streams.err_console) if live else None
    with progress if progress is not None else contextlib.nullcontext():
        report = run_doctor(
            state.config_path,
            deps,
            providers or (),
            on_progress=progress.update if progress is not None else None,
            mfa_disabled_expected=expect_mfa_disabled,
        )
    result = DoctorResult(report, strict=strict)
    render_outcome(streams, "doctor", result, result.failure(), json_output=json_output)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
