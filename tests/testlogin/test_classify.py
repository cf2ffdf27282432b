"""``classify`` on what requests and urllib3 really raise: each exception here comes from a real
call on loopback (a CA file that is missing or holds no certificate, a proxy port that
refuses, a proxy that answers 403), wrapped as duo_universal wraps it."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import requests
from duo_universal import DuoException

from duoctl.duoclient import CallContext, bounded, ca_bundle_fix, classify, proxy_fix
from duoctl.errors import DuoProtocolError, DuoRateLimited, DuoUnreachable, ExitCode
from duoctl.httpanswer import HttpAnswer, parse_retry_after
from testlogin.helpers import forbidding_proxy, free_port

HOST = "api-1234abcd.duosecurity.com"
ACTION = "the health check"


def _raised(url: str, **kwargs: object) -> BaseException:
    """What duo_universal raises when ``requests.post`` raises: DuoException(the error)."""
    try:
        requests.post(url, timeout=10, **kwargs)  # type: ignore[arg-type]
    except Exception as exc:
        return DuoException(exc)
    raise AssertionError("the request was expected to fail")


def _through_proxy(proxy_port: int) -> BaseException:
    # The target is never reached: the proxy is asked to CONNECT and refuses or is absent.
    target = f"https://127.0.0.1:{free_port()}/oauth/v1/health_check"
    return _raised(target, proxies={"https": f"http://127.0.0.1:{proxy_port}"})


def test_a_missing_ca_file_is_unreachable_naming_the_file(tmp_path: Path) -> None:
    bundle = tmp_path / "gone.pem"
    exc = _raised(f"https://127.0.0.1:{free_port()}/", verify=str(bundle))

    err = classify(exc, HOST, ACTION, CallContext(provider="prod", ca_bundle=str(bundle)))

    assert isinstance(err, DuoUnreachable)
    assert err.exit_code == ExitCode.DUO_UNREACHABLE
    assert (
        err.message == f"cannot use the CA bundle {bundle} for {HOST} during {ACTION}: no such file"
    )
    assert err.hint == ca_bundle_fix("prod")
    assert err.hint == "give a readable PEM file: duoctl provider edit prod --ca-bundle FILE"


def test_without_a_context_the_missing_file_is_named_from_requests_words(tmp_path: Path) -> None:
    # doctor's health check calls without a context: the message must not guess wrong.
    bundle = tmp_path / "gone.pem"
    exc = _raised(f"https://127.0.0.1:{free_port()}/", verify=str(bundle))

    err = classify(exc, HOST, ACTION)

    assert isinstance(err, DuoUnreachable)
    assert f"cannot use the CA bundle {bundle} for {HOST}" in err.message
    assert err.hint == ca_bundle_fix(None)


def test_a_ca_file_without_a_certificate_is_unreachable(tmp_path: Path) -> None:
    bundle = tmp_path / "garbage.pem"
    bundle.write_text("not a certificate\n")
    server = socket.create_server(("127.0.0.1", 0))  # never answers: loading fails first
    with server:
        port = server.getsockname()[1]
        exc = _raised(f"https://127.0.0.1:{port}/", verify=str(bundle))

    err = classify(exc, HOST, ACTION, CallContext(provider="prod", ca_bundle=str(bundle)))

    assert isinstance(err, DuoUnreachable)
    assert err.message.endswith("it holds no PEM certificate")
    assert err.hint == ca_bundle_fix("prod")


def test_a_refusing_proxy_is_unreachable_with_the_proxy_fix() -> None:
    exc = _through_proxy(free_port())

    err = classify(exc, HOST, ACTION)

    assert isinstance(err, DuoUnreachable)
    assert err.message == (
        f"cannot reach {HOST} through the proxy during {ACTION}: the proxy refused the connection"
    )
    assert err.hint == proxy_fix(HOST)


def test_a_forbidding_proxy_is_unreachable_quoting_its_status() -> None:
    with forbidding_proxy() as port:
        exc = _through_proxy(port)

    err = classify(exc, HOST, ACTION)

    assert isinstance(err, DuoUnreachable)
    assert err.message.endswith("the proxy answered 403 Forbidden")
    assert err.hint == proxy_fix(HOST)


@pytest.mark.parametrize(
    ("endpoint", "host"),
    [
        ("api-1234abcd.duosecurity.com", "api-1234abcd.duosecurity.com"),
        ("localhost:8443", "localhost"),
        ("[::1]:8443", "::1"),
    ],
)
def test_the_proxy_fix_names_the_host_without_its_port(endpoint: str, host: str) -> None:
    assert proxy_fix(endpoint).startswith(f"add {host} to NO_PROXY (export NO_PROXY={host},")


def test_a_plain_refused_connection_is_still_cannot_connect() -> None:
    exc = _raised(f"https://127.0.0.1:{free_port()}/")

    err = classify(exc, HOST, ACTION)

    assert isinstance(err, DuoUnreachable)
    assert err.message == f"cannot connect to {HOST} during {ACTION}"


def test_the_username_check_names_the_username() -> None:
    err = classify(
        DuoException("The username is invalid."),
        HOST,
        "the code exchange",
        CallContext(username="ACME\\Alice"),
    )

    assert isinstance(err, DuoProtocolError)
    assert err.message == (
        "Duo's answer names another user than 'ACME\\Alice' (the code exchange): Duo matched "
        "the login to a user it spells differently, and the Duo SDK compares names exactly"
    )
    assert err.hint is not None
    assert "(case, Alice@domain vs Alice, DOMAIN\\Alice, or an alias" in err.hint
    assert "'Username normalization' setting of the application" in err.hint
    assert err.data == {"cause": "username_mismatch", "username_sent": "ACME\\Alice"}


# ---- issue 15, row 4: a 429's Retry-After, read when present --------------------------------

RATE_LIMITED_BODY = {"stat": "FAIL", "code": 42901, "message": "Too Many Requests"}


def test_a_42901_body_without_a_second_look_advises_a_minute() -> None:
    # The token exchange passes Duo's body on; Retry-After is unknown without a look.
    error = classify(DuoException(RATE_LIMITED_BODY), HOST, "the code exchange")
    assert isinstance(error, DuoRateLimited)
    assert error.exit_code == ExitCode.DUO_UNREACHABLE
    assert error.message == (
        f"Duo rate limited the code exchange on {HOST} (HTTP 429, 42901 Too Many Requests): "
        "no Retry-After given; Duo counts its limits per minute, so retry in a minute"
    )
    assert error.data == {"http_status": 429, "retry_after_seconds": None}


def test_a_second_look_supplies_the_retry_after() -> None:
    answer = HttpAnswer(429, "application/json", 30)
    error = classify(DuoException(RATE_LIMITED_BODY), HOST, ACTION, answer=answer)
    assert error.message.endswith("retry after 30 s")


def test_bounded_looks_once_only_at_http_level_failures() -> None:
    looked: list[tuple[str, str]] = []

    def probe(host: str, ca_bundle: str, timeout: float) -> HttpAnswer | None:
        looked.append((host, ca_bundle))
        return HttpAnswer(429, "text/html", 12)

    def fails(cause: object) -> None:
        raise DuoException(cause)

    context = CallContext(provider="p", ca_bundle="/etc/duo-ca.pem")
    with pytest.raises(DuoProtocolError, match=r"not Duo's API \(bad or empty JSON\)"):
        bounded(
            lambda: fails(ValueError("x")), host=HOST, action=ACTION, timeout=5,
            context=context, probe=probe,
        )  # fmt: skip
    assert looked == []  # a ValueError is not a JSONDecodeError: nothing to look at
    import json

    try:
        json.loads("<html>")
    except json.JSONDecodeError as exc:
        decode_error = exc
    with pytest.raises(DuoRateLimited, match=r"\(HTTP 429\): retry after 12 s"):
        bounded(
            lambda: fails(decode_error), host=HOST, action=ACTION, timeout=5,
            context=context, probe=probe,
        )  # fmt: skip
    assert looked == [(HOST, "/etc/duo-ca.pem")]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120),
        (" 0 ", 0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30),  # 30 s after the fixed "now" below
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0),  # in the past: retry now
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
        (str(10**9), None),
    ],
)
def test_retry_after_in_both_of_rfc_9110s_forms(header: str | None, seconds: int | None) -> None:
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after(header, now=lambda: now) == seconds


@pytest.mark.parametrize(
    ("error", "direction"),
    [
        ("ImmatureSignatureError", "is behind Duo's by more than 60 s"),
        ("ExpiredSignatureError", "is ahead of Duo's"),
    ],
)
def test_a_token_outside_its_window_names_the_clocks_direction(error: str, direction: str) -> None:
    import jwt

    cause = getattr(jwt, error)("The token is not yet valid (iat)")
    classified = classify(DuoException(cause), HOST, "the code exchange")
    assert classified.exit_code == ExitCode.DUO_PROTOCOL
    assert classified.message.endswith(f"this machine's clock {direction}")
    assert classified.hint is not None
    assert "duoctl doctor" in classified.hint


@pytest.mark.parametrize(
    ("answer", "shape"),
    [
        (HttpAnswer(302, "text/html", None), "a redirect, HTTP 302"),
        (HttpAnswer(200, "text/html", None), "an HTML page"),
        (HttpAnswer(400, "application/json", None), "bad or empty JSON"),  # Duo again
        (None, "bad or empty JSON"),
    ],
)
def test_a_page_in_duos_place_is_described_by_the_second_look(
    answer: HttpAnswer | None, shape: str
) -> None:
    import json

    try:
        json.loads("<html>")
    except json.JSONDecodeError as exc:
        error = classify(DuoException(exc), HOST, ACTION, answer=answer)
    assert isinstance(error, DuoProtocolError)
    assert (
        error.message == f"{HOST} answered {ACTION} with something that is not Duo's API ({shape})"
    )
    assert error.hint is not None
    assert error.hint.startswith("a captive portal or a TLS-intercepting proxy")


def test_a_hostile_content_type_is_cleaned() -> None:
    from duoctl.httpanswer import media_type

    assert media_type("text/html\x1b[2J; charset=utf-8") == "text/html[2j"
    assert media_type(None) == ""
