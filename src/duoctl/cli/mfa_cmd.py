"""``duoctl mfa ...``: the external-MFA system parameter."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

from duoctl.cli.options import JsonOption, YesOption
from duoctl.cli.state import AppState

if TYPE_CHECKING:
    from duoctl.mfa import MfaStatus

HELP = (
    'The "Enable external Multi-Factor Authentication application" system parameter.'
    "\n\nExample: duoctl mfa status"
)

# Commands are collected here and turned into a Typer group only when the group is used,
# and then only the one subcommand a command line names: see :func:`register`.
_COMMANDS: dict[str, Callable[..., None]] = {}


def _command(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def collect(function: Callable[..., None]) -> Callable[..., None]:
        _COMMANDS[name] = function
        return function

    return collect


def _status_dict(status: MfaStatus) -> dict[str, Any]:
    return {
        "enabled": status.enabled,
        "session_cookie_samesite": status.same_site,
        "enabled_providers": list(status.enabled_providers),
        "warnings": list(status.warnings),
    }


@_command("enable")
def enable(ctx: typer.Context, yes: YesOption = False) -> None:
    """Switch external MFA on, after showing the platform's SameSite caution.

    Example: duoctl mfa enable --yes
    """
    from duoctl.mfa import NO_PROVIDER_WARNING, SAMESITE_CAUTION, mfa_status, set_external_mfa

    state: AppState = ctx.obj
    before = mfa_status(state.config_path)
    state.streams.err_console.print(
        f"CAUTION: {SAMESITE_CAUTION}", style="bold yellow", markup=False
    )
    if not before.enabled_providers:
        state.streams.warn(NO_PROVIDER_WARNING)
    if not yes:
        typer.confirm("Enable external MFA?", abort=True, err=True)
    after = set_external_mfa(state.config_path, True)
    state.streams.status(
        "external MFA is enabled; session cookie SameSite is now "
        f"{after.same_site}" + ("" if before.enabled else " (was Strict)")
    )


@_command("disable")
def disable(ctx: typer.Context, yes: YesOption = False) -> None:
    """Switch external MFA off (session cookie SameSite goes back to Strict).

    Example: duoctl mfa disable --yes
    """
    from duoctl.mfa import set_external_mfa

    state: AppState = ctx.obj
    if not yes:
        typer.confirm(
            "Disable external MFA? Users will no longer be asked for a Duo push.",
            abort=True,
            err=True,
        )
    after = set_external_mfa(state.config_path, False)
    state.streams.status(f"external MFA is disabled; session cookie SameSite is {after.same_site}")


@_command("status")
def status(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Show whether external MFA is on, the effective SameSite, and enabled providers.

    Example: duoctl mfa status --json
    """
    from duoctl.mfa import mfa_status

    state: AppState = ctx.obj
    result = mfa_status(state.config_path)
    if json_output:
        from duoctl.output import envelope

        state.streams.json(envelope("mfa status", _status_dict(result)))
        return
    out = state.streams.console
    out.print(f"external MFA: {'enabled' if result.enabled else 'disabled'}", markup=False)
    out.print(f"session cookie SameSite: {result.same_site}", markup=False)
    out.print("enabled providers: " + (", ".join(result.enabled_providers) or "none"), markup=False)
    for warning in result.warnings:
        state.streams.warn(warning)


def register(root: typer.Typer, only: str | None = None) -> None:
    """Add the ``mfa`` group to ``root``: every subcommand, or just ``only`` if it is one."""
    group = typer.Typer(help=HELP, no_args_is_help=True)
    chosen = [only] if only in _COMMANDS else list(_COMMANDS)
    for command_name in chosen:
        group.command(command_name)(_COMMANDS[command_name])
    root.add_typer(group, name="mfa")
