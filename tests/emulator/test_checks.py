"""Every server-side check, hit with hand-made JWTs, answered in Duo's error shapes."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import pytest

from duoctl.emulator import Emulator

from .conftest import (
    REDIRECT_URI,
    assertion,
    callback,
    get_authorize,
    login_code,
    make_client,
    post,
    request_jwt,
    token_params,
    url,
)

pytestmark = pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")

HEALTH = "/oauth/v1/health_check"
TOKEN = "/oauth/v1/token"
INVALID_GRANT = (
    "The provided authorization grant or refresh token is invalid, expired, revoked, "
    "does not match the redirection URI."
)


def health_check(emu: Emulator, client_assertion: str) -> Any:
    return post(
        emu, HEALTH, data={"client_id": emu.client_id, "client_assertion": client_assertion}
    )


def assert_health_invalid_client(response: Any) -> None:
    assert response.status_code == 400
    body = response.json()
    assert body["stat"] == "FAIL"
    assert body["code"] == 40002
    assert body["message"] == "invalid_client"
    assert body["message_detail"] == "The provided client_assertion was invalid."


BAD_ASSERTIONS: dict[str, dict[str, Any]] = {
    "wrong secret": {"_secret": "W" * 40},
    "wrong aud": {"aud": "https://api-12345678.duosecurity.com/oauth/v1/health_check"},
    "aud of another endpoint": {"aud": "AUD_TOKEN"},
    "expired": {"exp": lambda: time.time() - 10},
    "exp more than an hour ahead": {"exp": lambda: time.time() + 3700},
    "missing exp": {"exp": None},
    "wrong iss": {"iss": "DIAAAAAAAAAAAAAAAAAA"},
    "wrong sub": {"sub": "DIAAAAAAAAAAAAAAAAAA"},
    "missing jti": {"jti": None},
}


@pytest.mark.parametrize("case", BAD_ASSERTIONS)
def test_health_check_rejects_bad_assertion(emu: Emulator, case: str) -> None:
    overrides = dict(BAD_ASSERTIONS[case])
    if overrides.get("aud") == "AUD_TOKEN":
        overrides["aud"] = url(emu, TOKEN)
    assert_health_invalid_client(health_check(emu, assertion(emu, HEALTH, **overrides)))


def test_health_check_accepts_float_exp_within_the_hour(emu: Emulator) -> None:
    response = health_check(emu, assertion(emu, HEALTH, exp=time.time() + 3500.5))
    assert response.json()["stat"] == "OK"


def test_health_check_rejects_replayed_jti(emu: Emulator) -> None:
    signed = assertion(emu, HEALTH, jti="j" * 36)
    assert health_check(emu, signed).json()["stat"] == "OK"
    assert_health_invalid_client(health_check(emu, signed))


def test_health_check_rejects_unknown_client(emu: Emulator) -> None:
    response = post(
        emu,
        HEALTH,
        data={"client_id": "DIAAAAAAAAAAAAAAAAAA", "client_assertion": assertion(emu, HEALTH)},
    )
    assert_health_invalid_client(response)


# -- token endpoint ---------------------------------------------------------------------


def token_error(response: Any) -> tuple[str, str]:
    assert response.status_code == 400
    body = response.json()
    return body["error"], body["error_description"]


@pytest.mark.parametrize("case", BAD_ASSERTIONS)
def test_token_rejects_bad_assertion(emu: Emulator, client: Any, case: str) -> None:
    overrides = dict(BAD_ASSERTIONS[case])
    if overrides.get("aud") == "AUD_TOKEN":
        overrides["aud"] = url(emu, HEALTH)  # the health check's URL is wrong here
    code = login_code(emu, client)
    params = token_params(emu, code, client_assertion=assertion(emu, TOKEN, **overrides))
    error, description = token_error(post(emu, TOKEN, params=params))
    assert error == "invalid_client"
    # Duo's generic text: which check failed goes to the emulator's log only.
    assert description == "The provided client_assertion was invalid."


def test_token_rejects_replayed_jti(emu: Emulator, client: Any) -> None:
    signed = assertion(emu, TOKEN, jti="r" * 36)
    first = post(
        emu, TOKEN, params=token_params(emu, login_code(emu, client), client_assertion=signed)
    )
    assert first.status_code == 200
    second = token_params(emu, login_code(emu, client), client_assertion=signed)
    assert token_error(post(emu, TOKEN, params=second))[0] == "invalid_client"


def test_code_is_single_use(emu: Emulator, client: Any) -> None:
    code = login_code(emu, client)
    assert post(emu, TOKEN, params=token_params(emu, code)).status_code == 200
    assert token_error(post(emu, TOKEN, params=token_params(emu, code))) == (
        "invalid_grant",
        INVALID_GRANT,
    )


def test_code_is_bound_to_redirect_uri(emu: Emulator, client: Any) -> None:
    code = login_code(emu, client)
    params = token_params(emu, code, redirect_uri="http://localhost:9999/other")
    assert token_error(post(emu, TOKEN, params=params))[0] == "invalid_grant"


def test_code_is_bound_to_its_client(emu: Emulator, client: Any) -> None:
    other_id, other_secret = emu.add_client()
    code = login_code(emu, client)
    signed = assertion(emu, TOKEN, iss=other_id, sub=other_id, _secret=other_secret)
    params = token_params(emu, code, client_id=other_id, client_assertion=signed)
    assert token_error(post(emu, TOKEN, params=params))[0] == "invalid_grant"


def test_unknown_code_is_invalid_grant(emu: Emulator) -> None:
    params = token_params(emu, "not-a-code")
    assert token_error(post(emu, TOKEN, params=params))[0] == "invalid_grant"


def test_wrong_grant_type(emu: Emulator, client: Any) -> None:
    params = token_params(emu, login_code(emu, client), grant_type="password")
    assert token_error(post(emu, TOKEN, params=params))[0] == "unsupported_grant_type"


def test_token_params_in_a_form_body(emu: Emulator, client: Any) -> None:
    code = login_code(emu, client)
    response = post(emu, TOKEN, data=token_params(emu, code))
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"]


# -- authorize: the request JWT ------------------------------------------------------------


def authorize_error(response: Any) -> tuple[str, str]:
    assert response.status_code == 400
    body = response.json()
    return body["error"], body["error_description"]


BAD_REQUESTS: dict[str, tuple[dict[str, Any], str]] = {
    "state too short": ({"state": "s" * 15}, "invalid_request"),
    "state too long": ({"state": "s" * 1025}, "invalid_request"),
    "redirect to an IP literal": ({"redirect_uri": "https://10.1.2.3/cb"}, "invalid_request"),
    "redirect to loopback IP": ({"redirect_uri": "http://127.0.0.1:8080/cb"}, "invalid_request"),
    "plain http, not localhost": ({"redirect_uri": "http://example.com/cb"}, "invalid_request"),
    "redirect over 256 chars": (
        {"redirect_uri": "https://example.com/" + "a" * 237},
        "invalid_request",
    ),
    "empty redirect": ({"redirect_uri": ""}, "invalid_request"),
    "bad response_type": ({"response_type": "token"}, "unsupported_response_type"),
    "missing duo_uname": ({"duo_uname": None}, "invalid_request"),
    "wrong client_id": ({"client_id": "DIAAAAAAAAAAAAAAAAAA"}, "invalid_request"),
    "wrong iss": ({"iss": "DIAAAAAAAAAAAAAAAAAA"}, "invalid_request"),
    "wrong aud": ({"aud": "https://api-12345678.duosecurity.com"}, "invalid_request"),
    "expired": ({"exp": lambda: time.time() - 10}, "invalid_request"),
    "exp more than an hour ahead": ({"exp": lambda: time.time() + 3700}, "invalid_request"),
    "use_duo_code_attribute junk": ({"use_duo_code_attribute": "yes"}, "invalid_request"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS)
def test_authorize_rejects_bad_request_jwt(emu: Emulator, case: str) -> None:
    overrides, expected = BAD_REQUESTS[case]
    error, description = authorize_error(get_authorize(emu, request_jwt(emu, **overrides)))
    assert error == expected
    assert description


def test_authorize_rejects_bad_signature(emu: Emulator) -> None:
    from .conftest import sign

    forged = sign({"duo_uname": "alice", "exp": time.time() + 60}, "F" * 40)
    assert authorize_error(get_authorize(emu, forged))[0] == "invalid_request"


def test_authorize_rejects_bad_query_response_type(emu: Emulator) -> None:
    response = get_authorize(emu, request_jwt(emu), response_type="token")
    assert authorize_error(response)[0] == "unsupported_response_type"


def test_authorize_rejects_unknown_client(emu: Emulator) -> None:
    response = get_authorize(emu, request_jwt(emu), client_id="DIAAAAAAAAAAAAAAAAAA")
    assert authorize_error(response)[0] == "invalid_client"


def test_redirect_exactly_256_chars_is_accepted(emu: Emulator) -> None:
    uri = "https://example.com/" + "a" * 236
    assert len(uri) == 256
    assert callback(get_authorize(emu, request_jwt(emu, redirect_uri=uri))).base == uri


ACCEPTED_VARIANTS: dict[str, dict[str, Any]] = {
    "aud is the authorize URL": {"aud": "AUTHORIZE_URL"},
    "use_duo_code_attribute as string": {"use_duo_code_attribute": "true"},
    "Java style: no iss, no aud": {"iss": None, "aud": None},
    "state of 1024 chars": {"state": "s" * 1024},
    "https redirect with a host name": {"redirect_uri": "https://app.example.com/cb"},
}


@pytest.mark.parametrize("case", ACCEPTED_VARIANTS)
def test_authorize_accepts_variant(emu: Emulator, client: Any, case: str) -> None:
    overrides = dict(ACCEPTED_VARIANTS[case])
    if overrides.get("aud") == "AUTHORIZE_URL":
        overrides["aud"] = url(emu, "/oauth/v1/authorize")
    cb = callback(get_authorize(emu, request_jwt(emu, **overrides)))
    assert cb.params["state"] == overrides.get("state", "s" * 36)
    redirect_uri = overrides.get("redirect_uri", REDIRECT_URI)
    assert cb.base == redirect_uri
    params = token_params(emu, cb.params["duo_code"], redirect_uri=redirect_uri)
    assert post(emu, TOKEN, params=params).status_code == 200


def test_missing_use_duo_code_attribute_gives_plain_code(emu: Emulator) -> None:
    cb = callback(get_authorize(emu, request_jwt(emu, use_duo_code_attribute=None)))
    assert "code" in cb.params
    assert "duo_code" not in cb.params


def test_string_false_gives_plain_code(emu: Emulator) -> None:
    cb = callback(get_authorize(emu, request_jwt(emu, use_duo_code_attribute="false")))
    assert "code" in cb.params


def test_query_nonce_wins_over_jwt_nonce(emu: Emulator) -> None:
    client = make_client(emu)
    response = get_authorize(emu, request_jwt(emu, nonce="j" * 20), nonce="q" * 20)
    code = callback(response).params["duo_code"]
    token = client.exchange_authorization_code_for_2fa_result(code, "alice", nonce="q" * 20)
    assert token["nonce"] == "q" * 20


def test_redirect_keeps_the_applications_own_query(emu: Emulator) -> None:
    uri = "https://app.example.com/cb?tenant=a%26b"
    cb = callback(get_authorize(emu, request_jwt(emu, redirect_uri=uri)))
    assert cb.params["tenant"] == "a&b"
    assert "duo_code" in cb.params


def test_requests_seen_never_records_query_strings(emu: Emulator, client: Any) -> None:
    code = login_code(emu, client)
    client.exchange_authorization_code_for_2fa_result(code, "alice")
    paths = [seen.path for seen in emu.requests_seen]
    assert paths == ["/oauth/v1/authorize", "/oauth/v1/token"]
    assert all("?" not in p for p in paths)
    assert urlencode({"x": code}) not in repr(list(emu.requests_seen))
