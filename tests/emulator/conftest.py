"""Fixtures for the emulator's tests: an emulator with one user per outcome, the official
client pointed at it, and helpers to craft JWTs by hand for the negative tests."""

from __future__ import annotations

import secrets
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duo_universal
import jwt
import pytest
import requests
from duo_universal.client import DuoException

from duoctl.emulator import EmulatedUser, Emulator, Outcome

REDIRECT_URI = "http://localhost:8080/duo-callback"

USERS = [
    EmulatedUser("alice", Outcome.APPROVE),
    EmulatedUser("bob", Outcome.DENY),
    EmulatedUser("fred", Outcome.FRAUD),
    EmulatedUser("lou", Outcome.LOCKOUT),
    EmulatedUser("pat", Outcome.POLICY_DENY),
    EmulatedUser("tim", Outcome.TIMEOUT),
    EmulatedUser("nora", Outcome.NOT_ENROLLED),
]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(USERS) as emulator:
        yield emulator


def make_client(
    emu: Emulator,
    *,
    secret: str | None = None,
    redirect_uri: str = REDIRECT_URI,
    use_duo_code_attribute: bool = True,
) -> Any:
    return duo_universal.Client(
        emu.client_id,
        secret if secret is not None else emu.client_secret,
        emu.api_host,
        redirect_uri,
        duo_certs=str(emu.ca_bundle),
        use_duo_code_attribute=use_duo_code_attribute,
    )


@pytest.fixture
def client(emu: Emulator) -> Any:
    return make_client(emu)


def sign(claims: dict[str, Any], secret: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.encode(claims, secret, algorithm="HS512")


def url(emu: Emulator, path: str) -> str:
    return f"https://{emu.api_host}{path}"


def _resolve(overrides: dict[str, Any]) -> dict[str, Any]:
    # A callable is evaluated now, so a time-relative value made at collection stays relative.
    return {k: v() if callable(v) else v for k, v in overrides.items()}


def assertion(emu: Emulator, path: str, **overrides: Any) -> str:
    """A valid client assertion for ``path``; ``overrides`` replace claims (None drops one)."""
    claims: dict[str, Any] = {
        "iss": emu.client_id,
        "sub": emu.client_id,
        "aud": url(emu, path),
        "exp": time.time() + 300,
        "jti": secrets.token_hex(18),
    }
    claims.update(_resolve(overrides))
    secret = claims.pop("_secret", emu.client_secret)
    return sign({k: v for k, v in claims.items() if v is not None}, secret)


def request_jwt(emu: Emulator, **overrides: Any) -> str:
    """A request JWT as the Python SDK builds it; ``overrides`` replace claims (None drops)."""
    claims: dict[str, Any] = {
        "scope": "openid",
        "redirect_uri": REDIRECT_URI,
        "client_id": emu.client_id,
        "iss": emu.client_id,
        "aud": f"https://{emu.api_host}",
        "exp": time.time() + 300,
        "state": "s" * 36,
        "response_type": "code",
        "duo_uname": "alice",
        "use_duo_code_attribute": True,
    }
    claims.update(_resolve(overrides))
    return sign({k: v for k, v in claims.items() if v is not None}, emu.client_secret)


def get_authorize(emu: Emulator, request: str, timeout: float = 10, **query: str) -> Any:
    params = {"response_type": "code", "client_id": emu.client_id, "request": request, **query}
    return requests.get(
        url(emu, "/oauth/v1/authorize"),
        params=params,
        verify=str(emu.ca_bundle),
        allow_redirects=False,
        timeout=timeout,
    )


def follow(emu: Emulator, auth_url: str, timeout: float = 10) -> Any:
    """What a browser does with the SDK's auth URL: one GET, no redirect following."""
    return requests.get(auth_url, verify=str(emu.ca_bundle), allow_redirects=False, timeout=timeout)


@dataclass(frozen=True)
class Callback:
    base: str
    params: dict[str, str]


def callback(response: Any) -> Callback:
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    parts = urlsplit(location)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return Callback(f"{parts.scheme}://{parts.netloc}{parts.path}", params)


def login_code(
    emu: Emulator, client: Any, username: str = "alice", nonce: str | None = None
) -> str:
    state = client.generate_state()
    cb = callback(follow(emu, client.create_auth_url(username, state, nonce=nonce)))
    assert cb.params["state"] == state
    return cb.params["duo_code"]


def post(emu: Emulator, path: str, *, data: Any = None, params: Any = None) -> Any:
    return requests.post(
        url(emu, path), data=data, params=params, verify=str(emu.ca_bundle), timeout=10
    )


def token_params(emu: Emulator, code: str, **overrides: Any) -> dict[str, str]:
    params = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": emu.client_id,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion(emu, "/oauth/v1/token"),
    }
    params.update(overrides)
    return params


def duo_error(exc: BaseException) -> Any:
    """The payload inside the SDK's (possibly nested) DuoException."""
    inner: Any = exc.args[0]
    while isinstance(inner, DuoException):
        inner = inner.args[0]
    return inner
