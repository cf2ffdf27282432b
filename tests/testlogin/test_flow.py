"""The test-login flow with fakes at every seam: a fake Duo client, a fake browser that
performs the callback itself over a real loopback socket, an in-memory secret store."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from duo_universal import DuoException

from duoctl.config.model import Provider
from duoctl.errors import (
    ConfigError,
    DuoCredentialsRejected,
    DuoDenied,
    DuoProtocolError,
    DuoTimeout,
    DuoUnreachable,
    SecretStoreError,
    ValidationError,
)
from duoctl.providers import add_provider, set_enabled
from duoctl.secrets.memory import MemorySecretStore
from duoctl.testlogin.flow import LoginDeps, LoginOptions, run_test_login
from duoctl.testlogin.progress import Progress
from testlogin.helpers import HttpAnswer, get

ENDPOINT = "api-1234abcd.duosecurity.com"
OTHER_ENDPOINT = "api-5678abcd.duosecurity.com"
CLIENT_ID = "DIABCDEFGHIJKLMNOPQR"
OTHER_CLIENT_ID = "DIZYXWVUTSRQPONMLKJI"
SECRET = "s3cr3tS3CR3Ts3cr3tS3CR3Ts3cr3tS3CR3Tabcd"
CODE = "fake-duo-code-0123456789"
WAIT = 10.0


def claims(username: str = "alice", status: str = "allow") -> dict[str, Any]:
    return {
        "preferred_username": username,
        "auth_time": 1_700_000_000,
        "auth_result": {
            "result": status,
            "status": status,
            "status_msg": "Login Successful" if status == "allow" else "Login denied",
        },
        "auth_context": {"factor": "duo_push", "reason": "user_approved", "txid": "tx-1"},
    }


@dataclass
class FakeDuo:
    """Implements the DuoClient protocol, and is its own factory (records what it was given)."""

    exchange_result: dict[str, Any] | BaseException | None = None
    exchange_delay: float = 0.0
    built_with: dict[str, Any] = field(default_factory=dict)
    exchanged: list[tuple[str, str, str | None]] = field(default_factory=list)
    nonces_sent: list[str | None] = field(default_factory=list)
    health_checks: int = 0

    def __call__(
        self,
        *,
        client_id: str,
        client_secret: str,
        host: str,
        redirect_uri: str,
        ca_bundle: str | None,
    ) -> FakeDuo:
        self.built_with = {
            "client_id": client_id,
            "client_secret": client_secret,
            "host": host,
            "redirect_uri": redirect_uri,
            "ca_bundle": ca_bundle,
        }
        return self

    def health_check(self) -> dict[str, Any]:
        self.health_checks += 1
        return {"stat": "OK", "response": {"timestamp": int(time.time())}}

    def create_auth_url(self, username: str, state: str, nonce: str | None = None) -> str:
        self.nonces_sent.append(nonce)
        query = urlencode(
            {
                "redirect_uri": self.built_with["redirect_uri"],
                "state": state,
                "duo_uname": username,
            }
        )
        return f"https://{self.built_with['host']}/oauth/v1/authorize?{query}"

    def exchange_authorization_code_for_2fa_result(
        self, duoCode: str, username: str, nonce: str | None = None
    ) -> dict[str, Any]:
        self.exchanged.append((duoCode, username, nonce))
        if self.exchange_delay:
            time.sleep(self.exchange_delay)
        result = self.exchange_result if self.exchange_result is not None else claims(username)
        if isinstance(result, BaseException):
            raise result
        return result


class CallingBrowser:
    """A 'browser' that does what Duo's redirect makes a real one do: GET the callback."""

    name = "fake"

    def __init__(self, params: Callable[[str], dict[str, str]] | None = None) -> None:
        self._params = params or (lambda state: {"duo_code": CODE, "state": state})
        self.opened: list[str] = []
        self.answers: list[HttpAnswer] = []
        self._thread: threading.Thread | None = None

    def open(self, url: str) -> None:
        self.opened.append(url)
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        redirect = urlsplit(query["redirect_uri"])
        assert redirect.port is not None
        target = f"{redirect.path}?{urlencode(self._params(query['state']))}"

        def visit() -> None:
            self.answers.append(get(redirect.port or 0, target))

        self._thread = threading.Thread(target=visit, daemon=True)
        self._thread.start()

    def failure(self) -> str | None:
        return None

    def sent_back(self) -> bool | None:
        return None  # like a person's browser: the flow cannot see where Duo sent it

    def page(self) -> HttpAnswer:
        assert self._thread is not None
        self._thread.join(WAIT)
        return self.answers[0]


class IdleBrowser:
    name = "idle"

    def open(self, url: str) -> None:
        return None

    def failure(self) -> str | None:
        return None

    def sent_back(self) -> bool | None:
        return None


class StuckBrowser(IdleBrowser):
    """Like the built-in follower when the prompt answers with an error page."""

    name = "stuck"

    def __init__(self) -> None:
        self.opened = threading.Event()

    def open(self, url: str) -> None:
        self.opened.set()

    def failure(self) -> str | None:
        return "the Duo prompt page answered HTTP 400" if self.opened.is_set() else None


class RecordingProgress(Progress):
    def __init__(self) -> None:
        self.steps: list[str] = []
        self.warnings: list[str] = []
        self.notes: list[str] = []
        self.urls: list[tuple[str, int, str]] = []

    def step(self, message: str) -> None:
        self.steps.append(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def note(self, message: str) -> None:
        self.notes.append(message)

    def show_url(self, url: str, listener_port: int, opened_with: str) -> None:
        self.urls.append((url, listener_port, opened_with))


@dataclass
class World:
    config: Path
    store: MemorySecretStore
    duo: FakeDuo
    browser: Any
    progress: RecordingProgress
    environ: dict[str, str]
    chosen: list[Provider] = field(default_factory=list)

    def add(self, name: str, endpoint: str = ENDPOINT, client_id: str = CLIENT_ID) -> None:
        add_provider(
            self.config,
            self.store,
            name=name,
            endpoint=endpoint,
            client_id=client_id,
            client_secret=SECRET,
        )

    def run(self, provider: str | None = None, **options: Any) -> Any:
        deps = LoginDeps(
            config_path=self.config,
            secrets=self.store,
            client_factory=self.duo,
            browser_for=lambda _provider: self.browser,
            progress=self.progress,
            environ=self.environ,
            chosen=self.chosen.append,
        )
        options.setdefault("username", "alice")
        # Never the real 240 s / network defaults: a flow bug must fail a test, not hang it.
        options.setdefault("timeout", 10.0)
        options.setdefault("network_timeout", 10.0)
        return run_test_login(LoginOptions(provider=provider, **options), deps)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(
        config=tmp_path / "cfg" / "config.toml",
        store=MemorySecretStore(),
        duo=FakeDuo(),
        browser=CallingBrowser(),
        progress=RecordingProgress(),
        environ={},
    )


# ---- provider choice -------------------------------------------------------------------


def test_the_only_enabled_provider_is_chosen(world: World) -> None:
    world.add("prod")
    world.add("old", endpoint=OTHER_ENDPOINT, client_id=OTHER_CLIENT_ID)
    set_enabled(world.config, "old", False)

    result = world.run()

    assert result.allowed
    assert result.provider == "prod"
    # The caller is told which provider the login used (test-login --explain needs its
    # Client ID after a failure, without reading the config again).
    assert [(p.name, p.client_id, p.endpoint) for p in world.chosen] == [
        ("prod", CLIENT_ID, ENDPOINT)
    ]
    assert world.duo.built_with["client_id"] == CLIENT_ID
    assert world.duo.built_with["client_secret"] == SECRET
    assert world.duo.built_with["host"] == ENDPOINT
    # The exchange gets the very nonce the prompt was opened with (duo_universal compares it
    # with the id_token's only when it is given one).
    [nonce] = world.duo.nonces_sent
    assert nonce is not None
    assert len(nonce) >= 16
    assert world.duo.exchanged == [(CODE, "alice", nonce)]
    assert world.duo.health_checks == 1
    page = world.browser.page()
    assert page.status == 200
    assert "Duo login allowed" in page.body
    assert CODE not in page.body


def test_several_enabled_providers_are_ambiguous(world: World) -> None:
    world.add("prod")
    world.add("staging", endpoint=OTHER_ENDPOINT, client_id=OTHER_CLIENT_ID)

    with pytest.raises(ValidationError, match="several providers are enabled") as info:
        world.run()

    assert "prod" in info.value.message
    assert "staging" in info.value.message
    assert world.browser.opened == []


def test_a_disabled_provider_named_explicitly_is_tested_with_a_note(world: World) -> None:
    world.add("prod")
    set_enabled(world.config, "prod", False)

    result = world.run("prod")

    assert result.allowed
    assert result.provider == "prod"
    assert world.progress.notes == [
        "provider 'prod' is disabled: testing it anyway; the platform does not use it until "
        "'duoctl provider enable prod'"
    ]


def test_an_enabled_provider_named_explicitly_gets_no_note(world: World) -> None:
    world.add("prod")

    world.run("prod")

    assert world.progress.notes == []


def test_no_enabled_provider_is_a_config_error(world: World) -> None:
    world.add("prod")
    set_enabled(world.config, "prod", False)

    with pytest.raises(ConfigError, match="no enabled provider"):
        world.run()


def test_no_config_at_all_is_a_config_error(world: World) -> None:
    with pytest.raises(ConfigError):
        world.run()


def test_a_missing_secret_is_a_secret_store_error(world: World) -> None:
    world.add("prod")
    world.store.delete("prod")

    with pytest.raises(SecretStoreError, match="no Client Secret") as info:
        world.run()

    assert info.value.hint is not None
    assert "--rotate-secret" in info.value.hint
    assert world.duo.health_checks == 0


# ---- proxies ---------------------------------------------------------------------------


def test_a_proxy_in_the_environment_is_warned_about_without_its_password(world: World) -> None:
    world.add("prod")
    world.environ["HTTPS_PROXY"] = "http://user:hunter2@proxy.internal:3128"

    world.run()

    assert len(world.progress.warnings) == 1
    warning = world.progress.warnings[0]
    assert "HTTPS_PROXY=http://***@proxy.internal:3128" in warning
    assert "hunter2" not in warning
    assert f"add {ENDPOINT} to NO_PROXY" in warning


@pytest.mark.parametrize("no_proxy", [ENDPOINT, ".duosecurity.com", "duosecurity.com", "*"])
def test_no_proxy_covering_the_host_silences_the_warning(world: World, no_proxy: str) -> None:
    world.add("prod")
    world.environ.update({"HTTPS_PROXY": "http://proxy.internal:3128", "NO_PROXY": no_proxy})

    world.run()

    assert world.progress.warnings == []


def test_no_proxy_for_another_domain_still_warns(world: World) -> None:
    world.add("prod")
    world.environ.update({"https_proxy": "http://proxy.internal:3128", "no_proxy": "example.com"})

    world.run()

    assert len(world.progress.warnings) == 1


# ---- answers from Duo ------------------------------------------------------------------


def test_deny_in_the_token_is_a_denied_result(world: World) -> None:
    world.add("prod")
    world.duo.exchange_result = claims(status="deny")

    result = world.run()

    assert not result.allowed
    assert result.status == "deny"
    page = world.browser.page()
    assert "Duo login denied" in page.body
    assert "Login denied" in page.body


def test_access_denied_on_the_redirect_is_duo_denied(world: World) -> None:
    world.add("prod")
    world.browser = CallingBrowser(
        lambda state: {
            "error": "access_denied",
            "error_description": "The user is locked out.",
            "state": state,
        }
    )

    with pytest.raises(DuoDenied, match="The user is locked out") as info:
        world.run()

    assert info.value.exit_code == 6
    assert world.duo.exchanged == []  # no code, nothing to exchange


def test_no_callback_within_the_timeout_is_duo_timeout(world: World) -> None:
    world.add("prod")
    world.browser = IdleBrowser()

    with pytest.raises(DuoTimeout, match="the browser never came back to the listener"):
        world.run(timeout=0.5)

    url, port, opened_with = world.progress.urls[0]
    assert opened_with == "idle"
    assert f"localhost%3A{port}" in url


def _redirect_uri(url: str) -> tuple[int, str]:
    """The listener's port and path, from a prompt URL's redirect_uri."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    redirect = urlsplit(query["redirect_uri"])
    return redirect.port or 0, redirect.path


class StaleTabBrowser(IdleBrowser):
    """Comes back to the listener at once, but with another login's state (an old tab)."""

    name = "stale"

    def open(self, url: str) -> None:
        port, path = _redirect_uri(url)
        target = f"{path}?{urlencode({'duo_code': CODE, 'state': 'another-login'})}"
        assert get(port, target).status == 400  # refused; the wait goes on


class WaitingAtDuoBrowser(IdleBrowser):
    """Like the built-in follower on a prompt whose push nobody answers."""

    name = "follow"

    def sent_back(self) -> bool | None:
        return False


def test_a_timeout_with_nothing_at_the_listener_says_the_browser_never_came_back(
    world: World,
) -> None:
    world.add("prod")
    world.browser = IdleBrowser()

    with pytest.raises(DuoTimeout) as info:
        world.run(timeout=0.5)

    port = world.progress.urls[0][1]
    assert info.value.message == (
        f"the browser never came back to the listener on port {port} within 0.5 s"
    )
    assert info.value.data is not None
    assert info.value.data["cause"] == "browser_never_came_back"
    assert info.value.hint is not None
    assert f"ssh -L {port}:localhost:{port}" in info.value.hint


class WrongPathBrowser(IdleBrowser):
    """Comes back to the listener's port, but not to its one-time path."""

    name = "wrong-path"

    def open(self, url: str) -> None:
        port, _ = _redirect_uri(url)
        assert get(port, "/duoctl/callback/0000?state=x").status == 404


@pytest.mark.parametrize(
    ("browser", "message", "cause", "reason"),
    [
        (
            StaleTabBrowser,
            "a callback reached the listener with another login's state (1 time(s)), and "
            "none with this login's state came in 0.5 s",
            "state_mismatch",
            "wrong_state",
        ),
        (
            WrongPathBrowser,
            "the browser came back to the listener, but never with this login's callback: "
            "1 request(s) refused (wrong path, state or Host) in 0.5 s",
            "no_valid_callback",
            "wrong_path",
        ),
    ],
)
def test_a_timeout_after_refused_requests_says_how_the_browser_came_back_wrong(
    world: World, browser: type[IdleBrowser], message: str, cause: str, reason: str
) -> None:
    world.add("prod")
    world.browser = browser()

    with pytest.raises(DuoTimeout) as info:
        world.run(timeout=0.5)

    assert info.value.message == message
    assert info.value.data is not None
    assert info.value.data["cause"] == cause
    assert info.value.data["requests_refused_by_listener"] == 1
    assert info.value.data["refused_by_reason"] == {reason: 1}
    assert world.duo.exchanged == []


def test_a_timeout_while_the_follower_waits_at_duo_says_duo_never_answered(
    world: World,
) -> None:
    world.add("prod")
    world.browser = WaitingAtDuoBrowser()

    with pytest.raises(DuoTimeout, match=r"^Duo never answered within 0\.5 s") as info:
        world.run(timeout=0.5)

    assert info.value.data is not None
    assert info.value.data["cause"] == "duo_never_answered"


@pytest.mark.parametrize(
    ("raised", "expected", "message"),
    [
        (
            DuoException(
                {"error": "invalid_grant", "error_description": "The provided grant is invalid"}
            ),
            DuoProtocolError,
            "refused the authorization code",
        ),
        (
            DuoException({"error": "invalid_client", "error_description": "bad assertion"}),
            DuoCredentialsRejected,
            "rejected the Client ID",
        ),
        (
            DuoException(requests.exceptions.SSLError("CERTIFICATE_VERIFY_FAILED")),
            DuoUnreachable,
            "certificate could not be verified",
        ),
        (
            DuoException(requests.exceptions.ConnectionError("connection refused")),
            DuoUnreachable,
            "cannot connect to",
        ),
        (DuoException("The username is invalid."), DuoProtocolError, "another user"),
        (DuoException("The nonce is invalid."), DuoProtocolError, "nonce"),
        (ValueError("Expecting value: line 1 column 1"), DuoProtocolError, "not Duo's API"),
    ],
)
def test_exchange_failures_are_classified(
    world: World, raised: BaseException, expected: type[Exception], message: str
) -> None:
    world.add("prod")
    world.duo.exchange_result = raised

    with pytest.raises(expected, match=message) as info:
        world.run()

    assert CODE not in str(info.value)
    page = world.browser.page()
    assert "Login failed" in page.body


def test_a_hanging_exchange_is_bounded_by_the_network_timeout(world: World) -> None:
    world.add("prod")
    world.duo.exchange_delay = 3.0

    with pytest.raises(DuoTimeout, match=r"did not answer the code exchange within 0\.5 s"):
        world.run(network_timeout=0.5)

    assert "Login failed" in world.browser.page().body


def test_a_browser_that_cannot_reach_the_callback_ends_the_wait_early(world: World) -> None:
    world.add("prod")
    world.browser = StuckBrowser()
    # Without the early end this would wait out the timeout and raise DuoTimeout instead.
    with pytest.raises(DuoProtocolError, match="HTTP 400") as caught:
        world.run(timeout=60)
    assert caught.value.hint is not None
    assert "check the username 'alice'" in caught.value.hint
