"""``duoctl mfa ...``: the external-MFA system parameter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from duoctl.cli.options import CommandGroup, ForceOption, JsonOption, YesOption, confirm
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
def enable(ctx: typer.Context, yes: YesOption = False, force: ForceOption = False) -> None:
    """Switch external MFA on, after showing the platform's SameSite caution.

    Refused while no provider is enabled (every login would fail), unless --force.

    Example: duoctl mfa enable --yes
    """
    from duoctl.config.store import load_config
    from duoctl.lockout import refuse_lockout
    from duoctl.mfa import NO_PROVIDER_WARNING, SAMESITE_CAUTION, set_external_mfa

    state: AppState = ctx.obj
    config = load_config(state.write_path)
    if config.external_mfa_enabled:
        state.streams.status("external MFA is already enabled; nothing changed")
        return
    # Refused before the question: asking, then refusing, wastes the operator's "yes".
    refuse_lockout(
        config._replace(external_mfa_enabled=True), what="enable external MFA", force=force
    )
    state.streams.err_console.print(
        f"CAUTION: {SAMESITE_CAUTION}", style="bold yellow", markup=False
    )
    if not config.enabled_providers():  # only reachable with --force
        state.streams.warn(f"--force: {NO_PROVIDER_WARNING}")
    confirm(state, "Enable external MFA?", yes=yes)
    after = set_external_mfa(state.write_path, True, force=force)
    state.streams.status(
        f"external MFA is enabled; session cookie SameSite is now {after.same_site} (was Strict)"
    )
    if config.platform_url is None:
        from duoctl.platform_url import UNSET_WARNING

        state.streams.warn(UNSET_WARNING)


@GROUP.command("disable")
def disable(ctx: typer.Context, yes: YesOption = False) -> None:
    """Switch external MFA off (session cookie SameSite goes back to Strict).

    Example: duoctl mfa disable --yes
    """
    from duoctl.config.store import load_config
    from duoctl.mfa import set_external_mfa

    state: AppState = ctx.obj
    config = load_config(state.write_path)
    if config.exists and not config.external_mfa_enabled:
        state.streams.status("external MFA is already disabled; nothing changed")
        return
    confirm(state, "Disable external MFA? Users will no longer be asked for a Duo push.", yes=yes)
    after = set_external_mfa(state.write_path, False)
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
