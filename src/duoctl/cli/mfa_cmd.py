"""``duoctl mfa ...``: the external-MFA system parameter."""

from __future__ import annotations

from typing import Annotated

import click
import typer

from duoctl.cli.options import CommandGroup, ForceOption, JsonOption, WriteJson, YesOption, confirm
from duoctl.cli.state import AppState
from duoctl.output import render

HELP = (
    'The "Enable external Multi-Factor Authentication application" system parameter.'
    "\n\nExample: duoctl mfa status"
)

GROUP = CommandGroup("mfa", HELP)


FailmodeOption = Annotated[
    str | None,
    typer.Option(
        "--failmode",
        metavar="closed|open",
        help="While Duo cannot be reached: closed locks users out, open lets them in "
        "without a second factor. Asked at a terminal when not set yet.",
        show_default=False,
    ),
]


def _failmode_choice(value: str) -> str:
    from duoctl.config.model import FAILMODE_CHOICES
    from duoctl.errors import ValidationError

    if value not in FAILMODE_CHOICES:
        raise ValidationError(
            f"failmode must be closed or open, not {value!r}",
            hint="closed: users are locked out while Duo cannot be reached; open: they log "
            "in without a second factor",
        )
    return value


def _ask_failmode(state: AppState, given: str | None, current: str | None) -> str | None:
    """The failmode to write: the flag's, else none when one is set, else a person's answer.

    Never a default: closed can lock every user out during an outage, open lets them in
    without a second factor. Without a terminal nobody can choose, so the command stops
    and says how to choose, rather than guess either way.
    """
    from duoctl.errors import UsageError
    from duoctl.mfa import FAILMODE_CONSEQUENCE

    if given is not None:
        return _failmode_choice(given)
    if current is not None:
        return None
    if not state.streams.can_prompt():
        raise UsageError(
            "external MFA needs a failmode, and standard input is not a terminal to ask",
            hint="pass --failmode closed (users are locked out while Duo cannot be reached) "
            "or --failmode open (they log in without a second factor)",
        )
    for mode, consequence in FAILMODE_CONSEQUENCE.items():
        state.streams.status(f"  {mode}: {consequence}")
    answer = typer.prompt(
        "Failmode", type=click.Choice(["closed", "open"]), err=True, show_choices=True
    )
    return str(answer)


@GROUP.command("enable")
def enable(
    ctx: typer.Context,
    yes: YesOption = False,
    force: ForceOption = False,
    failmode: FailmodeOption = None,
    json_output: WriteJson = False,
) -> None:
    """Switch external MFA on, after showing the platform's SameSite caution.

    Refused while no provider is enabled (every login would fail), unless --force. The
    failmode is asked for at a terminal when none is set; a script passes --failmode.

    Example: duoctl mfa enable --yes --failmode closed
    """
    from duoctl.config.reader import load_config
    from duoctl.lockout import refuse_lockout
    from duoctl.mfa import (
        NO_PROVIDER_WARNING,
        SAMESITE_CAUTION,
        set_external_mfa,
        set_failmode,
        status_of,
    )
    from duoctl.outcomes import mfa as outcome

    state: AppState = ctx.obj
    config = load_config(state.write_path)
    if config.external_mfa_enabled:
        if failmode is not None and _failmode_choice(failmode) != config.external_mfa_failmode:
            after, _ = set_failmode(state.write_path, failmode)
            result = outcome.failmode_while_enabled(after)
        else:
            result = outcome.unchanged(status_of(config))
        render(state.streams, "mfa enable", result, json_output=json_output)
        return
    # Refused before the question: asking, then refusing, wastes the operator's "yes".
    refuse_lockout(
        config._replace(external_mfa_enabled=True), what="enable external MFA", force=force
    )
    state.streams.caution(SAMESITE_CAUTION)
    if not config.enabled_providers():  # only reachable with --force
        state.streams.warn(f"--force: {NO_PROVIDER_WARNING}")
    chosen = _ask_failmode(state, failmode, config.external_mfa_failmode)
    confirm(state, "Enable external MFA?", yes=yes)
    after = set_external_mfa(state.write_path, True, force=force, failmode=chosen)
    result = outcome.enabled(after, platform_url_set=config.platform_url is not None)
    render(state.streams, "mfa enable", result, json_output=json_output)


@GROUP.command("disable")
def disable(ctx: typer.Context, yes: YesOption = False, json_output: WriteJson = False) -> None:
    """Switch external MFA off (session cookie SameSite goes back to Strict).

    Example: duoctl mfa disable --yes
    """
    from duoctl.config.reader import load_config
    from duoctl.mfa import set_external_mfa, status_of
    from duoctl.outcomes import mfa as outcome

    state: AppState = ctx.obj
    config = load_config(state.write_path)
    if config.exists and not config.external_mfa_enabled:
        result = outcome.unchanged(status_of(config))
    else:
        question = "Disable external MFA? Users will no longer be asked for a Duo push."
        confirm(state, question, yes=yes)
        result = outcome.disabled(set_external_mfa(state.write_path, False))
    render(state.streams, "mfa disable", result, json_output=json_output)


@GROUP.command("failmode")
def failmode_cmd(
    ctx: typer.Context,
    mode: Annotated[
        str | None,
        typer.Argument(metavar="[closed|open]", help="Set it; without: show it."),
    ] = None,
    yes: YesOption = False,
    json_output: WriteJson = False,
) -> None:
    """Show or set what the platform does with logins while Duo cannot be reached.

    closed: nobody can log in during a Duo outage. open: users log in without a second
    factor (asks for confirmation).

    Example: duoctl mfa failmode closed
    """
    from duoctl.mfa import FAILMODE_CONSEQUENCE, mfa_status, set_failmode
    from duoctl.outcomes import mfa as outcome

    state: AppState = ctx.obj
    if mode is None:
        shown = outcome.FailmodeShown(mfa_status(state.config_path).failmode)
        render(state.streams, "mfa failmode", shown, json_output=json_output)
        return
    chosen = _failmode_choice(mode)
    if chosen == "open":
        confirm(state, f"Set failmode open? {FAILMODE_CONSEQUENCE['open']}.", yes=yes)
    after, changed = set_failmode(state.write_path, chosen)
    render(
        state.streams, "mfa failmode", outcome.failmode_set(after, changed), json_output=json_output
    )


@GROUP.command("status")
def status(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Show whether external MFA is on, the effective SameSite, and enabled providers.

    Example: duoctl mfa status --json
    """
    from duoctl.cli.plain import mfa_status

    mfa_status(ctx.obj, json_output)


def register(root: typer.Typer, only: str | None = None) -> None:
    GROUP.register(root, only)
