"""The emulator's injected clock: lifetimes, JWT time checks and reported times follow it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from duo_universal.client import DuoException

from duoctl.emulator import EmulatedUser, Emulator
from duoctl.emulator.grants import CODE_LIFETIME
from duoctl.emulator.tokens import IAT_LEEWAY

from .conftest import assertion, duo_error, login_code, make_client, post, token_params

pytestmark = pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")

HEALTH = "/oauth/v1/health_check"
TOKEN = "/oauth/v1/token"
INVALID_GRANT = (
    "The provided authorization grant or refresh token is invalid, expired, revoked, "
    "does not match the redirection URI."
)


class FakeClock:
    """Starts at the real time (the SDK signs its JWTs with real time) and then moves only
    when told, so every expected time below is exact."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> Iterator[Emulator]:
    with Emulator([EmulatedUser("alice")], clock=clock) as emulator:
        yield emulator


def test_code_lifetime_is_sixty_seconds() -> None:
    assert CODE_LIFETIME == 60.0


def test_code_still_valid_just_before_its_lifetime(emu: Emulator, clock: FakeClock) -> None:
    code = login_code(emu, make_client(emu))
    clock.advance(CODE_LIFETIME - 1)
    assert post(emu, TOKEN, params=token_params(emu, code)).status_code == 200


def test_code_past_its_lifetime_is_invalid_grant(emu: Emulator, clock: FakeClock) -> None:
    client = make_client(emu)
    code = login_code(emu, client)
    clock.advance(CODE_LIFETIME + 1)
    # The official client sees Duo's error body for an expired code.
    with pytest.raises(DuoException) as info:
        client.exchange_authorization_code_for_2fa_result(code, "alice")
    assert duo_error(info.value) == {"error": "invalid_grant", "error_description": INVALID_GRANT}


def test_health_check_time_is_the_clock_plus_skew(emu: Emulator, clock: FakeClock) -> None:
    client = make_client(emu)
    clock.advance(42)
    assert client.health_check()["response"]["timestamp"] == int(clock.now)
    emu.faults.clock_skew = -7
    assert client.health_check()["response"]["timestamp"] == int(clock.now) - 7


def test_id_token_times_follow_the_clock_plus_skew(emu: Emulator, clock: FakeClock) -> None:
    emu.faults.clock_skew = 5
    code = login_code(emu, make_client(emu))
    authorized_at = int(clock.now) + 5
    clock.advance(30)
    response = post(emu, TOKEN, params=token_params(emu, code))
    assert response.status_code == 200, response.text
    claims: dict[str, Any] = jwt.decode(
        response.json()["id_token"], options={"verify_signature": False}
    )
    assert claims["auth_time"] == authorized_at
    assert claims["iat"] == int(clock.now) + 5
    assert claims["exp"] == claims["iat"] + 3600


def test_assertion_expiry_is_judged_by_the_clock(emu: Emulator, clock: FakeClock) -> None:
    def health(signed: str) -> Any:
        return post(emu, HEALTH, data={"client_id": emu.client_id, "client_assertion": signed})

    # Valid in real time, but the emulator's time has moved past its exp.
    real_exp = time.time() + 300
    clock.advance(301)
    assert health(assertion(emu, HEALTH, exp=real_exp)).status_code == 400
    # Expired in real time, but still in the future of the emulator's time.
    clock.advance(-1000)
    response = health(assertion(emu, HEALTH, exp=time.time() - 10))
    assert response.json()["stat"] == "OK"


def test_assertion_issued_in_the_clocks_future_is_refused(emu: Emulator, clock: FakeClock) -> None:
    def health(signed: str) -> Any:
        return post(emu, HEALTH, data={"client_id": emu.client_id, "client_assertion": signed})

    # A future iat within the leeway passes (the Node SDK rounds to the nearest second), one
    # second beyond it fails; nbf has no leeway at all.
    leeway = int(IAT_LEEWAY)
    assert health(assertion(emu, HEALTH, iat=int(clock.now))).json()["stat"] == "OK"
    assert health(assertion(emu, HEALTH, iat=clock.now + 0.5)).json()["stat"] == "OK"
    assert health(assertion(emu, HEALTH, iat=int(clock.now) + leeway)).json()["stat"] == "OK"
    assert health(assertion(emu, HEALTH, iat=int(clock.now) + leeway + 1)).status_code == 400
    assert health(assertion(emu, HEALTH, nbf=int(clock.now))).json()["stat"] == "OK"
    assert health(assertion(emu, HEALTH, nbf=int(clock.now) + 1)).status_code == 400
