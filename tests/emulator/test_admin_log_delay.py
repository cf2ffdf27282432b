"""Duo serves an authentication record only two minutes after the authentication ("There is
an intentional two minute delay in availability of new authentications in the API response":
Admin API docs, "Authentication Logs"); the emulator does the same by default, on its own
clock, so a client that expects a record at once is caught here as it would be by Duo."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import duo_client
import duo_universal
import pytest

from duoctl.emulator import EmulatedUser, Emulator
from duoctl.emulator.admin.authlog import VISIBILITY_DELAY

from .conftest import REDIRECT_URI, login_code

pytestmark = [
    pytest.mark.filterwarnings("ignore:ssl.PROTOCOL_TLS:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning"),
]


class Clock:
    """The emulator's clock, moved by the test; it starts at the real time because duo_client
    signs with the real Date, which the emulator checks against this clock."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emu(clock: Clock) -> Iterator[Emulator]:
    with Emulator([EmulatedUser("alice")], clock=clock) as emulator:
        yield emulator


def txids(emu: Emulator) -> list[str]:
    admin = duo_client.Admin(
        emu.admin_ikey,
        emu.admin_skey,
        emu.api_hostname,
        port=emu.port,
        ca_certs=str(emu.ca_bundle),
        timeout=10,
    )
    # maxtime an hour ahead: only the delay can hide the record.
    now_ms = int(time.time() * 1000)
    log: Any = admin.get_authentication_log(
        api_version=2, mintime=now_ms - 600_000, maxtime=now_ms + 3_600_000
    )
    return [entry["txid"] for entry in log["authlogs"]]


def test_a_record_shows_only_after_duos_two_minutes(emu: Emulator, clock: Clock) -> None:
    assert emu.authlog_delay == VISIBILITY_DELAY == 120
    web = duo_universal.Client(
        emu.client_id, emu.client_secret, emu.api_host, REDIRECT_URI, duo_certs=str(emu.ca_bundle)
    )
    login_code(emu, web, "alice")
    [decided] = [r.decision for r in emu.recent_requests() if r.decision is not None]

    assert txids(emu) == []
    # The emulator's clock moves on; duo_client's Date (real time) stays inside the
    # emulator's 300 s Date window, so only the delay decides.
    clock.offset = VISIBILITY_DELAY - 30
    assert txids(emu) == []
    clock.offset = VISIBILITY_DELAY + 2
    assert txids(emu) == [decided.txid]


def test_a_running_emulator_takes_a_new_delay_at_the_next_request(emu: Emulator) -> None:
    web = duo_universal.Client(
        emu.client_id, emu.client_secret, emu.api_host, REDIRECT_URI, duo_certs=str(emu.ca_bundle)
    )
    login_code(emu, web, "alice")
    assert txids(emu) == []
    emu.authlog_delay = 0
    assert len(txids(emu)) == 1


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_authlog_delay_must_be_finite_and_not_negative(bad: float) -> None:
    with pytest.raises(ValueError, match="authlog_delay must be a finite number >= 0"):
        Emulator(authlog_delay=bad)
