"""The server side of Duo's request signature against the client side, duo_client 5.7.0's
``canon_params``, ``canonicalize`` and ``sign``: whatever parameters a client signs, the
emulator rebuilds the same canonical string from what arrives on the wire."""

from __future__ import annotations

import email.utils
import hashlib
import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import duo_client.client
import pytest
from duo_client.client import canon_params as client_canon_params
from duo_client.client import normalize_params, sign
from hypothesis import given, settings
from hypothesis import strategies as st

from duoctl.emulator import Emulator
from duoctl.emulator.admin import errors
from duoctl.emulator.admin.signature import SignedRequest, canon_params, verify

pytestmark = pytest.mark.filterwarnings("ignore:ssl.PROTOCOL_TLS:DeprecationWarning")

IKEY = "DI" + "A" * 18
SKEY = "s" * 40
HOST = "localhost"
# Names and values with what percent-encoding has to get right: spaces, +, &, =, %, ~,
# non-ASCII letters and emoji.
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
PARAMS = st.dictionaries(st.text(min_size=1, max_size=8), st.lists(TEXT, min_size=1, max_size=3))


@given(PARAMS)
@settings(max_examples=200, deadline=None)
def test_canonical_params_match_duo_clients_after_the_wire(params: dict[str, list[str]]) -> None:
    normalized = normalize_params(params)
    query = urllib.parse.urlencode(normalized, doseq=True)  # what duo_client sends
    received = urllib.parse.parse_qsl(query, keep_blank_values=True)  # what we read
    assert canon_params(received) == client_canon_params(normalized)


@given(PARAMS)
@settings(max_examples=100, deadline=None)
def test_a_signed_get_verifies_and_any_change_does_not(params: dict[str, list[str]]) -> None:
    normalized = normalize_params(params)
    date = email.utils.formatdate()
    auth = sign(IKEY, SKEY, "GET", HOST, "/admin/v1/users", date, 5, normalized, body="")
    received = urllib.parse.parse_qsl(
        urllib.parse.urlencode(normalized, doseq=True), keep_blank_values=True
    )
    request = SignedRequest("GET", "/admin/v1/users", received, b"", date, [auth], [])
    now = email.utils.parsedate_to_datetime(date).timestamp()
    assert verify(request, secret_for={IKEY: SKEY}.get, hosts=[HOST], now=now) == IKEY
    tampered = SignedRequest(
        "GET", "/admin/v1/users", [*received, ("extra", "1")], b"", date, [auth], []
    )
    with pytest.raises(errors.AdminError) as info:
        verify(tampered, secret_for={IKEY: SKEY}.get, hosts=[HOST], now=now)
    assert info.value.code == 40103


def test_a_json_body_is_hashed_byte_for_byte() -> None:
    body = json.dumps({"name": "x", "type": "websdk"}, sort_keys=True, separators=(",", ":"))
    date = email.utils.formatdate()
    auth = sign(IKEY, SKEY, "POST", HOST, "/admin/v3/integrations", date, 5, {}, body=body)
    now = email.utils.parsedate_to_datetime(date).timestamp()
    good = SignedRequest("POST", "/admin/v3/integrations", [], body.encode(), date, [auth], [])
    assert verify(good, secret_for={IKEY: SKEY}.get, hosts=[HOST], now=now) == IKEY
    # The same object with a space more is another body, so another signature.
    spaced = body.replace(":", ": ", 1).encode()
    bad = SignedRequest("POST", "/admin/v3/integrations", [], spaced, date, [auth], [])
    with pytest.raises(errors.AdminError):
        verify(bad, secret_for={IKEY: SKEY}.get, hosts=[HOST], now=now)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def _client(emu: Emulator, **kwargs: Any) -> Any:
    return duo_client.client.Client(
        emu.admin_ikey,
        emu.admin_skey,
        emu.api_hostname,
        port=emu.port,
        ca_certs=str(emu.ca_bundle),
        timeout=10,
        **kwargs,
    )


def test_x_duo_headers_are_signed_in_version_5(emu: Emulator) -> None:
    client = _client(emu)
    headers = {"X-Duo-Trace": "abc", "X-Duo-Other": "1"}
    response, data = client.api_call(
        "GET", "/admin/v1/info/summary", {}, additional_headers=headers
    )
    assert response.status == 200, data
    # The same signature with a header value changed in transit no longer verifies.
    date = email.utils.formatdate()
    auth = sign(
        emu.admin_ikey,
        emu.admin_skey,
        "GET",
        emu.api_hostname,
        "/admin/v1/info/summary",
        date,
        5,
        {},
        body="",
        additional_headers=headers,
    )
    connection = client._connect()
    connection.request(
        "GET",
        "/admin/v1/info/summary?",
        None,
        {"Authorization": auth, "Date": date, "X-Duo-Trace": "abd", "X-Duo-Other": "1"},
    )
    answer = connection.getresponse()
    assert answer.status == 401
    assert json.loads(answer.read())["code"] == 40103
    connection.close()


def test_version_2_with_sha1_and_a_form_body(emu: Emulator) -> None:
    """duo_client lets a caller pick sig_version 2 (form body) and digestmod SHA1, the
    combination Duo's own documentation shows."""
    client = _client(emu, sig_version=2, digestmod=hashlib.sha1)
    response, data = client.api_call(
        "POST", "/admin/v3/integrations", {"name": "form app", "type": "websdk"}
    )
    assert response.status == 200, data
    assert json.loads(data)["response"]["name"] == "form app"


def test_a_port_in_the_signed_host_is_accepted(emu: Emulator) -> None:
    """Clients other than duo_client may sign the host with its port ("localhost:PORT"),
    the Host header a non-443 server gets; the emulator accepts both forms."""
    date = email.utils.formatdate()
    path = "/admin/v1/info/summary"
    auth = sign(emu.admin_ikey, emu.admin_skey, "GET", emu.api_host, path, date, 2, {})
    connection = _client(emu)._connect()
    connection.request("GET", path, None, {"Authorization": auth, "Date": date})
    assert connection.getresponse().status == 200
    connection.close()
