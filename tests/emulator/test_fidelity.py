"""What real Duo accepts that a strict reading would not, and how it answers: every rule here
is listed with its source in docs/emulator-fidelity.md."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from typing import Any

import pytest
import requests
from duo_universal.client import DuoException

from duoctl.emulator import EmulatedUser, Emulator, NewUserPolicy, Outcome
from duoctl.emulator.forms import MAX_BODY
from duoctl.emulator.tokens import JtiCache

from .conftest import (
    REDIRECT_URI,
    USERS,
    assertion,
    callback,
    follow,
    login_code,
    make_client,
    post,
    token_params,
    url,
)

pytestmark = pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")

HEALTH = "/oauth/v1/health_check"
TOKEN = "/oauth/v1/token"
GENERIC_INVALID_CLIENT = "The provided client_assertion was invalid."


def health_form(emu: Emulator, **overrides: Any) -> dict[str, str]:
    return {"client_id": emu.client_id, "client_assertion": assertion(emu, HEALTH, **overrides)}


# -- time claims ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": lambda: str(int(time.time()) + 300)},
        {"exp": lambda: str(int(time.time()) + 300), "iat": lambda: str(int(time.time()))},
        {"nbf": lambda: str(int(time.time()) - 5)},
    ],
    ids=["exp", "exp and iat", "nbf"],
)
def test_numeric_string_claims_are_numbers(emu: Emulator, claims: dict[str, Any]) -> None:
    response = post(emu, HEALTH, data=health_form(emu, **claims))
    assert response.json()["stat"] == "OK", response.text


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": lambda: str(int(time.time()) - 5)},  # a string, and expired
        {"exp": lambda: str(int(time.time()) + 3700)},  # a string, beyond the hour
        {"exp": "soon"},
        {"exp": True},
        {"iat": "now"},
        {"nbf": lambda: str(int(time.time()) + 5)},  # no leeway on nbf
    ],
    ids=["expired", "too far", "not a number", "bool", "iat not a number", "future nbf"],
)
def test_bad_time_claims_are_refused(emu: Emulator, claims: dict[str, Any]) -> None:
    response = post(emu, HEALTH, data=health_form(emu, **claims))
    assert response.status_code == 400
    assert response.json()["message_detail"] == GENERIC_INVALID_CLIENT
    assert emu.requests_seen[-1].reason is not None


# -- token endpoint: client_id, generic errors ------------------------------------------


def test_token_without_client_id_uses_the_assertion_issuer(emu: Emulator, client: Any) -> None:
    params = token_params(emu, login_code(emu, client))
    del params["client_id"]
    response = post(emu, TOKEN, data=params)
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"


def test_token_with_a_client_id_other_than_the_assertions_is_refused(
    emu: Emulator, client: Any
) -> None:
    other_id, _ = emu.add_client()
    params = token_params(emu, login_code(emu, client), client_id=other_id)
    response = post(emu, TOKEN, data=params)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_client",
        "error_description": GENERIC_INVALID_CLIENT,
    }
    assert emu.requests_seen[-1].reason == "client_id differs from the assertion's iss"


def test_token_without_an_assertion_is_refused_and_the_log_says_it_is_missing(
    emu: Emulator, client: Any
) -> None:
    params = token_params(emu, login_code(emu, client))
    del params["client_assertion"]
    response = post(emu, TOKEN, data=params)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_client",
        "error_description": GENERIC_INVALID_CLIENT,
    }
    assert emu.requests_seen[-1].reason == "client_assertion is required"


def test_redirect_mismatch_gets_duos_text_and_the_log_says_why(emu: Emulator, client: Any) -> None:
    params = token_params(emu, login_code(emu, client), redirect_uri="http://localhost:1/x")
    body = post(emu, TOKEN, data=params).json()
    assert body["error"] == "invalid_grant"
    assert body["error_description"].endswith("does not match the redirection URI.")
    assert emu.requests_seen[-1].reason == "redirect_uri differs from the authorize request"


# -- bodies -----------------------------------------------------------------------------


def test_multipart_health_check_and_token(emu: Emulator, client: Any) -> None:
    # What PHP's curl sends for an array in CURLOPT_POSTFIELDS.
    files = {k: (None, v) for k, v in health_form(emu).items()}
    response = requests.post(url(emu, HEALTH), files=files, verify=str(emu.ca_bundle), timeout=10)
    assert response.json()["stat"] == "OK", response.text
    params = token_params(emu, login_code(emu, client))
    files = {k: (None, v) for k, v in params.items()}
    response = requests.post(url(emu, TOKEN), files=files, verify=str(emu.ca_bundle), timeout=10)
    assert response.status_code == 200, response.text


def test_chunked_body_is_read(emu: Emulator) -> None:
    form = requests.models.RequestEncodingMixin._encode_params(health_form(emu))
    assert isinstance(form, str)

    def pieces() -> Any:  # a generator body makes requests send Transfer-Encoding: chunked
        yield form[:50].encode()
        yield form[50:].encode()

    response = requests.post(
        url(emu, HEALTH),
        data=pieces(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        verify=str(emu.ca_bundle),
        timeout=10,
    )
    assert response.json()["stat"] == "OK", response.text


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_body_is_refused(emu: Emulator, chunked: bool) -> None:
    big = b"client_id=" + b"A" * (MAX_BODY + 1)
    data: Any = iter([big]) if chunked else big
    response = requests.post(url(emu, HEALTH), data=data, verify=str(emu.ca_bundle), timeout=10)
    assert response.status_code == 413


def test_multipart_without_boundary_is_a_bad_request(emu: Emulator) -> None:
    response = requests.post(
        url(emu, HEALTH),
        data=b"client_id=x",
        headers={"Content-Type": "multipart/form-data"},
        verify=str(emu.ca_bundle),
        timeout=10,
    )
    assert response.status_code == 400


# -- usernames and new users ------------------------------------------------------------


def test_usernames_match_case_insensitively(emu: Emulator, client: Any) -> None:
    code = login_code(emu, client, "Bob")  # bob denies: his outcome, not an unknown user's
    token = client.exchange_authorization_code_for_2fa_result(code, "Bob")
    assert token["auth_result"]["status"] == "deny"
    assert token["preferred_username"] == "Bob"  # as sent, by default


def test_lowercased_preferred_username_breaks_a_case_sensitive_client() -> None:
    with Emulator(USERS, lowercase_preferred_username=True) as emu:
        client = make_client(emu)
        code = login_code(emu, client, "Alice")
        # The Python SDK compares case-sensitively, like duo_universal_csharp before 1.3.1.
        with pytest.raises(DuoException, match="username"):
            client.exchange_authorization_code_for_2fa_result(code, "Alice")
        token = client.exchange_authorization_code_for_2fa_result(
            login_code(emu, client, "Alice"), "alice"
        )
        assert token["preferred_username"] == "alice"


def test_new_user_policy_allow_lets_an_unknown_user_through() -> None:
    with Emulator(USERS, new_user_policy=NewUserPolicy.ALLOW) as emu:
        client = make_client(emu)
        token = client.exchange_authorization_code_for_2fa_result(
            login_code(emu, client, "newcomer"), "newcomer"
        )
        assert token["auth_result"]["status"] == "allow"
        assert token["auth_context"]["reason"] == "allow_unenrolled_user"
        # A known user still answers as scripted.
        state = client.generate_state()
        cb = callback(follow(emu, client.create_auth_url("fred", state)))
        assert cb.params["error"] == "access_denied"


def test_new_user_policy_deny_refuses_an_unknown_user() -> None:
    with Emulator(USERS, new_user_policy=NewUserPolicy.DENY) as emu:
        client = make_client(emu)
        state = client.generate_state()
        cb = callback(follow(emu, client.create_auth_url("newcomer", state)))
        assert cb.base == REDIRECT_URI
        assert cb.params["error"] == "access_denied"
        assert cb.params["state"] == state
        assert "duo_code" not in cb.params
        # An existing user is unaffected by the policy.
        token = client.exchange_authorization_code_for_2fa_result(
            login_code(emu, client, "alice"), "alice"
        )
        assert token["auth_result"]["status"] == "allow"


def test_new_user_policy_must_be_a_policy() -> None:
    with pytest.raises(ValueError, match="new_user_policy"):
        Emulator(new_user_policy="allow")  # type: ignore[arg-type]


# -- HTTP/1.1 and TLS -------------------------------------------------------------------


def _connection(emu: Emulator) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=str(emu.ca_bundle))
    return http.client.HTTPSConnection("localhost", emu.port, context=context, timeout=10)


def test_connections_are_kept_alive(emu: Emulator) -> None:
    conn = _connection(emu)
    try:
        statuses = []
        for _ in range(3):
            body = requests.models.RequestEncodingMixin._encode_params(health_form(emu))
            conn.request(
                "POST",
                HEALTH,
                body=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            if not statuses:
                first_socket = conn.sock
            response = conn.getresponse()
            assert response.version == 11
            assert response.getheader("Connection") is None
            statuses.append((response.status, response.read()))
            assert conn.sock is first_socket  # the same TCP (and TLS) connection
        assert [s for s, _ in statuses] == [200, 200, 200]
    finally:
        conn.close()


def test_head_is_answered_like_get_without_a_body(emu: Emulator) -> None:
    conn = _connection(emu)
    try:
        conn.request("HEAD", "/oauth/v1/authorize?client_id=x")
        response = conn.getresponse()
        assert response.status == 400  # what GET answers for an unknown client
        assert int(response.getheader("Content-Length") or 0) > 0
        assert response.read() == b""
        # The connection is still usable: HEAD's missing body did not desynchronise it.
        conn.request("HEAD", HEALTH)
        response = conn.getresponse()
        assert response.status == 405
        assert response.getheader("Allow") == "POST"
        response.read()
    finally:
        conn.close()


def _peer_key_algorithm(emu: Emulator) -> str:
    context = ssl.create_default_context(cafile=str(emu.ca_bundle))
    with (
        socket.create_connection(("127.0.0.1", emu.port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
        cipher = tls.cipher()
    assert der is not None
    assert cipher is not None
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    key = x509.load_der_x509_certificate(der).public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "rsa"
    return "ec" if isinstance(key, ec.EllipticCurvePublicKey) else type(key).__name__


def test_server_key_is_rsa_by_default(emu: Emulator) -> None:
    assert _peer_key_algorithm(emu) == "rsa"


def test_server_key_can_be_ec() -> None:
    with Emulator(key_type="ec") as emu:
        assert _peer_key_algorithm(emu) == "ec"
        assert make_client(emu).health_check()["stat"] == "OK"


def test_stop_closes_idle_kept_alive_connections() -> None:
    emu = Emulator(USERS).start()
    conn = _connection(emu)
    try:
        conn.request("GET", "/nowhere")
        conn.getresponse().read()
        started = time.monotonic()
        emu.stop()
        assert time.monotonic() - started < 5  # not the 60 s idle timeout
        assert not emu.running
    finally:
        conn.close()
        emu.stop()


# -- the replay cache -------------------------------------------------------------------


def test_jti_cache_forgets_expired_ids_and_remembers_live_ones() -> None:
    cache = JtiCache()
    for i in range(1000):
        assert cache.claim("C", f"old{i}", exp=100.0, now=0.0)
    assert cache.claim("C", "live", exp=500.0, now=0.0)
    assert not cache.claim("C", "old7", exp=100.0, now=50.0)  # still live: a replay
    assert cache.claim("C", "new", exp=600.0, now=200.0)  # this claim prunes the old ones
    assert len(cache) == 2
    assert not cache.claim("C", "live", exp=500.0, now=300.0)
    assert cache.claim("D", "live", exp=500.0, now=300.0)  # per client


def test_user_lookup_prefers_an_exact_match() -> None:
    with Emulator([EmulatedUser("sam", Outcome.DENY), EmulatedUser("Sam")]) as emu:
        client = make_client(emu)
        token = client.exchange_authorization_code_for_2fa_result(
            login_code(emu, client, "Sam"), "Sam"
        )
        assert token["auth_result"]["status"] == "allow"


def test_the_impostor_leaf_has_a_key_of_its_own(emu: Emulator) -> None:
    # An impostor does not hold the server's key: a key-pinning client must see the fault.
    def served_key() -> bytes:
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        pem = ssl.get_server_certificate(("127.0.0.1", emu.port))
        key = x509.load_pem_x509_certificate(pem.encode()).public_key()
        return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)

    good = served_key()
    emu.faults.wrong_ca = True
    impostor = served_key()
    emu.faults.wrong_ca = False
    assert impostor != good
    assert served_key() == good


def test_only_hs512_is_accepted(emu: Emulator) -> None:
    # Every official SDK signs HS512; no source shows Duo taking HS256 (docs/emulator-fidelity.md).
    import jwt

    claims = {
        "iss": emu.client_id,
        "sub": emu.client_id,
        "aud": url(emu, HEALTH),
        "exp": time.time() + 300,
        "jti": "h" * 36,
    }
    signed = jwt.encode(claims, emu.client_secret, algorithm="HS256")
    response = post(emu, HEALTH, data={"client_id": emu.client_id, "client_assertion": signed})
    assert response.status_code == 400
    assert emu.requests_seen[-1].reason == "the algorithm must be HS512"
