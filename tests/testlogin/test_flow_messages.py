"""What test-login says, word for word: the errors, hints and progress lines a person reads
at the terminal, and the verdict page the browser shows. Fakes at every seam, as in
test_flow.py; these tests pin the exact words and structures (issue 16's mutation target)."""

from __future__ import annotations

import html
import re
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import certifi
import pytest
from duo_universal import DuoException

from duoctl.errors import (
    ConfigError,
    DuoCredentialsRejected,
    DuoctlError,
    DuoProtocolError,
    DuoTimeout,
    DuoUnreachable,
    SecretStoreError,
    ValidationError,
)
from duoctl.field_failures import NOT_WEB_SDK_CAUSE, OUTAGE_HINT, UNAUTHORIZED_OIDC
from duoctl.mfa import set_failmode
from duoctl.providers import add_provider, set_enabled
from duoctl.testlogin.flow import (
    LoginDeps,
    LoginOptions,
    _warn_about_exposure,
    run_test_login,
)
from support.real_components import require_real
from testlogin import test_flow
from testlogin.helpers import HttpAnswer, free_port, get, ipv6_loopback
from testlogin.test_flow import (
    CODE,
    ENDPOINT,
    OTHER_CLIENT_ID,
    OTHER_ENDPOINT,
    CallingBrowser,
    FakeDuo,
    IdleBrowser,
    RecordingProgress,
    StaleTabBrowser,
    StuckBrowser,
    WaitingAtDuoBrowser,
    World,
    WrongPathBrowser,
    claims,
)

world = test_flow.world  # the same fixture: a fresh config, store, fake Duo and browser
UNREACHABLE = "192.0.2.1"  # TEST-NET-1 (RFC 5737): never an address of this machine


def verdict_page(answer: HttpAnswer) -> tuple[int, str, str, str]:
    """(status, css class, title, detail) of a listener page: what the person sees."""
    found = re.search(r'<h1 class="(\w+)">(.*?)</h1><p>(.*?)</p>', answer.body)
    assert found is not None, answer.body
    css, title, detail = found.groups()
    return answer.status, css, html.unescape(title), html.unescape(detail)


def deps_for(world: World, **overrides: Any) -> LoginDeps:
    """The world's seams as LoginDeps, some replaced."""
    seams: dict[str, Any] = {
        "config_path": world.config,
        "secrets": world.store,
        "client_factory": world.duo,
        "browser_for": lambda _provider: world.browser,
        "progress": world.progress,
    }
    return LoginDeps(**(seams | overrides))


class WaitingProgress(RecordingProgress):
    def __init__(self) -> None:
        super().__init__()
        self.waits: list[tuple[float, float]] = []

    def waiting(self, elapsed: float, timeout: float) -> None:
        self.waits.append((elapsed, timeout))


# ---- provider choice and set-up --------------------------------------------------------


def test_no_enabled_provider_names_the_config_and_both_fixes(world: World) -> None:
    world.add("prod")
    set_enabled(world.config, "prod", False)

    with pytest.raises(ConfigError) as info:
        world.run()

    assert info.value.message == f"no enabled provider in {world.config}"
    assert info.value.hint == (
        "add one with 'duoctl provider add' or enable one with 'duoctl provider enable'"
    )


def test_several_enabled_providers_are_listed_and_the_fix_given(world: World) -> None:
    world.add("prod")
    world.add("staging", endpoint=OTHER_ENDPOINT, client_id=OTHER_CLIENT_ID)

    with pytest.raises(ValidationError) as info:
        world.run()

    assert info.value.message == (
        "several providers are enabled (prod, staging); say which one to test"
    )
    assert info.value.hint == "duoctl test-login PROVIDER"


def test_a_missing_secret_names_the_store_and_both_ways_out(world: World) -> None:
    world.add("prod")
    world.store.delete("prod")

    with pytest.raises(SecretStoreError) as info:
        world.run()

    label = world.store.backend().label
    assert info.value.message == f"provider 'prod' has no Client Secret in {label}"
    assert info.value.hint == (
        "store it with: duoctl provider edit prod --rotate-secret; or test with a secret "
        "for this run only: --client-secret-stdin"
    )


def test_no_username_and_no_login_name_is_refused(world: World) -> None:
    world.add("prod")
    deps = deps_for(world, login_name=lambda: "")
    with pytest.raises(ValidationError) as info:
        run_test_login(LoginOptions(timeout=10.0, network_timeout=10.0), deps)

    assert info.value.message == "no username: pass --username"
    assert world.browser.opened == []


@pytest.mark.parametrize(
    ("hosts", "warned"),
    [
        (("127.0.0.1", "::1"), []),
        (("localhost", "[::1]", "127.0.0.2"), []),
        ((UNREACHABLE, "::1"), [UNREACHABLE]),
        (("0.0.0.0", "::"), ["0.0.0.0", "::"]),
    ],
)
def test_only_binds_off_loopback_are_warned_about(
    world: World, hosts: tuple[str, ...], warned: list[str]
) -> None:
    deps = deps_for(world)

    _warn_about_exposure(deps, hosts)

    assert world.progress.warnings == [
        f"the callback listener binds {host}, which is not loopback: other machines can "
        "reach it while it waits (state and Host checks still apply)"
        for host in warned
    ]


def test_a_bind_address_that_is_not_this_machines_warns_then_fails(world: World) -> None:
    world.add("prod")

    with pytest.raises(ValidationError, match=r"^cannot open the local callback listener: "):
        world.run(bind_hosts=(UNREACHABLE,))

    assert len(world.progress.warnings) == 1
    assert world.progress.warnings[0].startswith(f"the callback listener binds {UNREACHABLE},")
    assert world.duo.health_checks == 0


# ---- what the run is given and reports -------------------------------------------------


class RecordingDuo(FakeDuo):
    """Also records the prompt URL's parameters."""

    def create_auth_url(self, username: str, state: str, nonce: str | None = None) -> str:
        self.auth_params = {"username": username, "state": state, "nonce": nonce}
        return super().create_auth_url(username, state, nonce)


def test_the_listener_options_reach_the_listener_and_the_redirect_uri(world: World) -> None:
    require_real("IPv6 loopback", ipv6_loopback(), "this machine has no ::1")
    world.add("prod")
    port = free_port()
    refused_on_v6: list[bool] = []

    class V4OnlyBrowser(CallingBrowser):
        def open(self, url: str) -> None:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
                refused_on_v6.append(probe.connect_ex(("::1", port)) != 0)
            super().open(url)

    world.browser = V4OnlyBrowser()
    given: list[str] = []
    deps = deps_for(
        world, browser_for=lambda provider: given.append(provider.name) or world.browser
    )
    result = run_test_login(
        LoginOptions(
            username="alice",
            port=port,
            bind_hosts=("127.0.0.1",),
            advertised_host="127.0.0.1",
            timeout=10.0,
            network_timeout=10.0,
        ),
        deps,
    )

    assert result.allowed
    assert given == ["prod"]
    assert refused_on_v6 == [True]
    redirect_uri = world.duo.built_with["redirect_uri"]
    assert redirect_uri.startswith(f"http://127.0.0.1:{port}/duoctl/callback/")
    assert world.progress.urls[0][1] == port


def test_the_prompt_gets_the_username_and_fresh_state_and_nonce(world: World) -> None:
    world.add("prod")
    world.duo = RecordingDuo()
    first = world.run()
    params_first = world.duo.auth_params
    world.browser = CallingBrowser()
    world.run()
    params_second = world.duo.auth_params

    assert first.allowed
    assert params_first["username"] == "alice"
    query = parse_qs(urlsplit(world.progress.urls[0][0]).query)
    assert query["duo_uname"] == ["alice"]
    assert query["state"] == [params_first["state"]]
    # 24 random bytes each, hex: never reused from one run to the next.
    for params in (params_first, params_second):
        assert re.fullmatch(r"[0-9a-f]{48}", params["state"])
        assert re.fullmatch(r"[0-9a-f]{48}", params["nonce"])
    assert params_first["state"] != params_second["state"]
    assert params_first["nonce"] != params_second["nonce"]


def test_the_result_and_the_progress_lines_of_an_allowed_login(world: World) -> None:
    world.add("prod")
    before = time.monotonic()
    result = world.run()
    after = time.monotonic()

    assert (result.provider, result.endpoint, result.username) == ("prod", ENDPOINT, "alice")
    # Measured inside the run: never negative, never more than the run itself took.
    assert 0 <= result.round_trip_seconds <= after - before
    assert world.progress.steps == [
        f"health check of {ENDPOINT}",
        "exchanging the authorization code",
    ]
    assert verdict_page(world.browser.page()) == (
        200,
        "ok",
        "Duo login allowed",
        "alice was authenticated.",
    )


@pytest.mark.parametrize(
    ("status_msg", "detail"),
    [("Login denied", "Login denied"), ("", "Duo denied the login.")],
)
def test_a_denied_login_shows_duos_words_or_a_default(
    world: World, status_msg: str, detail: str
) -> None:
    world.add("prod")
    denied = claims(status="deny")
    denied["auth_result"]["status_msg"] = status_msg
    world.duo.exchange_result = denied

    result = world.run()

    assert not result.allowed
    assert verdict_page(world.browser.page()) == (200, "fail", "Duo login denied", detail)


def test_a_failed_exchange_shows_that_the_answer_could_not_be_verified(world: World) -> None:
    world.add("prod")
    world.duo.exchange_result = DuoException("The nonce is invalid.")

    with pytest.raises(DuoProtocolError):
        world.run()

    assert verdict_page(world.browser.page()) == (
        200,
        "fail",
        "Login failed",
        "duoctl could not verify Duo's answer.",
    )


def test_a_username_duo_spells_differently_names_the_one_sent(world: World) -> None:
    world.add("prod")
    world.duo.exchange_result = DuoException("The username is invalid.")

    with pytest.raises(DuoProtocolError) as info:
        world.run()

    assert info.value.message.startswith(
        "Duo's answer names another user than 'alice' (the code exchange): "
    )


# ---- the provider's own CA bundle, named in errors -------------------------------------


class MissingBundleDuo(FakeDuo):
    """requests' words when the CA bundle it was given has gone (at one call or the other)."""

    def __init__(self, bundle: str, fail_at: str) -> None:
        super().__init__()
        self.bundle = bundle
        self.fail_at = fail_at

    def _missing(self) -> OSError:
        return OSError(
            "Could not find a suitable TLS CA certificate bundle, invalid path: " + self.bundle
        )

    def health_check(self) -> dict[str, Any]:
        if self.fail_at == "health":
            raise self._missing()
        return super().health_check()

    def exchange_authorization_code_for_2fa_result(
        self, duoCode: str, username: str, nonce: str | None = None
    ) -> dict[str, Any]:
        raise self._missing()


@pytest.mark.parametrize(
    ("fail_at", "action"),
    [("health", "the health check"), ("exchange", "the code exchange")],
)
def test_a_vanished_ca_bundle_is_named_with_the_providers_fix(
    world: World, tmp_path: Path, fail_at: str, action: str
) -> None:
    bundle = tmp_path / "ca.pem"
    shutil.copyfile(certifi.where(), bundle)
    add_provider(
        world.config,
        world.store,
        name="prod",
        endpoint=ENDPOINT,
        client_id="DIABCDEFGHIJKLMNOPQR",
        client_secret="s3cr3tS3CR3Ts3cr3tS3CR3Ts3cr3tS3CR3Tabcd",
        ca_bundle=str(bundle),
    )
    world.duo = MissingBundleDuo(str(bundle), fail_at)

    with pytest.raises(DuoUnreachable) as info:
        world.run()

    assert world.duo.built_with["ca_bundle"] == str(bundle)
    assert info.value.message == (
        f"cannot use the CA bundle {bundle} for {ENDPOINT} during {action}: no such file"
    )
    assert info.value.hint == "give a readable PEM file: duoctl provider edit prod --ca-bundle FILE"


class HangingHealthDuo(FakeDuo):
    def health_check(self) -> dict[str, Any]:
        time.sleep(3.0)
        return super().health_check()


def test_a_hanging_health_check_is_bounded_by_the_network_timeout(world: World) -> None:
    world.add("prod")
    world.duo = HangingHealthDuo()

    with pytest.raises(DuoTimeout) as info:
        world.run(network_timeout=0.5)

    assert info.value.message == f"{ENDPOINT} did not answer the health check within 0.5 s"
    assert world.browser.opened == []


# ---- the callback's own error ----------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"error": "access_denied", "error_description": "The user is locked out."},
            "Duo denied the login for 'alice': The user is locked out. (access_denied)",
        ),
        (
            {"error": "server_error"},
            "Duo ended the login with an error: server_error: server_error",
        ),
        (
            # The browser's query string is quoted cut: 60 characters for the error, 300 for
            # its description, the last one an ellipsis.
            {"error": "e" * 61, "error_description": "d" * 301},
            f"Duo ended the login with an error: {'e' * 59}\u2026: {'d' * 299}\u2026",
        ),
        (
            {"error": "e" * 60, "error_description": "d" * 300},
            f"Duo ended the login with an error: {'e' * 60}: {'d' * 300}",
        ),
    ],
)
def test_an_error_on_the_redirect_is_quoted_cleaned_and_cut(
    world: World, params: dict[str, str], message: str
) -> None:
    world.add("prod")
    world.browser = CallingBrowser(lambda state: {**params, "state": state})

    with pytest.raises(DuoctlError) as info:
        world.run()

    assert info.value.message == message
    assert info.value.hint == (
        "see the Duo Admin Panel's authentication log for this user"
        if params["error"] == "access_denied"
        else "check the provider's Client ID and the redirect URI rules; see Duo's logs"
    )
    assert world.duo.exchanged == []


# ---- waiting, and what a timeout says --------------------------------------------------


class UnauthorizedBrowser(StuckBrowser):
    def failure(self) -> str | None:
        return f"Duo's page said {UNAUTHORIZED_OIDC}" if self.opened.is_set() else None


@pytest.mark.parametrize(
    ("browser", "expected"),
    [
        (
            StuckBrowser,
            DuoProtocolError(
                "the login cannot complete: the Duo prompt page answered HTTP 400",
                hint="check the username 'alice' (Duo, and the emulator, answer an unknown "
                "user as the New User Policy says: an enrollment page, or a refusal), or use "
                "--browser system to see the page",
            ),
        ),
        (
            UnauthorizedBrowser,
            DuoCredentialsRejected(
                "Duo refused to show its prompt for this Client ID: Duo's page said "
                f"{UNAUTHORIZED_OIDC}",
                hint=NOT_WEB_SDK_CAUSE[0].upper() + NOT_WEB_SDK_CAUSE[1:],
                data={"cause": "not_web_sdk"},
            ),
        ),
    ],
)
def test_a_prompt_that_cannot_finish_ends_the_wait_saying_why(
    world: World, browser: type[StuckBrowser], expected: DuoctlError
) -> None:
    world.add("prod")
    world.browser = browser()

    with pytest.raises(type(expected)) as info:
        world.run(timeout=60)

    got = info.value
    assert (got.message, got.hint, got.data) == (expected.message, expected.hint, expected.data)


def test_waiting_reports_progress_within_the_timeout(world: World) -> None:
    world.add("prod")
    world.browser = IdleBrowser()
    world.progress = WaitingProgress()

    with pytest.raises(DuoTimeout):
        world.run(timeout=0.5)

    assert world.progress.waits
    for elapsed, timeout in world.progress.waits:
        assert timeout == 0.5
        assert 0 <= elapsed < timeout


class LateBrowser(IdleBrowser):
    """Comes back with the valid callback just as duoctl gives up (when the flow asks it
    whether Duo sent it back): the page it gets must say the wait ended."""

    name = "late"

    def __init__(self) -> None:
        self.answers: list[HttpAnswer] = []

    def open(self, url: str) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        redirect = urlsplit(query["redirect_uri"])
        self._port = redirect.port or 0
        self._target = f"{redirect.path}?{urlencode({'duo_code': CODE, 'state': query['state']})}"

    def sent_back(self) -> bool | None:
        self.answers.append(get(self._port, self._target))
        return None


def test_a_callback_after_the_timeout_gets_a_timed_out_page(world: World) -> None:
    world.add("prod")
    world.browser = LateBrowser()

    with pytest.raises(DuoTimeout):
        world.run(timeout=0.3)

    assert [verdict_page(a) for a in world.browser.answers] == [
        (200, "fail", "Timed out", "duoctl stopped waiting for Duo.")
    ]
    assert world.duo.exchanged == []


def _hint_nothing_came_back(port: int) -> str:
    return (
        "Duo sends the browser back once the push is answered. If it was, the browser could "
        f"not reach http://localhost:{port}: on another machine, forward the port first "
        f"(ssh -L {port}:localhost:{port} <user>@<this-host>). If it was not, approve the push "
        f"sooner or raise --timeout. If Duo's page said 'Unauthorized OIDC request' "
        f"({UNAUTHORIZED_OIDC}): {NOT_WEB_SDK_CAUSE}"
    )


@pytest.mark.parametrize(
    ("browser", "cause", "refused", "hint"),
    [
        (
            WaitingAtDuoBrowser,
            "duo_never_answered",
            {},
            "approve the push sooner, or raise --timeout (Duo drops the request after 5 minutes)",
        ),
        (
            StaleTabBrowser,
            "state_mismatch",
            {"wrong_state": 1},
            "two logins ran at once (another test-login, or the platform's own login in the "
            "same browser), or the browser reused an old prompt URL: run one login at a time "
            "and open the URL this run printed",
        ),
        (
            WrongPathBrowser,
            "no_valid_callback",
            {"wrong_path": 1},
            "open the URL this run printed and let it finish (a tab from an earlier run "
            "carries another login's state); the page the browser shows says what was wrong",
        ),
        (IdleBrowser, "browser_never_came_back", {}, _hint_nothing_came_back),
    ],
)
def test_a_timeout_says_which_side_went_quiet_and_what_to_do(
    world: World,
    browser: type[IdleBrowser],
    cause: str,
    refused: dict[str, int],
    hint: str | Callable[[int], str],
) -> None:
    world.add("prod")
    world.browser = browser()

    with pytest.raises(DuoTimeout) as info:
        world.run(timeout=0.5)

    port = world.progress.urls[0][1]
    assert info.value.hint == (hint if isinstance(hint, str) else hint(port))
    assert info.value.data == {
        "cause": cause,
        "waited_seconds": 0.5,
        "listener_port": port,
        "requests_refused_by_listener": sum(refused.values()),
        "refused_by_reason": refused,
        "browser": browser.name,
    }
    if cause == "duo_never_answered":
        assert info.value.message == (
            "Duo never answered within 0.5 s: its prompt was still waiting for the push to "
            "be approved or denied"
        )


class DownDuo(FakeDuo):
    """Duo, or the path to it, failing (as a 5xx page is classified)."""

    def health_check(self) -> dict[str, Any]:
        raise DuoUnreachable(f"Duo, or the path to it, is failing: {ENDPOINT}", hint=OUTAGE_HINT)


@pytest.mark.parametrize(
    ("failmode", "consequence"),
    [
        (None, "this platform's failmode is not set ('duoctl mfa failmode closed|open')"),
        (
            "closed",
            "this platform's failmode is closed: while Duo cannot be reached, nobody can log "
            "in (users are locked out)",
        ),
        (
            "open",
            "this platform's failmode is open: while Duo cannot be reached, users log in with "
            "their password alone, without a second factor",
        ),
    ],
)
def test_an_outage_says_what_this_platforms_users_meet_meanwhile(
    world: World, failmode: str | None, consequence: str
) -> None:
    world.add("prod")
    if failmode is not None:
        set_failmode(world.config, failmode)
    world.duo = DownDuo()

    with pytest.raises(DuoUnreachable) as info:
        world.run()

    assert info.value.hint == f"{OUTAGE_HINT}; {consequence}"


def test_without_username_the_login_name_is_tried_with_a_note(world: World) -> None:
    world.add("prod")
    deps = deps_for(world, login_name=lambda: "bob")

    result = run_test_login(LoginOptions(timeout=10.0, network_timeout=10.0), deps)

    assert result.username == "bob"
    assert world.duo.exchanged == [(CODE, "bob", world.duo.exchanged[0][2])]
    assert world.progress.notes == [
        "no --username: testing as 'bob', this machine's login name; pass --username with "
        "the user's Duo username if it differs"
    ]


def test_claims_without_a_username_report_the_one_tested(world: World) -> None:
    # duo_universal checks preferred_username itself; without one the name sent stands.
    world.add("prod")
    world.duo.exchange_result = {k: v for k, v in claims().items() if k != "preferred_username"}

    assert world.run().username == "alice"
