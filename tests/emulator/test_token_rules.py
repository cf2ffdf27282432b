"""The token checks one rule at a time, in-process: each refusal's exact (error, reason).

Duo's answers never say which check failed (the token and health-check endpoints send fixed
texts), so the reason a :class:`Rejected` carries is the only place a person debugging an
integration against the emulator learns it: it goes to the emulator's log and, for the
authorize endpoint, to ``error_description``. These tests pin each rule's boundary and the
reason it gives, calling the checks directly so that mutation testing can run them quickly;
``test_checks.py`` covers the same rules over real TLS in Duo's wire shapes.
"""

from __future__ import annotations

import json
import re
import uuid
import warnings
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from duoctl.emulator.faults import Faults
from duoctl.emulator.tokens import (
    AuthFacts,
    AuthorizeRequest,
    JtiCache,
    Rejected,
    build_id_token,
    is_acceptable_redirect_uri,
    unverified_issuer,
    verify_client_assertion,
    verify_request_jwt,
)

pytestmark = pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")

CLIENT_ID = "DIXXXXXXXXXXXXXXXXXX"
OTHER_CLIENT = "DIAAAAAAAAAAAAAAAAAA"
SECRET = "S" * 40
TOKEN_AUD = "https://api-test.duosecurity.com/oauth/v1/token"
HOST_AUD = "https://api-test.duosecurity.com"
# The emulator's own clock, far from the machine's in both directions: a check that
# consulted the real time (as PyJWT does unless told not to) would decide differently.
PAST = 1_000_000_000.0  # 2001
FUTURE = 4_000_000_000.0  # 2096
NOW = PAST
DROP = object()  # an override that removes the claim


def sign(claims: dict[str, Any], secret: str) -> str:
    # Signs the claims as given: PyJWT's encode refuses some of the malformed claims these
    # tests need (a numeric iss), and real clients' bugs do not ask PyJWT first.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.api_jws.encode(json.dumps(claims).encode(), secret, algorithm="HS512")


def with_overrides(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    claims = dict(base)
    for name, value in overrides.items():
        if value is DROP:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


# -- client assertions (health check and token endpoints) --------------------------------


def assertion_claims(now: float, **overrides: Any) -> dict[str, Any]:
    base = {
        "iss": CLIENT_ID,
        "sub": CLIENT_ID,
        "aud": TOKEN_AUD,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    return with_overrides(base, overrides)


def check_assertion(
    claims: dict[str, Any],
    *,
    now: float = NOW,
    secret: str = SECRET,
    jtis: JtiCache | None = None,
    client_id: str = CLIENT_ID,
) -> None:
    verify_client_assertion(
        sign(claims, secret),
        client_id=client_id,
        secret=SECRET,
        audiences=[TOKEN_AUD],
        now=now,
        jtis=jtis if jtis is not None else JtiCache(),
    )


def refusal(check: Callable[..., object], *args: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(Rejected) as caught:
        check(*args, **kwargs)
    return caught.value.error, caught.value.description


BAD_ASSERTIONS: dict[str, tuple[dict[str, Any], str]] = {
    "missing exp": ({"exp": DROP}, "missing claim exp"),
    "missing sub": ({"sub": DROP}, "missing claim sub"),
    "missing jti": ({"jti": DROP}, "missing claim jti"),
    "missing iss": ({"iss": DROP}, "missing claim iss"),
    "wrong iss": ({"iss": OTHER_CLIENT}, "iss does not match the client ID"),
    "wrong aud": ({"aud": HOST_AUD}, "aud does not match the endpoint"),
    "wrong sub": ({"sub": OTHER_CLIENT}, "sub does not match the client ID"),
    "exp not a number": ({"exp": "soon"}, "the assertion has no numeric exp"),
    # json.loads reads NaN; a comparison with it is always False, so it would never expire.
    "exp NaN": ({"exp": float("nan")}, "the assertion has no numeric exp"),
    "exp exactly now": ({"exp": NOW}, "the assertion has expired"),
    "exp an hour and a second ahead": (
        {"exp": NOW + 3601},
        "the assertion exp is more than one hour ahead",
    ),
    "nbf half a second ahead": (
        {"nbf": NOW + 0.5},
        "the assertion is not valid yet (nbf in the future)",
    ),
    "iat beyond the 60 s leeway": (
        {"iat": NOW + 60.5},
        "the assertion is not valid yet (iat in the future)",
    ),
    "nbf not a number": ({"nbf": "later"}, "the assertion nbf is not a number"),
    "iat not a number": ({"iat": [NOW]}, "the assertion iat is not a number"),
    "empty jti": ({"jti": ""}, "jti must be a non-empty string"),
    # PyJWT itself refuses a jti that is not a string, before the emulator's own check.
    "numeric jti": ({"jti": 12345}, "malformed JWT"),
}


@pytest.mark.parametrize("case", BAD_ASSERTIONS)
def test_assertion_refusals_name_the_failed_check(case: str) -> None:
    overrides, reason = BAD_ASSERTIONS[case]
    claims = assertion_claims(NOW, **overrides)
    assert refusal(check_assertion, claims) == ("invalid_client", reason)


def test_assertion_signed_with_another_secret_is_refused() -> None:
    claims = assertion_claims(NOW)
    assert refusal(check_assertion, claims, secret="W" * 40) == (
        "invalid_client",
        "signature verification failed",
    )


def test_assertion_that_is_not_a_jwt_is_refused() -> None:
    failure = refusal(
        verify_client_assertion,
        "not.a.jwt",
        client_id=CLIENT_ID,
        secret=SECRET,
        audiences=[TOKEN_AUD],
        now=NOW,
        jtis=JtiCache(),
    )
    assert failure == ("invalid_client", "malformed JWT")


ACCEPTED_TIMES: dict[str, dict[str, Any]] = {
    "exp exactly one hour ahead": {"exp": NOW + 3600},
    "nbf exactly now": {"nbf": NOW},
    "iat at the edge of the leeway": {"iat": NOW + 60},
    "times as strings (the C# SDK)": {"exp": str(int(NOW + 300)), "iat": str(int(NOW))},
}


@pytest.mark.parametrize("case", ACCEPTED_TIMES)
def test_assertion_time_boundaries_accepted(case: str) -> None:
    check_assertion(assertion_claims(NOW, **ACCEPTED_TIMES[case]))


@pytest.mark.parametrize("now", [PAST, FUTURE], ids=["clock in 2001", "clock in 2096"])
def test_assertion_times_follow_the_emulators_clock_not_the_machines(now: float) -> None:
    # Valid on the emulator's clock; on the machine's clock exp is long past (2001) or
    # nbf and iat are decades ahead (2096).
    check_assertion(assertion_claims(now, nbf=now - 10, iat=now - 10), now=now)


def test_replayed_jti_is_refused_for_the_same_client_only() -> None:
    jtis = JtiCache()
    claims = assertion_claims(NOW, jti="j" * 36)
    check_assertion(claims, jtis=jtis)
    with pytest.raises(Rejected) as caught:
        check_assertion(claims, jtis=jtis)
    assert (caught.value.error, caught.value.description) == (
        "invalid_client",
        "jti has already been used",
    )
    assert str(caught.value) == "invalid_client: jti has already been used"
    # Another client's assertion may carry the same ID: IDs are unique per client.
    other = assertion_claims(NOW, jti="j" * 36, iss=OTHER_CLIENT, sub=OTHER_CLIENT)
    check_assertion(other, jtis=jtis, client_id=OTHER_CLIENT)


def test_jti_is_remembered_until_the_moment_its_assertion_expires() -> None:
    jtis = JtiCache()
    assert jtis.claim(CLIENT_ID, "a", exp=100.0, now=50.0)
    assert not jtis.claim(CLIENT_ID, "a", exp=100.0, now=100.0)
    assert jtis.claim(CLIENT_ID, "a", exp=200.0, now=100.5)  # expired, then forgotten
    assert len(jtis) == 1


# -- unverified_issuer: whose secret checks a token request ------------------------------


@pytest.mark.parametrize(
    "value",
    [None, "", "not a jwt", sign({"iss": 42}, SECRET), sign({"sub": CLIENT_ID}, SECRET)],
    ids=["none", "empty", "malformed", "numeric iss", "no iss"],
)
def test_unverified_issuer_is_empty_without_a_string_iss(value: str | None) -> None:
    assert unverified_issuer(value) == ""


def test_unverified_issuer_reads_iss_without_the_secret() -> None:
    assert unverified_issuer(sign({"iss": CLIENT_ID}, "W" * 40)) == CLIENT_ID


# -- redirect URIs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "https://example.com:abc/cb",  # a port that is not a number
        "https://[::1/cb",  # an unclosed IPv6 literal: urlsplit raises
        "https:///cb",  # no host
        "https://10.1.2.3/cb",
        "https://[::1]/cb",
        "http://127.0.0.1/cb",
        "ftp://example.com/cb",
        "",
    ],
)
def test_unacceptable_redirect_uris(uri: str) -> None:
    assert not is_acceptable_redirect_uri(uri)


@pytest.mark.parametrize(
    "uri", ["https://example.com:8443/cb", "http://localhost:8080/cb", "https://a"]
)
def test_acceptable_redirect_uris(uri: str) -> None:
    assert is_acceptable_redirect_uri(uri)


# -- the authorize request JWT -------------------------------------------------------------


def request_claims(now: float, **overrides: Any) -> dict[str, Any]:
    base = {
        "response_type": "code",
        "scope": "openid",
        "exp": now + 300,
        "client_id": CLIENT_ID,
        "redirect_uri": "http://localhost:8080/cb",
        "state": "s" * 36,
        "duo_uname": "alice",
    }
    return with_overrides(base, overrides)


def check_request(
    claims: dict[str, Any], *, now: float = NOW, query_nonce: str | None = None
) -> AuthorizeRequest:
    return verify_request_jwt(
        sign(claims, SECRET),
        client_id=CLIENT_ID,
        secret=SECRET,
        audiences=frozenset({HOST_AUD}),
        query_nonce=query_nonce,
        now=now,
    )


REDIRECT_RULE = (
    "redirect_uri must be 1-256 characters, http://localhost... or https:// with a host name"
)
BAD_REQUESTS: dict[str, tuple[dict[str, Any], tuple[str, str]]] = {
    "missing exp": ({"exp": DROP}, ("invalid_request", "invalid request JWT: missing claim exp")),
    "exp exactly now": ({"exp": NOW}, ("invalid_request", "the request JWT has expired")),
    "exp not a number": (
        {"exp": "soon"},
        ("invalid_request", "the request JWT has no numeric exp"),
    ),
    "wrong iss": (
        {"iss": OTHER_CLIENT},
        ("invalid_request", "request JWT iss does not match the client ID"),
    ),
    "wrong aud": (
        {"aud": TOKEN_AUD},
        ("invalid_request", "request JWT aud does not match this host"),
    ),
    "wrong client_id": (
        {"client_id": OTHER_CLIENT},
        ("invalid_request", "request JWT client_id does not match"),
    ),
    "response_type token": (
        {"response_type": "token"},
        ("unsupported_response_type", "response_type must be 'code'"),
    ),
    "scope without openid": (
        {"scope": "profile email"},
        ("invalid_scope", "scope must include 'openid'"),
    ),
    "scope not a string": ({"scope": ["openid"]}, ("invalid_scope", "scope must include 'openid'")),
    "redirect to an IP literal": (
        {"redirect_uri": "https://10.1.2.3/cb"},
        ("invalid_request", REDIRECT_RULE),
    ),
    "state of 15 characters": (
        {"state": "s" * 15},
        ("invalid_request", "state must be 16-1024 characters"),
    ),
    "state of 1025 characters": (
        {"state": "s" * 1025},
        ("invalid_request", "state must be 16-1024 characters"),
    ),
    "empty duo_uname": ({"duo_uname": ""}, ("invalid_request", "duo_uname is required")),
    "missing duo_uname": ({"duo_uname": DROP}, ("invalid_request", "duo_uname is required")),
    "numeric nonce": ({"nonce": 7}, ("invalid_request", "nonce must be a string")),
    "use_duo_code_attribute junk": (
        {"use_duo_code_attribute": "yes"},
        ("invalid_request", "use_duo_code_attribute must be a boolean"),
    ),
}


@pytest.mark.parametrize("case", BAD_REQUESTS)
def test_request_refusals_name_the_failed_check(case: str) -> None:
    overrides, expected = BAD_REQUESTS[case]
    claims = request_claims(NOW, **overrides)
    assert refusal(check_request, claims) == expected


def test_request_signed_with_another_secret_is_refused() -> None:
    token = sign(request_claims(NOW), "W" * 40)
    failure = refusal(
        verify_request_jwt,
        token,
        client_id=CLIENT_ID,
        secret=SECRET,
        audiences=[HOST_AUD],
        query_nonce=None,
        now=NOW,
    )
    assert failure == ("invalid_request", "invalid request JWT: signature verification failed")


ACCEPTED_REQUESTS: dict[str, dict[str, Any]] = {
    "no scope (openid assumed)": {"scope": DROP},
    "openid among other scopes": {"scope": "profile openid"},
    "state of exactly 16 characters": {"state": "s" * 16},
    "state of exactly 1024 characters": {"state": "s" * 1024},
    "aud as a list naming this host": {"aud": [TOKEN_AUD, HOST_AUD]},
    "its own client as iss": {"iss": CLIENT_ID},
}


@pytest.mark.parametrize("case", ACCEPTED_REQUESTS)
def test_request_variants_accepted(case: str) -> None:
    assert check_request(request_claims(NOW, **ACCEPTED_REQUESTS[case])).username == "alice"


@pytest.mark.parametrize("now", [PAST, FUTURE], ids=["clock in 2001", "clock in 2096"])
def test_request_times_follow_the_emulators_clock_not_the_machines(now: float) -> None:
    assert check_request(request_claims(now, nbf=now - 10, iat=now - 10), now=now).state


def test_request_nonce_comes_from_the_jwt_when_the_query_has_none() -> None:
    claims = request_claims(NOW, nonce="n" * 32)
    assert check_request(claims).nonce == "n" * 32
    assert check_request(claims, query_nonce="q" * 32).nonce == "q" * 32
    assert check_request(request_claims(NOW)).nonce is None


# -- the id_token --------------------------------------------------------------------------

TXID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def facts(*, allowed: bool, nonce: str | None = "n" * 32, username: str = "alice") -> AuthFacts:
    return AuthFacts(
        username=username,
        allowed=allowed,
        reason="user_approved" if allowed else "user_cancelled",
        factor="duo_push",
        device_name="iPhone",
        nonce=nonce,
        txid=TXID,
        auth_time=PAST + 5.9,
    )


def id_token_claims(auth: AuthFacts, faults: Faults | None = None) -> dict[str, Any]:
    token = build_id_token(
        auth, client_id=CLIENT_ID, secret=SECRET, issuer=TOKEN_AUD, now=PAST + 7.5, faults=faults
    )
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def test_id_token_has_duos_shape() -> None:
    # The claim names and nesting of Duo's documented token response
    # (https://duo.com/docs/oauthapi, "Token Response"), filled with what the emulator knows;
    # the user and device keys are Duo's opaque IDs, checked for their form below.
    claims = id_token_claims(facts(allowed=True))
    context = claims["auth_context"]
    user_key = context["user"].pop("key")
    device_key = context["auth_device"].pop("key")
    unknown = "unknown"
    nowhere = {"city": None, "state": None, "country": None}
    assert claims == {
        "iss": TOKEN_AUD,
        "sub": "alice",
        "aud": CLIENT_ID,
        "exp": int(PAST) + 7 + 3600,
        "iat": int(PAST) + 7,
        "auth_time": int(PAST) + 5,
        "preferred_username": "alice",
        "nonce": "n" * 32,
        "auth_result": {"result": "allow", "status": "allow", "status_msg": "Login Successful"},
        "auth_context": {
            "txid": TXID,
            "timestamp": int(PAST) + 5,
            "event_type": "authentication",
            "result": "success",
            "reason": "user_approved",
            "factor": "duo_push",
            "user": {"name": "alice", "groups": []},
            "application": {"name": "duoctl emulator", "key": CLIENT_ID},
            "auth_device": {"ip": None, "location": nowhere, "name": "iPhone"},
            "access_device": {
                "ip": "127.0.0.1",
                "location": nowhere,
                "hostname": None,
                "os": unknown,
                "os_version": unknown,
                "browser": unknown,
                "browser_version": unknown,
                "is_encryption_enabled": unknown,
                "is_firewall_enabled": unknown,
                "is_password_set": unknown,
            },
            "alias": "",
            "email": "",
            "isotimestamp": "2001-09-09T01:46:45+00:00",
        },
    }
    # Duo's user keys are DU and 18 upper-case characters; the device key is DP and the
    # transaction ID's first 18 hex digits.
    assert re.fullmatch(r"DU[0-9A-F]{18}", user_key)
    assert device_key == "DP0F1E2D3C4B5A697887"


def test_id_token_user_key_is_stable_per_user() -> None:
    def key(username: str) -> str:
        claims = id_token_claims(facts(allowed=True, username=username))
        return str(claims["auth_context"]["user"]["key"])

    assert key("alice") == key("alice") != key("bob")


def test_denied_id_token_says_deny() -> None:
    claims = id_token_claims(facts(allowed=False))
    assert claims["auth_result"] == {
        "result": "deny",
        "status": "deny",
        "status_msg": "Login denied",
    }
    assert claims["auth_context"]["result"] == "denied"


def test_id_token_nonce_with_and_without_the_fault() -> None:
    assert id_token_claims(facts(allowed=True)).get("nonce") == "n" * 32
    assert "nonce" not in id_token_claims(facts(allowed=True, nonce=None))
    assert id_token_claims(facts(allowed=True), Faults()).get("nonce") == "n" * 32
    assert "nonce" not in id_token_claims(facts(allowed=True), Faults(nonce_claim="missing"))
    wrong = id_token_claims(facts(allowed=True), Faults(nonce_claim="wrong")).get("nonce")
    assert isinstance(wrong, str)
    assert wrong != "n" * 32
