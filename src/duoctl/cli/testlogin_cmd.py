"""``duoctl test-login``: parse, run the flow, render the result."""

from __future__ import annotations

import datetime
import enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from duoctl.admin.log_delay import EXPLAIN_WAIT
from duoctl.cli.login_output import CliProgress
from duoctl.cli.options import JsonOption, finite_float
from duoctl.cli.secret_options import SecretStdin, take_one_shot_secret
from duoctl.cli.state import AppState
from duoctl.duoclient import DEFAULT_LOGIN_WAIT, DEFAULT_NETWORK_TIMEOUT
from duoctl.errors import DuoctlError, DuoDenied, DuoTimeout
from duoctl.output import render_outcome, safe_text

if TYPE_CHECKING:
    from duoctl.admin.session import AdminSession
    from duoctl.config.model import Provider
    from duoctl.duoclient import DuoClientFactory
    from duoctl.testlogin.browser import BrowserOpener


class BrowserMode(enum.StrEnum):
    AUTO = "auto"
    SYSTEM = "system"
    FOLLOW = "follow"
    NONE = "none"


def _browser(mode: BrowserMode, ca_bundle: str | None, progress: CliProgress) -> BrowserOpener:
    from duoctl.testlogin.browser import (
        FollowBrowser,
        PrintOnly,
        SystemBrowser,
        can_open_system_browser,
    )

    if mode is BrowserMode.AUTO:
        mode = BrowserMode.SYSTEM if can_open_system_browser() else BrowserMode.NONE
        if mode is BrowserMode.NONE:
            progress.no_browser("no display and no $BROWSER")
    if mode is BrowserMode.SYSTEM:
        return SystemBrowser(on_failure=progress.browser_failed)
    if mode is BrowserMode.FOLLOW:
        return FollowBrowser(ca_bundle, on_failure=progress.warn)
    return PrintOnly()


BrowserOption = Annotated[
    BrowserMode,
    typer.Option(
        "--browser",
        help="How to open the Duo prompt: auto (system browser when there is a display or "
        "$BROWSER), system, follow (built-in, emulator only), none (print the URL).",
        case_sensitive=False,
    ),
]
NoBrowserOption = Annotated[
    bool, typer.Option("--no-browser", help="Same as --browser none: print the URL only.")
]
DebugOption = Annotated[
    bool,
    typer.Option(
        "--debug",
        help="Show the HTTP exchanges with Duo on stderr, secrets and one-time values "
        "redacted (also DUOCTL_DEBUG=1).",
    ),
]


def _client_factory(state: AppState, debug: bool) -> DuoClientFactory:
    import os

    from duoctl.cli.app import DEBUG_ENV

    if not (debug or os.environ.get(DEBUG_ENV) == "1"):
        return state.duo_client_factory
    from duoctl.duodebug import HttpDebug, observed

    return observed(state.duo_client_factory, HttpDebug(state.streams.status))


def cmd_test_login(
    ctx: typer.Context,
    provider: Annotated[
        str | None, typer.Argument(help="Provider to test (default: the only enabled one).")
    ] = None,
    username: Annotated[
        str | None,
        typer.Option("--username", "-u", help="Duo username (default: your OS login name)."),
    ] = None,
    port: Annotated[
        int,
        typer.Option(
            help="Callback port (default: a free one), e.g. for ssh -L.", min=0, max=65535
        ),
    ] = 0,
    bind: Annotated[
        list[str] | None,
        typer.Option(
            help="Address to bind the callback listener (repeatable; default 127.0.0.1 and ::1)."
        ),
    ] = None,
    advertise_host: Annotated[
        str, typer.Option(help="Host name put in the redirect URI (Duo rejects IP literals).")
    ] = "localhost",
    timeout: Annotated[
        float,
        typer.Option(
            help="Seconds to wait for the push to be answered.",
            min=1,
            max=295,
            callback=finite_float,
        ),
    ] = DEFAULT_LOGIN_WAIT,
    network_timeout: Annotated[
        float,
        typer.Option(
            help="Seconds allowed for each call to Duo.", min=1, max=120, callback=finite_float
        ),
    ] = DEFAULT_NETWORK_TIMEOUT,
    browser: BrowserOption = BrowserMode.AUTO,
    no_browser: NoBrowserOption = False,
    client_secret_stdin: SecretStdin = False,
    debug: DebugOption = False,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="After a deny or a timeout, show Duo's recorded reason from its "
            "authentication log (needs the Admin API credential: duoctl admin login).",
        ),
    ] = False,
    explain_wait: Annotated[
        float,
        typer.Option(
            help="Seconds --explain waits for Duo's record (Duo shows one about 2 minutes "
            "after the attempt).",
            min=0,
            max=900,
            callback=finite_float,
        ),
    ] = EXPLAIN_WAIT,
    json_output: JsonOption = False,
) -> None:
    """Prove a provider works: a real Duo Universal Prompt login, end to end.

    Runs a health check, opens a one-time callback listener on loopback, opens the Duo
    prompt, waits for the push to be answered, exchanges the code and shows the result.
    The secret comes from the store, or for this run only from --client-secret-stdin or
    DUOCTL_CLIENT_SECRET (never stored).

    A provider named explicitly is tested even while disabled, so it can be proven
    before it is enabled; without a name, the only enabled provider is tested.

    Example: duoctl test-login prod --username alice
    """
    from duoctl.testlogin.flow import LoginDeps, LoginOptions, run_test_login

    state: AppState = ctx.obj
    take_one_shot_secret(state, client_secret_stdin)
    progress = CliProgress(state.streams, quiet=json_output)
    mode = BrowserMode.NONE if no_browser else browser
    options = LoginOptions(
        provider=provider,
        username=username,
        port=port,
        bind_hosts=tuple(bind) if bind else ("127.0.0.1", "::1"),
        advertised_host=advertise_host,
        timeout=timeout,
        network_timeout=network_timeout,
    )
    # Fail before the login, not after it, when --explain cannot work: no credential, one
    # Duo rejects, or one without "Grant read log".
    admin = state.admin_session() if explain else None
    if admin is not None:
        from duoctl.admin.explain import preflight

        preflight(admin)
    started = datetime.datetime.now(datetime.UTC)
    chosen: list[Provider] = []
    deps = LoginDeps(
        config_path=state.config_path,
        secrets=state.secrets(),
        client_factory=_client_factory(state, debug),
        browser_for=lambda chosen: _browser(mode, chosen.ca_bundle, progress),
        progress=progress,
        chosen=chosen.append,
    )
    try:
        try:
            result = run_test_login(options, deps)
        finally:
            progress.close()
        render_outcome(
            state.streams, "test-login", result, result.denial(), json_output=json_output
        )
    except (DuoDenied, DuoTimeout) as failure:
        if admin is None or not chosen:
            raise
        who = options.username or deps.login_name()
        raise _explained(state, admin, failure, chosen[0], who, started, explain_wait) from None


def _explained(
    state: AppState,
    admin: AdminSession,
    failure: DuoDenied | DuoTimeout,
    chosen: Provider,
    username: str,
    started: datetime.datetime,
    wait: float,
) -> DuoDenied | DuoTimeout:
    """``failure`` again, with Duo's record of the attempt said on stderr and in its data."""
    from duoctl.admin.explain import explain

    if chosen.endpoint.lower() != admin.host.lower():
        state.streams.warn(
            f"the Admin API credential is for {admin.host}, the provider uses "
            f"{chosen.endpoint}: the record may be in another Duo account's log"
        )
    try:
        explanation = explain(
            admin,
            username=username,
            application=chosen.client_id,
            started=started,
            txid=_txid(failure.data),
            wait=wait,
            notify=state.streams.status,
        )
    except DuoctlError as exc:
        # The login's outcome is the answer asked for: an Admin API failure while looking
        # for Duo's record (a grant missing, a 429, an outage) is said, and the exit code
        # stays the login's (README: 6 or 9), not the lookup's.
        fix = f" (fix: {exc.hint})" if exc.hint else ""
        state.streams.warn(f"--explain could not read Duo's record: {exc.message}{fix}")
        found: dict[str, Any] = {
            "found": False,
            "error": {"kind": exc.kind, "exit_code": int(exc.exit_code), "message": exc.message},
        }
    else:
        for line in explanation.lines():
            state.streams.status(safe_text(line))
        found = explanation.to_dict()
    data = {**(failure.data or {}), "explanation": found}
    # Once Duo's record is shown, "see the authentication log" would send them in a circle.
    hint = None if found.get("found") else failure.hint
    return type(failure)(failure.message, hint=hint, data=data)


def _txid(data: dict[str, Any] | None) -> str | None:
    # A token that says deny carries Duo's txid (auth_context.txid); a redirect with
    # error=access_denied, or no redirect at all, carries none.
    claims = (data or {}).get("claims")
    context = claims.get("auth_context") if isinstance(claims, dict) else None
    txid = context.get("txid") if isinstance(context, dict) else None
    return txid if isinstance(txid, str) and txid else None


def register(app: typer.Typer) -> None:
    app.command("test-login")(cmd_test_login)
