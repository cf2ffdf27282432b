"""Hostile and malformed requests to the Admin API: each gets Duo's JSON error shape and a
4xx status, never a 500 or a traceback. Requests are built by hand (requests / raw TLS),
signed where needed with duo_client 5.7.0's own ``sign``."""

from __future__ import annotations

import base64
import email.utils
import json
import socket
import ssl
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from duo_client.client import normalize_params, sign
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duoctl.emulator import Emulator

SUMMARY = "/admin/v1/info/summary"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def no_bug_reported(capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    yield
    # report_bug() writes "duoctl emulator: bug in ..." to stderr when a handler raises.
    assert "bug in" not in capfd.readouterr().err


def send(emu: Emulator, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
    return requests.request(
        method,
        f"https://{emu.api_host}{path}",
        headers=headers,
        verify=str(emu.ca_bundle),
        timeout=10,
        **kw,
    )


def signed_headers(
    emu: Emulator, method: str, path: str, *, date: str | None = None, sig_version: int = 2
) -> dict[str, str]:
    """Authorization and Date for a request without parameters, as duo_client signs."""
    date = email.utils.formatdate() if date is None else date
    body = "" if sig_version == 5 else None
    auth = sign(
        emu.admin_ikey,
        emu.admin_skey,
        method,
        emu.api_hostname,
        path,
        date,
        sig_version,
        {},
        body=body,
    )
    return {"Authorization": auth, "Date": date}


def assert_duo_error(answer: Any, status: int, code: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = answer.json()
    assert body["stat"] == "FAIL"
    assert body["code"] == code
    assert isinstance(body["message"], str)
    return body


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer abc",
        "Basic",
        "Basic !!!not-base64!!!",
        "Basic " + _b64(b"\xff\xfe\x00binary"),
        "Basic " + _b64(b"no-colon-here"),
        "Basic " + _b64(b":only-a-signature"),
        "Basic " + "A" * 4000,  # oversize, still one header line
    ],
)
def test_malformed_credentials_are_401_missing_credentials(
    emu: Emulator, authorization: str | None
) -> None:
    headers = {"Date": email.utils.formatdate()}
    if authorization is not None:
        headers["Authorization"] = authorization
    assert_duo_error(send(emu, "GET", SUMMARY, headers), 401, 40101)


def test_two_authorization_headers_are_refused(emu: Emulator) -> None:
    good = signed_headers(emu, "GET", SUMMARY)
    request = (
        f"GET {SUMMARY} HTTP/1.1\r\nHost: {emu.api_host}\r\nDate: {good['Date']}\r\n"
        f"Authorization: {good['Authorization']}\r\nAuthorization: {good['Authorization']}\r\n"
        "Connection: close\r\n\r\n"
    )
    context = ssl.create_default_context(cafile=str(emu.ca_bundle))
    with (
        socket.create_connection(("127.0.0.1", emu.port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(request.encode())
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401 ")
    assert json.loads(body)["code"] == 40101


def test_missing_date_is_40104(emu: Emulator) -> None:
    headers = signed_headers(emu, "GET", SUMMARY)
    del headers["Date"]
    assert_duo_error(send(emu, "GET", SUMMARY, headers), 401, 40104)


@pytest.mark.parametrize("date", ["yesterday", "Mon, 99 Foo 2026 99:99:99 -0000"])
def test_unparseable_date_is_40105_even_when_signed(emu: Emulator, date: str) -> None:
    headers = signed_headers(emu, "GET", SUMMARY, date=date)
    assert_duo_error(send(emu, "GET", SUMMARY, headers), 401, 40105)


def test_signature_over_another_path_is_40103(emu: Emulator) -> None:
    headers = signed_headers(emu, "GET", "/admin/v1/users")
    assert_duo_error(send(emu, "GET", SUMMARY, headers), 401, 40103)


def test_a_replayed_signature_with_a_changed_query_is_40103(emu: Emulator) -> None:
    headers = signed_headers(emu, "GET", "/admin/v1/users")
    answer = send(emu, "GET", "/admin/v1/users?username=alice", headers)
    assert_duo_error(answer, 401, 40103)


def test_non_utf8_query_is_a_signature_mismatch_not_a_crash(emu: Emulator) -> None:
    headers = signed_headers(emu, "GET", "/admin/v1/users")
    answer = send(emu, "GET", "/admin/v1/users?username=%ff%fe", headers)
    assert_duo_error(answer, 401, 40103)


@pytest.mark.parametrize("sig_version", [2, 5])
def test_wrong_method_on_a_signed_request_is_405_with_allow(
    emu: Emulator, sig_version: int
) -> None:
    headers = signed_headers(emu, "PUT", SUMMARY, sig_version=sig_version)
    answer = send(emu, "PUT", SUMMARY, headers)
    assert_duo_error(answer, 405, 40501)
    assert answer.headers["Allow"] == "GET"


def test_unsigned_wrong_method_is_401_first(emu: Emulator) -> None:
    assert_duo_error(send(emu, "DELETE", SUMMARY, {}), 401, 40101)


def test_unknown_admin_path_is_404_once_signed(emu: Emulator) -> None:
    path = "/admin/v1/nothing/here"
    assert_duo_error(send(emu, "GET", path, signed_headers(emu, "GET", path)), 404, 40401)


def test_oversize_body_is_413_json(emu: Emulator) -> None:
    path = "/admin/v3/integrations"
    headers = {**signed_headers(emu, "POST", path), "Content-Type": "application/json"}
    answer = send(emu, "POST", path, headers, data=b"{" + b" " * 200_000 + b"}")
    assert_duo_error(answer, 413, 41300)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"name": "x", "type": {"nested": 1}}'])
def test_bad_json_bodies_are_400(emu: Emulator, body: bytes) -> None:
    path = "/admin/v3/integrations"
    date = email.utils.formatdate()
    auth = sign(
        emu.admin_ikey,
        emu.admin_skey,
        "POST",
        emu.api_hostname,
        path,
        date,
        5,
        {},
        body=body.decode(),
    )
    headers = {"Authorization": auth, "Date": date, "Content-Type": "application/json"}
    body_json = assert_duo_error(send(emu, "POST", path, headers, data=body), 400, 40002)
    assert "message_detail" in body_json


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", SUMMARY, {"Authorization": "Basic " + "A" * 70_000}, 431),  # header too long
        ("GET", "/admin/v1/users?" + "a" * 70_000, {}, 414),  # request line too long
        ("BREW", SUMMARY, {}, 501),  # a method no handler knows
    ],
)
def test_what_the_http_layer_refuses_is_still_duo_json(
    emu: Emulator, method: str, path: str, headers: dict[str, str], status: int
) -> None:
    answer = send(emu, method, path, headers)
    assert_duo_error(answer, status, status * 100)
    assert answer.headers["Connection"] == "close"


def test_non_utf8_form_body_is_a_signature_mismatch_not_a_crash(emu: Emulator) -> None:
    path = "/admin/v3/integrations"
    headers = {
        **signed_headers(emu, "POST", path),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    answer = send(emu, "POST", path, headers, data=b"name=\xff\xfe&type=websdk")
    assert_duo_error(answer, 401, 40103)


@pytest.mark.parametrize("offset", ["9" * 5000, "\u0663", "-1"])
def test_odd_offsets_on_users_are_400_not_500(emu: Emulator, offset: str) -> None:
    path = "/admin/v1/users"
    params = {"offset": offset}
    date = email.utils.formatdate()
    auth = sign(
        emu.admin_ikey, emu.admin_skey, "GET", emu.api_hostname, path, date, 2,
        normalize_params(params),
    )  # fmt: skip
    answer = send(emu, "GET", path, {"Authorization": auth, "Date": date}, params=params)
    assert assert_duo_error(answer, 400, 40002)["message_detail"] == "offset"


_PARAM_NAMES = st.sampled_from(
    ["mintime", "maxtime", "limit", "offset", "sort", "next_offset", "users", "applications",
     "results", "reasons", "factors", "event_types", "username", "name", "type", "x"]
)  # fmt: skip
_VALUES = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.sampled_from(["ts:asc", "ts:desc", "websdk", "1,abc", "", "\u00b2"]),
)


@pytest.fixture(scope="module")
def shared_emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@given(
    path=st.sampled_from(["/admin/v2/logs/authentication", "/admin/v1/users"]),
    params=st.dictionaries(_PARAM_NAMES, st.lists(_VALUES, min_size=1, max_size=2), max_size=6),
)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_signed_query_is_answered_200_or_400(
    shared_emu: Emulator, path: str, params: dict[str, list[str]]
) -> None:
    emu = shared_emu
    normalized = normalize_params(params)
    date = email.utils.formatdate()
    auth = sign(emu.admin_ikey, emu.admin_skey, "GET", emu.api_hostname, path, date, 2, normalized)
    answer = send(emu, "GET", path, {"Authorization": auth, "Date": date}, params=params)
    assert answer.status_code in {200, 400}, answer.text
    assert answer.json()["stat"] == ("OK" if answer.status_code == 200 else "FAIL")


@given(
    body=st.dictionaries(
        st.sampled_from(["name", "type", "enroll_policy", "adminapi_read_log", "notes", "x"]),
        st.one_of(
            st.text(max_size=30),
            st.booleans(),
            st.integers(),
            st.none(),
            st.sampled_from(["websdk", "allow", "1"]),
        ),
        max_size=5,
    )
)
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_signed_integration_body_is_answered_200_or_400(
    shared_emu: Emulator, body: dict[str, object]
) -> None:
    emu = shared_emu
    path = "/admin/v3/integrations"
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    date = email.utils.formatdate()
    auth = sign(emu.admin_ikey, emu.admin_skey, "POST", emu.api_hostname, path, date, 5, {},
                body=text)  # fmt: skip
    headers = {"Authorization": auth, "Date": date, "Content-Type": "application/json"}
    answer = send(emu, "POST", path, headers, data=text.encode())
    assert answer.status_code in {200, 400}, answer.text
