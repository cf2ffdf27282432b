"""``--debug``'s redaction and its hold on the SDK, without Duo (the console-script tests in
test_field_errors.py run it against the emulator)."""

from __future__ import annotations

import datetime
import http.server
import inspect
import json
import threading
from collections.abc import Iterator
from typing import Any

import duo_universal.client
import pytest
import requests

from duoctl import duodebug
from duoctl.duodebug import HttpDebug

SECRET = "Canary0123456789abcdefghijklmnopqrstuvwx"
JWT = "eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"


def _debug() -> tuple[HttpDebug, list[str]]:
    lines: list[str] = []
    debug = HttpDebug(lines.append)
    debug.add_secret(SECRET)
    return debug, lines


def _response(
    request: requests.PreparedRequest, status: int, body: dict[str, Any]
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = "OK" if status == 200 else "Bad Request"
    response.headers["Content-Type"] = "application/json"
    response._content = json.dumps(body).encode()
    response.request = request
    response.elapsed = datetime.timedelta(seconds=0.25)
    return response


def test_the_sdk_still_calls_requests_post() -> None:
    # The stand-in observes requests.post as duo_universal's module sees it: if the SDK
    # moved to a session or another client, --debug would silently show nothing.
    for method in (
        duo_universal.client.Client.health_check,
        duo_universal.client.Client.exchange_authorization_code_for_2fa_result,
    ):
        assert "requests.post(" in inspect.getsource(method)


def test_a_token_exchange_is_shown_with_every_secret_redacted() -> None:
    debug, lines = _debug()
    request = requests.Request(
        "POST",
        "https://api-1234abcd.duosecurity.com/oauth/v1/token",
        params={
            "grant_type": "authorization_code",
            "code": "one-time-code-42",
            "client_id": "DIABCDEFGHIJKLMNOPQR",
            "client_assertion": JWT,
        },
    ).prepare()
    body = {"id_token": JWT, "access_token": "opaque-access", "expires_in": 3600}

    debug.exchange(_response(request, 200, body))

    shown = "\n".join(lines)
    assert lines[0] == "debug: > POST https://api-1234abcd.duosecurity.com/oauth/v1/token"
    assert "code=<redacted>" in shown
    assert "client_assertion=<redacted>" in shown
    assert "client_id=DIABCDEFGHIJKLMNOPQR" in shown
    assert "debug: < 200 OK in 0.25 s" in lines
    assert '"id_token":"<redacted>"' in shown
    assert '"expires_in":3600' in shown
    for secret in ("one-time-code-42", JWT, "opaque-access", "eyJ"):
        assert secret not in shown


def test_a_form_body_is_shown_field_by_field_redacted() -> None:
    debug, lines = _debug()
    request = requests.Request(
        "POST",
        "https://api-1234abcd.duosecurity.com/oauth/v1/health_check",
        data={"client_assertion": JWT, "client_id": "DIABCDEFGHIJKLMNOPQR"},
    ).prepare()

    debug.exchange(_response(request, 200, {"stat": "OK", "response": {"timestamp": 1}}))

    assert "debug:   form: client_assertion=<redacted> client_id=DIABCDEFGHIJKLMNOPQR" in lines
    assert 'debug:   {"stat":"OK","response":{"timestamp":1}}' in lines


@pytest.mark.parametrize(
    "text",
    [
        f"secret {SECRET} in clear",
        f"url-encoded client_secret={SECRET}",
        f"{{'client_secret': '{SECRET}'}}",
        f'{{"state": "abc", "nonce": "def", "code": "{SECRET}"}}',
        f"a JWT {JWT} in an error",
        "https://h/oauth/v1/token?grant_type=x&code=c0de&state=st4te&client_assertion=" + JWT,
    ],
)
def test_redaction_leaves_no_secret_however_it_is_quoted(text: str) -> None:
    debug, _ = _debug()

    shown = debug.redact(text)

    for secret in (SECRET, JWT, "c0de", "st4te", '"abc"', '"def"'):
        assert secret not in shown


def test_redaction_keeps_what_is_not_secret() -> None:
    debug, _ = _debug()

    assert debug.redact("status_code=200 client_id=DIABC grant_type=authorization_code") == (
        "status_code=200 client_id=DIABC grant_type=authorization_code"
    )


def test_a_body_cannot_forge_lines_or_send_escapes() -> None:
    debug, lines = _debug()
    request = requests.Request("POST", "https://h/oauth/v1/health_check").prepare()

    debug.exchange(_response(request, 400, {"message": "x\n  fix: run this\x1b]0;pwned\x07"}))

    assert all("\n" not in line and "\x1b" not in line for line in lines)


class _Answers(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"stat": "OK"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def loopback_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/oauth/v1/health_check"
    finally:
        server.shutdown()
        server.server_close()


def test_the_stand_in_shows_only_observed_calls(
    monkeypatch: pytest.MonkeyPatch, loopback_url: str
) -> None:
    # Whatever the test does to the SDK's module is undone at teardown.
    monkeypatch.setattr(duo_universal.client, "requests", requests)
    debug, lines = _debug()

    duodebug._install()
    duodebug._install()  # idempotent: never a stand-in around a stand-in
    stand_in = duo_universal.client.requests

    assert isinstance(stand_in, duodebug._RequestsStandIn)
    assert stand_in.exceptions is requests.exceptions  # everything else passes through
    plain = stand_in.post(loopback_url, data={"client_assertion": JWT}, timeout=10)
    assert plain.json() == {"stat": "OK"}
    assert lines == []  # this thread is not observed: plain requests.post

    duodebug._observing.debug = debug
    try:
        observed = stand_in.post(loopback_url, data={"client_assertion": JWT}, timeout=10)
    finally:
        duodebug._observing.debug = None

    assert observed.json() == {"stat": "OK"}
    assert lines[0] == f"debug: > POST {loopback_url}"
    assert "debug:   form: client_assertion=<redacted>" in lines
