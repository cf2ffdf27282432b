"""The failures Duo integrators meet in the field (issue 15), each produced by an emulator
fault and met through the installed console script, as an operator meets it: the message,
the fix and the exit code from the README's table, for test-login and for doctor."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from duoctl.emulator import Emulator
from duoctl.errors import ExitCode
from testlogin.conftest import Provider
from testlogin.helpers import (
    SUBPROCESS_TIMEOUT,
    Run,
    duoctl_env,
    free_port,
    get,
    jwt_payload,
    prompt_url,
    read_to_end,
    read_until_prompt,
    run_duoctl,
    start_test_login,
    stderr_lines,
)

pytestmark = pytest.mark.real_keyring

FAILMODE_WORDS = "the platform's failmode decides whether users are locked out"


def _error(run: Run) -> dict[str, Any]:
    envelope = json.loads(run.stdout)
    assert envelope["ok"] is False, run.stdout
    error: dict[str, Any] = envelope["error"]
    return error


def _doctor_check(provider: Provider, check: str) -> tuple[Run, dict[str, Any]]:
    result = run_duoctl("--config", provider.config, "doctor", "--json")
    envelope = json.loads(result.stdout)
    checks = envelope.get("data", envelope)["checks"]
    found = [c for c in checks if c["id"] == check and provider.name in c["scope"]]
    assert found, f"doctor reported no {check!r} check: {checks}"
    return result, found[0]


def _faults(emulator: Emulator, **changes: object) -> None:
    for name, value in changes.items():
        setattr(emulator.faults, name, value)


def _failed_login(provider: Provider, code: ExitCode, **faults: object) -> dict[str, Any]:
    """``test-login --json`` with ``faults`` on: its exit code checked, its envelope back
    (the error, with the envelope's data beside it)."""
    _faults(provider.emulator, **faults)
    result = provider.test_login("--port", str(free_port()), "--json")
    assert result.code == code, result.stderr
    error = _error(result)
    error["data"] = json.loads(result.stdout).get("data")
    return error


# ---- row 4: 429 and pages that are not Duo's JSON ------------------------------------------


def test_a_rate_limit_says_when_to_retry(provider: Provider) -> None:
    error = _failed_login(provider, ExitCode.DUO_UNREACHABLE, rate_limit=42)

    host = provider.emulator.api_host
    assert error["kind"] == "duo_rate_limited"
    assert error["message"] == (
        f"Duo rate limited the health check on {host} (HTTP 429, 42901 Too Many Requests): "
        "retry after 42 s"
    )
    assert error["hint"].startswith("wait, then run it again")
    assert error["data"]["retry_after_seconds"] == 42


def test_a_rate_limit_without_its_json_is_still_a_rate_limit(provider: Provider) -> None:
    # A front end that answers 429 with its own HTML page: the status alone says it.
    _faults(provider.emulator, rate_limit=5, non_json=True)

    result = provider.test_login("--port", str(free_port()))

    assert result.code == ExitCode.DUO_UNREACHABLE, result.stderr
    assert " ".join(result.stderr.split()).startswith(
        f"- health check of {provider.emulator.api_host} error: Duo rate limited the health "
        f"check on {provider.emulator.api_host} (HTTP 429): retry after 5 s"
    )


def test_doctor_names_the_rate_limit(provider: Provider) -> None:
    _faults(provider.emulator, rate_limit=9)

    result, check = _doctor_check(provider, "credentials")

    assert result.code == ExitCode.CHECKS_FAILED, result.stderr
    assert check["status"] == "fail"
    assert "(HTTP 429, 42901 Too Many Requests): retry after 9 s" in check["detail"]
    assert check["fix"].startswith("wait, then run it again")


@pytest.mark.parametrize("status", [502, 503])
def test_an_html_5xx_is_an_outage_with_the_failmode_consequence(
    provider: Provider, status: int
) -> None:
    error = _failed_login(provider, ExitCode.DUO_UNREACHABLE, status_5xx=status, non_json=True)

    assert error["message"] == (
        f"Duo, or the path to it, is failing: {provider.emulator.api_host} answered the "
        f"health check with HTTP {status} with an HTML page"
    )
    assert FAILMODE_WORDS in error["hint"]
    assert "captive portal" not in error["message"] + error["hint"]


def test_doctor_calls_an_html_5xx_an_outage(provider: Provider) -> None:
    _faults(provider.emulator, status_5xx=503, non_json=True)

    result, check = _doctor_check(provider, "credentials")

    assert result.code == ExitCode.CHECKS_FAILED, result.stderr
    assert "Duo, or the path to it, is failing" in check["detail"]
    assert FAILMODE_WORDS in check["fix"]


def test_the_outage_hint_names_this_platforms_failmode(provider: Provider) -> None:
    unset = _failed_login(provider, ExitCode.DUO_UNREACHABLE, status_5xx=503)
    assert unset["hint"].endswith(
        "this platform's failmode is not set ('duoctl mfa failmode closed|open')"
    )
    chosen = run_duoctl("--config", provider.config, "mfa", "failmode", "closed")
    assert chosen.code == 0, chosen.stderr

    closed = _failed_login(provider, ExitCode.DUO_UNREACHABLE, status_5xx=503)

    assert closed["hint"].endswith(
        "this platform's failmode is closed: while Duo cannot be reached, nobody can log in "
        "(users are locked out)"
    )


def test_a_json_5xx_is_an_outage_too(provider: Provider) -> None:
    _faults(provider.emulator, status_5xx=503)

    result = provider.test_login("--port", str(free_port()))

    assert result.code == ExitCode.DUO_UNREACHABLE, result.stderr
    assert "Duo reported a server error (HTTP 503) during the health check" in result.stderr
    assert FAILMODE_WORDS in result.stderr


def test_an_html_200_is_a_portal_or_interception(provider: Provider) -> None:
    # The emulator's health check answers 200; the fault turns its JSON into a page.
    error = _failed_login(provider, ExitCode.DUO_PROTOCOL, non_json=True)

    assert error["message"] == (
        f"{provider.emulator.api_host} answered the health check with something that is not "
        "Duo's API (an HTML page)"
    )
    assert error["hint"].startswith("a captive portal or a TLS-intercepting proxy answers")


# ---- row 2: a callback with another login's state ------------------------------------------


def test_a_callback_with_another_logins_state_is_reported_after_the_timeout(
    provider: Provider,
) -> None:
    proc = start_test_login(provider.config, provider.name, "--timeout", "3", "--json")
    seen: list[str] = []
    try:
        lines = stderr_lines(proc)
        read_until_prompt(lines, seen)
        # Where Duo would send the browser back: the redirect_uri inside the request JWT.
        request = parse_qs(urlsplit(prompt_url("".join(seen))).query)["request"][0]
        redirect = urlsplit(str(jwt_payload(request)["redirect_uri"]))
        stale = urlencode({"duo_code": "c" * 32, "state": "0" * 48})
        answer = get(redirect.port or 0, f"{redirect.path}?{stale}")
        assert answer.status == 400  # refused, and duoctl keeps waiting
        assert "does not belong to the login duoctl is waiting for" in answer.body
        read_to_end(lines, seen)
        stdout = proc.stdout.read() if proc.stdout else ""
        proc.wait(SUBPROCESS_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == ExitCode.TIMEOUT, "".join(seen)
    envelope = json.loads(stdout)
    assert envelope["error"]["message"] == (
        "a callback reached the listener with another login's state (1 time(s)), and none "
        "with this login's state came in 3 s"
    )
    assert envelope["error"]["hint"].startswith("two logins ran at once")
    assert "reused an old prompt URL" in envelope["error"]["hint"]
    assert envelope["data"]["cause"] == "state_mismatch"
    assert envelope["data"]["refused_by_reason"] == {"wrong_state": 1}


# ---- row 5: a clock behind Duo's, met by test-login -----------------------------------------


def test_a_clock_far_behind_duo_names_the_direction(provider: Provider) -> None:
    # Duo's id_token is issued 10 minutes in this machine's future: beyond the SDK's 60 s.
    error = _failed_login(provider, ExitCode.DUO_PROTOCOL, clock_skew=600.0)

    assert error["message"] == (
        "Duo's token is outside its validity window (the code exchange): this machine's "
        "clock is behind Duo's by more than 60 s"
    )
    assert error["hint"].startswith("synchronise this machine's clock (NTP")


# ---- row 1: keys of an application that is not a Web SDK one --------------------------------

NOT_WEB_SDK_WORDS = "keys from an Auth API or Admin API application are refused"


def test_keys_of_another_application_type_name_the_likely_cause(provider: Provider) -> None:
    error = _failed_login(provider, ExitCode.DUO_CREDENTIALS, not_web_sdk=True)

    assert error["message"] == (
        "Duo refused to show its prompt for this Client ID: the Duo prompt page answered "
        "HTTP 400: unauthorized_request (Unauthorized OIDC request)"
    )
    assert error["hint"].startswith("Keys from an Auth API or Admin API application")
    assert "Universal Prompt is activated" in error["hint"]
    assert error["data"]["cause"] == "not_web_sdk"


def test_a_person_who_saw_duos_refusal_is_told_what_it_means(provider: Provider) -> None:
    # Duo shows unauthorized_request on its own page: nothing comes back to duoctl.
    _faults(provider.emulator, not_web_sdk=True)

    result = provider.test_login("--port", str(free_port()), "--timeout", "1", browser="none")

    assert result.code == ExitCode.TIMEOUT, result.stderr
    flat = " ".join(result.stderr.split())
    assert "If Duo's page said 'Unauthorized OIDC request' (unauthorized_request):" in flat
    assert NOT_WEB_SDK_WORDS in flat


def test_doctor_names_the_application_type_when_duo_rejects_the_keys(
    provider: Provider,
) -> None:
    # Keys that "match the console" but Duo calls invalid_client: the type is a likely cause.
    rotated = run_duoctl(
        "--config",
        provider.config,
        "provider",
        "edit",
        provider.name,
        "--rotate-secret",
        "--client-secret-stdin",
        input="W" * 40 + "\n",
    )
    assert rotated.code == 0, rotated.stderr

    result, check = _doctor_check(provider, "credentials")

    assert result.code == ExitCode.CHECKS_FAILED, result.stderr
    assert check["status"] == "fail"
    assert NOT_WEB_SDK_WORDS in check["fix"]


# ---- row 6: which username was tested -------------------------------------------------------


def test_without_username_the_login_name_is_announced(provider: Provider) -> None:
    import getpass

    result = run_duoctl(
        "--config",
        provider.config,
        "test-login",
        provider.name,
        "--browser",
        "none",
        "--timeout",
        "1",
        "--port",
        str(free_port()),
    )

    assert result.code == ExitCode.TIMEOUT, result.stderr
    assert (
        f"no --username: testing as '{getpass.getuser()}', this machine's login name; pass "
        "--username with the user's Duo username if it differs"
    ) in " ".join(result.stderr.split())


# ---- row 3: interception or a stale pinned bundle, met by test-login ------------------------


@pytest.mark.parametrize("intercepted", [False, True])
def test_a_chain_the_pinned_bundle_refuses_is_explained(
    provider: Provider, intercepted: bool
) -> None:
    # Duo's pinned bundle (no ca_bundle) never holds the emulator's CA; SSL_CERT_FILE plays
    # this machine's CA store and holds it. With wrong_ca the leaf's CA is in neither.
    cleared = run_duoctl(
        "--config", provider.config, "provider", "edit", provider.name, "--clear-ca-bundle"
    )
    assert cleared.code == 0, cleared.stderr
    _faults(provider.emulator, wrong_ca=intercepted)
    env = duoctl_env(SSL_CERT_FILE=str(provider.emulator.ca_bundle))

    result = provider.test_login("--port", str(free_port()), "--json", env=env)

    assert result.code == ExitCode.DUO_UNREACHABLE, result.stderr
    error = _error(result)
    data = json.loads(result.stdout)["data"]
    assert data["pinned_bundle"].endswith("duo_universal/ca_certs.pem")
    if intercepted:
        assert data["issuer"].startswith("CN=duoctl emulator impostor CA ")
        assert "a CA that neither Duo's pinned CA bundle" in error["message"]
        assert error["hint"].startswith(f"a TLS-intercepting proxy or firewall ({data['issuer']})")
    else:
        assert (
            "trusted by this machine's CAs but not by Duo's pinned CA bundle" in (error["message"])
        )
        assert "update the Duo SDK (duo_universal" in error["hint"]


def test_a_captive_portal_is_named_by_its_redirect(provider: Provider) -> None:
    # The SDK follows the portal's redirect to its page; the second look sees the redirect.
    error = _failed_login(provider, ExitCode.DUO_PROTOCOL, captive_portal=True)

    assert error["message"] == (
        f"{provider.emulator.api_host} answered the health check with something that is not "
        "Duo's API (a redirect, HTTP 302)"
    )
    assert "log in to the network's portal" in error["hint"]
