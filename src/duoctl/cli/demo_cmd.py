"""``duoctl demo``: the whole test-login flow against the built-in Duo emulator."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from duoctl.cli.login_output import CliProgress
from duoctl.cli.options import JsonOption, finite_float
from duoctl.cli.state import AppState
from duoctl.output import render_outcome

if TYPE_CHECKING:
    from duoctl.testlogin.browser import BrowserOpener


def demo(
    ctx: typer.Context,
    outcome: Annotated[
        str,
        typer.Option(
            help="How the emulated user answers: approve, deny, fraud, lockout, policy_deny, "
            "timeout, not_enrolled."
        ),
    ] = "approve",
    delay: Annotated[
        float,
        typer.Option(
            help="Seconds the emulated user takes to answer.", min=0, callback=finite_float
        ),
    ] = 1.0,
    username: Annotated[str, typer.Option("--username", "-u", help="Emulated Duo user.")] = "alice",
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive",
            help="Show the emulator's Approve/Deny page in your system browser.",
        ),
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(help="Seconds to wait for the answer.", min=1, callback=finite_float),
    ] = 60.0,
    json_output: JsonOption = False,
) -> None:
    """Run the whole test-login flow against the built-in Duo emulator: no account needed.

    Example: duoctl demo --outcome deny
    """
    from duoctl.demo import DemoOptions, run_demo
    from duoctl.emulator.users import parse_outcome
    from duoctl.errors import ValidationError

    state: AppState = ctx.obj
    try:
        parsed = parse_outcome(outcome)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    progress = CliProgress(state.streams, quiet=json_output)
    started = time.monotonic()
    make_browser = None
    if interactive:
        from duoctl.testlogin.browser import SystemBrowser

        def make_browser(_ca: str) -> BrowserOpener:
            progress.warn("your browser will warn about the emulator's throwaway certificate")
            return SystemBrowser(on_failure=progress.warn)

    try:
        result = run_demo(
            DemoOptions(
                username=username,
                outcome=parsed,
                delay=delay,
                interactive=interactive,
                timeout=timeout,
            ),
            progress,
            make_browser,
        )
    finally:
        progress.close()
    if not json_output:
        state.streams.status(f"demo finished in {time.monotonic() - started:.2f} s")
    render_outcome(state.streams, "demo", result, result.denial(), json_output=json_output)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
