"""``duoctl mfa ...``: the external-MFA system parameter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from duoctl.cli.options import CommandGroup, JsonOption, YesOption, confirm
from duoctl.cli.state import AppState

if TYPE_CHECKING:
    from duoctl.mfa import MfaStatus

HELP = (
    'The "Enable external Multi-Factor Authentication application" system parameter.'
    "\n\nExample: duoctl mfa status"
)

GROUP = CommandGroup("mfa", HELP)


def _status_dict(status: MfaStatus) -> dict[str, Any]:
    return {
        "enabled": status.enabled,
        "session_cookie_samesite": status.same_site,
        "enabled_providers": list(status.enabled_providers),
        "warnings": list(status.warnings),
    }


@GROUP.command("enable")
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
    confirm(state, "Enable external MFA?", yes=yes)
    after = set_external_mfa(state.config_path, True)
    state.streams.status(
        "external MFA is enabled; session cookie SameSite is now "
        f"{after.same_site}" + ("" if before.enabled else " (was Strict)")
    )


@GROUP.command("disable")
def disable(ctx: typer.Context, yes: YesOption = False) -> None:
    """Switch external MFA off (session cookie SameSite goes back to Strict).

    Example: duoctl mfa disable --yes
    """
    from duoctl.mfa import set_external_mfa

    state: AppState = ctx.obj
    confirm(state, "Disable external MFA? Users will no longer be asked for a Duo push.", yes=yes)
    after = set_external_mfa(state.config_path, False)
    state.streams.status(f"external MFA is disabled; session cookie SameSite is {after.same_site}")


@GROUP.command("status")
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
    GROUP.register(root, only)
