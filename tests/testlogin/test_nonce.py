"""The nonce: test-login sends one and refuses an id_token that does not carry it back.

The emulator's ``nonce_claim`` fault answers the code exchange with an id_token that is valid
in every way (signature, issuer, audience, times, username) except its nonce: another value,
or no claim at all. Were test-login to stop passing its nonce to the exchange, duo_universal
would skip the comparison and both logins below would be reported as allowed (exit 0).
"""

from __future__ import annotations

import pytest

from duoctl.emulator import Faults
from duoctl.errors import ExitCode
from testlogin.conftest import Provider
from testlogin.helpers import assert_port_closed, callback_port_from_prompt

pytestmark = pytest.mark.real_keyring


@pytest.mark.parametrize("fault", ["wrong", "missing"])
def test_an_id_token_without_our_nonce_is_refused_with_exit_11(
    provider: Provider, fault: str
) -> None:
    provider.emulator.faults.nonce_claim = fault  # type: ignore[assignment]

    result = provider.test_login()

    assert result.code == ExitCode.DUO_PROTOCOL, result.stderr
    assert "the nonce in Duo's answer does not match" in result.stderr
    assert "ALLOWED" not in result.stdout
    assert_port_closed(callback_port_from_prompt(result.stderr))


def test_the_same_login_passes_without_the_fault(provider: Provider) -> None:
    # The control: what the two refusals above differ in is the nonce alone.
    result = provider.test_login()

    assert result.code == ExitCode.OK, result.stderr


@pytest.mark.parametrize(
    ("fault", "expected"),
    [("ok", "n" * 32), ("missing", None)],
)
def test_the_fault_sets_or_drops_the_claim(fault: str, expected: str | None) -> None:
    faults = Faults(nonce_claim=fault)  # type: ignore[arg-type]
    assert faults.nonce_for_id_token("n" * 32) == expected


def test_a_wrong_nonce_has_the_shape_of_a_real_one() -> None:
    asked = "ab" * 24
    wrong = Faults(nonce_claim="wrong").nonce_for_id_token(asked)
    assert wrong is not None
    assert wrong != asked
    assert len(wrong) == len(asked)
