"""The test-login round trip: health check, listener, prompt, callback, exchange.

Everything with a side effect arrives in :class:`LoginDeps`, so the same flow runs against
real Duo, the built-in emulator, or fakes in unit tests.
"""

from __future__ import annotations

import getpass
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from duoctl.config.model import Config, Provider
from duoctl.config.reader import load_config
from duoctl.duoclient import (
    DEFAULT_LOGIN_WAIT,
    DEFAULT_NETWORK_TIMEOUT,
    CallContext,
    DuoClientFactory,
    bounded,
    health_check,
    proxy_fix,
    proxy_in_use,
)
from duoctl.errors import (
    ConfigError,
    DuoCredentialsRejected,
    DuoctlError,
    DuoDenied,
    DuoProtocolError,
    DuoTimeout,
    DuoUnreachable,
    SecretStoreError,
    ValidationError,
)
from duoctl.field_failures import NOT_WEB_SDK_CAUSE, OUTAGE_HINT, UNAUTHORIZED_OIDC
from duoctl.output import safe_text
from duoctl.secrets import SecretStore
from duoctl.testlogin.browser import BrowserOpener
from duoctl.testlogin.listener import Callback, CallbackListener, Verdict
from duoctl.testlogin.progress import Progress
from duoctl.testlogin.result import LoginResult


@dataclass(frozen=True)
class LoginOptions:
    provider: str | None = None
    username: str | None = None
    port: int = 0
    bind_hosts: tuple[str, ...] = ("127.0.0.1", "::1")
    advertised_host: str = "localhost"
    timeout: float = DEFAULT_LOGIN_WAIT
    network_timeout: float = DEFAULT_NETWORK_TIMEOUT


@dataclass
class LoginDeps:
    config_path: Path
    secrets: SecretStore
    client_factory: DuoClientFactory
    # Built for the chosen provider: the built-in follower trusts that provider's CA bundle.
    browser_for: Callable[[Provider], BrowserOpener]
    progress: Progress = field(default_factory=Progress)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    login_name: Callable[[], str] = getpass.getuser
    # Told which provider the login uses, once chosen: what comes after a failed login
    # (--explain) needs its Client ID without reading the config again.
    chosen: Callable[[Provider], None] = lambda provider: None


def choose_provider(config: Config, name: str | None) -> Provider:
    """The provider named, enabled or not (test before go-live), else the only enabled one."""
    if name is not None:
        return config.provider(name)
    enabled = config.enabled_providers()
    if not enabled:
        raise ConfigError(
            f"no enabled provider in {config.path}",
            hint="add one with 'duoctl provider add' or enable one with 'duoctl provider enable'",
        )
    if len(enabled) > 1:
        names = ", ".join(p.name for p in enabled)
        raise ValidationError(
            f"several providers are enabled ({names}); say which one to test",
            hint="duoctl test-login PROVIDER",
        )
    return enabled[0]


def _secret_for(deps: LoginDeps, provider: Provider) -> str:
    secret = deps.secrets.get(provider.name)
    if secret is None:
        raise SecretStoreError(
            f"provider {provider.name!r} has no Client Secret in {deps.secrets.backend().label}",
            hint=f"store it with: duoctl provider edit {provider.name} --rotate-secret; or "
            "test with a secret for this run only: --client-secret-stdin",
        )
    return secret


def _warn_about_proxy(deps: LoginDeps, provider: Provider) -> None:
    proxy = proxy_in_use(deps.environ, provider.endpoint)
    if proxy is not None:
        deps.progress.warn(
            f"{proxy} is set: requests would send Duo traffic through that proxy, which Duo "
            f"logins do not support; {proxy_fix(provider.endpoint)}"
        )


def _warn_about_exposure(deps: LoginDeps, bind_hosts: tuple[str, ...]) -> None:
    import ipaddress

    for host in bind_hosts:
        try:
            loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            deps.progress.warn(
                f"the callback listener binds {host}, which is not loopback: other machines can "
                "reach it while it waits (state and Host checks still apply)"
            )


def _wait_for_callback(
    listener: CallbackListener,
    browser: BrowserOpener,
    progress: Progress,
    timeout: float,
    username: str,
) -> Callback:
    """The one valid callback; DuoTimeout when none comes, DuoProtocolError when none can."""
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < timeout:
        progress.waiting(elapsed, timeout)
        callback = listener.wait(min(0.25, timeout - elapsed))
        if callback is not None:
            return callback
        stuck = browser.failure()
        if stuck is not None and UNAUTHORIZED_OIDC in stuck:
            raise DuoCredentialsRejected(
                f"Duo refused to show its prompt for this Client ID: {stuck}",
                hint=NOT_WEB_SDK_CAUSE[0].upper() + NOT_WEB_SDK_CAUSE[1:],
                data={"cause": "not_web_sdk"},
            )
        if stuck is not None:
            raise DuoProtocolError(
                f"the login cannot complete: {stuck}",
                hint=f"check the username {username!r} (Duo, and the emulator, answer an "
                "unknown user as the New User Policy says: an enrollment page, or a refusal), "
                "or use --browser system to see the page",
            )
    listener.finish(Verdict(False, "Timed out", "duoctl stopped waiting for Duo."))
    raise _timeout_error(listener, browser, timeout)


def _timeout_error(
    listener: CallbackListener, browser: BrowserOpener, timeout: float
) -> DuoTimeout:
    """Which side went quiet, as far as anything here can know it.

    The built-in follower makes the prompt's requests itself, so it knows whether Duo ever
    sent it on (``sent_back``). A person's browser tells us only what reaches the listener:
    any request that did (refused: wrong path, state or Host) proves the browser came back;
    none means Duo never sent it back (the push was not answered) or it could not reach
    the listener (no ``ssh -L`` from a workstation): the message says both.
    """
    port = listener.port
    by_reason = listener.stray_counts()
    refused = sum(by_reason.values())
    wrong_state = by_reason.get("wrong_state", 0)
    sent_back = browser.sent_back()
    if sent_back is False:
        cause = "duo_never_answered"
        message = (
            f"Duo never answered within {timeout:g} s: its prompt was still waiting for the "
            "push to be approved or denied"
        )
        hint = "approve the push sooner, or raise --timeout (Duo drops the request after 5 minutes)"
    elif wrong_state:
        cause = "state_mismatch"
        message = (
            f"a callback reached the listener with another login's state ({wrong_state} "
            f"time(s)), and none with this login's state came in {timeout:g} s"
        )
        hint = (
            "two logins ran at once (another test-login, or the platform's own login in the "
            "same browser), or the browser reused an old prompt URL: run one login at a "
            "time and open the URL this run printed"
        )
    elif refused:
        cause = "no_valid_callback"
        message = (
            f"the browser came back to the listener, but never with this login's callback: "
            f"{refused} request(s) refused (wrong path, state or Host) in {timeout:g} s"
        )
        hint = (
            "open the URL this run printed and let it finish (a tab from an earlier run "
            "carries another login's state); the page the browser shows says what was wrong"
        )
    else:
        cause = "browser_never_came_back"
        message = f"the browser never came back to the listener on port {port} within {timeout:g} s"
        hint = (
            "Duo sends the browser back once the push is answered. If it was, the browser "
            f"could not reach http://{listener.advertised_host}:{port}: on another machine, "
            f"forward the port first (ssh -L {port}:localhost:{port} <user>@<this-host>). "
            "If it was not, approve the push sooner or raise --timeout. If Duo's page said "
            f"'Unauthorized OIDC request' ({UNAUTHORIZED_OIDC}): {NOT_WEB_SDK_CAUSE}"
        )
    return DuoTimeout(
        message,
        hint=hint,
        data={
            "cause": cause,
            "waited_seconds": timeout,
            "listener_port": port,
            "requests_refused_by_listener": refused,
            "refused_by_reason": by_reason,
            "browser": browser.name,
        },
    )


def _callback_error(callback: Callback, username: str) -> DuoctlError:
    # The query string is the browser's word, not Duo's signed one: quote it cleaned and cut.
    error = safe_text(callback.error, limit=60)
    description = safe_text(callback.error_description or error, limit=300)
    if error == "access_denied":
        return DuoDenied(
            f"Duo denied the login for {username!r}: {description} ({error})",
            hint="see the Duo Admin Panel's authentication log for this user",
        )
    return DuoProtocolError(
        f"Duo ended the login with an error: {error}: {description}",
        hint="check the provider's Client ID and the redirect URI rules; see Duo's logs",
    )


def run_test_login(options: LoginOptions, deps: LoginDeps) -> LoginResult:
    config = load_config(deps.config_path)
    try:
        return _run_test_login(options, deps, config)
    except DuoUnreachable as exc:
        if exc.hint == OUTAGE_HINT:
            # Duo is down for the platform too: say what its users meet meanwhile.
            exc.hint = _outage_hint(config.external_mfa_failmode)
        raise


def _outage_hint(failmode: str | None) -> str:
    from duoctl.mfa import FAILMODE_CONSEQUENCE

    here = (
        f"this platform's failmode is {failmode}: {FAILMODE_CONSEQUENCE[failmode]}"
        if failmode in FAILMODE_CONSEQUENCE
        else "this platform's failmode is not set ('duoctl mfa failmode closed|open')"
    )
    return f"{OUTAGE_HINT}; {here}"


def _run_test_login(options: LoginOptions, deps: LoginDeps, config: Config) -> LoginResult:
    started = time.monotonic()
    provider = choose_provider(config, options.provider)
    deps.chosen(provider)
    if not provider.enabled:
        deps.progress.note(
            f"provider {provider.name!r} is disabled: testing it anyway; the platform does not "
            f"use it until 'duoctl provider enable {provider.name}'"
        )
    username = options.username or deps.login_name()
    if not username:
        raise ValidationError("no username: pass --username")
    if not options.username:
        # The login name is a guess at the Duo username: say so before Duo judges it.
        deps.progress.note(
            f"no --username: testing as {username!r}, this machine's login name; pass "
            "--username with the user's Duo username if it differs"
        )
    context = CallContext(provider=provider.name, ca_bundle=provider.ca_bundle, username=username)
    secret = _secret_for(deps, provider)
    _warn_about_proxy(deps, provider)
    _warn_about_exposure(deps, options.bind_hosts)

    # Bind before anything is opened or sent: the redirect URI must name a port we hold.
    with CallbackListener(
        port=options.port, bind_hosts=options.bind_hosts, advertised_host=options.advertised_host
    ) as listener:
        client = deps.client_factory(
            client_id=provider.client_id,
            client_secret=secret,
            host=provider.endpoint,
            redirect_uri=listener.redirect_uri,
            ca_bundle=provider.ca_bundle,
        )
        deps.progress.step(f"health check of {provider.endpoint}")
        health_check(
            client, host=provider.endpoint, timeout=options.network_timeout, context=context
        )

        state = secrets.token_hex(24)
        nonce = secrets.token_hex(24)
        auth_url = client.create_auth_url(username, state, nonce)
        listener.expect_state(state)
        browser = deps.browser_for(provider)
        deps.progress.show_url(auth_url, listener.port, browser.name)
        browser.open(auth_url)

        callback = _wait_for_callback(listener, browser, deps.progress, options.timeout, username)
        if callback.error is not None:
            raise _callback_error(callback, username)
        code = callback.code or ""
        deps.progress.step("exchanging the authorization code")
        try:
            claims = bounded(
                lambda: client.exchange_authorization_code_for_2fa_result(code, username, nonce),
                host=provider.endpoint,
                action="the code exchange",
                timeout=options.network_timeout,
                context=context,
            )
        except Exception:
            listener.finish(Verdict(False, "Login failed", "duoctl could not verify Duo's answer."))
            raise
        result = LoginResult.from_claims(
            claims,
            provider=provider.name,
            endpoint=provider.endpoint,
            username=username,
            round_trip=time.monotonic() - started,
        )
        if result.allowed:
            listener.finish(Verdict(True, "Duo login allowed", f"{username} was authenticated."))
        else:
            listener.finish(
                Verdict(False, "Duo login denied", result.status_msg or "Duo denied the login.")
            )
        return result
