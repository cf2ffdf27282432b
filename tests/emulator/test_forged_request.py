"""A forged authorize ``request`` JWT: right in every claim, wrong only in its signature.

A forgery that also lacks ``client_id`` or ``response_type`` is refused for those, so it
cannot show that the signature is checked at all. Each forgery here is paired with a control:
the very same claims, signed with the Client Secret, are accepted. The refusal must therefore
come from the signature, and the emulator's log says so.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import jwt
import pytest

from duoctl.emulator import Emulator
from duoctl.emulator.tokens import Rejected, verify_request_jwt

from .conftest import REDIRECT_URI, callback, get_authorize, request_jwt, sign

WRONG_SECRET = "F" * 40


def _claims(emu: Emulator) -> dict[str, Any]:
    return jwt.decode(request_jwt(emu), options={"verify_signature": False})


def _flip_last_signature_byte(token: str) -> str:
    header, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[-1] ^= 0x01
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    return f"{header}.{payload}.{forged}"


def _forgeries(emu: Emulator) -> dict[str, str]:
    claims = _claims(emu)
    return {
        "signed with another secret": sign(claims, WRONG_SECRET),
        "signature altered by one bit": _flip_last_signature_byte(sign(claims, emu.client_secret)),
        "signed with the secret's first 39 characters": sign(claims, emu.client_secret[:39]),
    }


FORGERIES = [
    "signed with another secret",
    "signature altered by one bit",
    "signed with the secret's first 39 characters",
]


def test_the_unforged_claims_are_accepted(emu: Emulator) -> None:
    # The control for every forgery below: these claims pass all other checks.
    cb = callback(get_authorize(emu, sign(_claims(emu), emu.client_secret)))
    assert cb.base == REDIRECT_URI
    assert "duo_code" in cb.params


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_request_jwt_forged_only_in_its_signature_is_refused(emu: Emulator, forgery: str) -> None:
    response = get_authorize(emu, _forgeries(emu)[forgery])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "Location" not in response.headers  # no code for anyone
    assert emu.requests_seen[-1].reason == "invalid request JWT: signature verification failed"


@pytest.mark.parametrize("forgery", FORGERIES)
def test_verify_request_jwt_refuses_the_forgery_for_its_signature(
    emu: Emulator, forgery: str
) -> None:
    audiences = [f"https://{emu.api_host}"]
    arguments: dict[str, Any] = {
        "client_id": emu.client_id,
        "secret": emu.client_secret,
        "audiences": audiences,
        "query_nonce": None,
        "now": time.time(),
    }
    # Control: the same claims, honestly signed, pass.
    assert verify_request_jwt(sign(_claims(emu), emu.client_secret), **arguments).username == (
        "alice"
    )

    with pytest.raises(Rejected) as caught:
        verify_request_jwt(_forgeries(emu)[forgery], **arguments)
    assert caught.value.error == "invalid_request"
    assert caught.value.description == "invalid request JWT: signature verification failed"
