"""Faults switched on a running emulator, observed through the official client."""

from __future__ import annotations

import ssl
from typing import Any

import pytest
import requests
from duo_universal.client import DuoException

from duoctl.emulator import Emulator

from .conftest import duo_error, login_code, post, token_params, url

pytestmark = pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")


def test_latency_delays_answers(emu: Emulator) -> None:
    emu.faults.latency = 3
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(url(emu, "/oauth/v1/health_check"), verify=str(emu.ca_bundle), timeout=0.5)
    emu.faults.latency = 0
    assert post(emu, "/oauth/v1/health_check", data={}).status_code == 400


def test_5xx_makes_the_client_fail(emu: Emulator, client: Any) -> None:
    emu.faults.status_5xx = True
    with pytest.raises(DuoException):
        client.health_check()
    assert post(emu, "/oauth/v1/health_check").status_code == 503
    emu.faults.status_5xx = 502
    assert post(emu, "/oauth/v1/token").status_code == 502
    emu.faults.status_5xx = False
    assert client.health_check()["stat"] == "OK"


def test_5xx_does_not_burn_codes(emu: Emulator, client: Any) -> None:
    code = login_code(emu, client)
    emu.faults.status_5xx = True
    with pytest.raises(DuoException):
        client.exchange_authorization_code_for_2fa_result(code, "alice")
    emu.faults.status_5xx = False
    token = client.exchange_authorization_code_for_2fa_result(code, "alice")
    assert token["auth_result"]["status"] == "allow"


def test_non_json_breaks_the_client(emu: Emulator, client: Any) -> None:
    emu.faults.non_json = True
    with pytest.raises(DuoException) as info:
        client.health_check()
    assert "Expecting value" in str(duo_error(info.value))
    response = post(emu, "/oauth/v1/token", params=token_params(emu, "nope"))
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(requests.exceptions.JSONDecodeError):
        response.json()


def test_skewed_clock_shifts_token_times(emu: Emulator, client: Any) -> None:
    code = login_code(emu, client)
    response = post(emu, "/oauth/v1/token", params=token_params(emu, code))
    assert response.status_code == 200
    emu.faults.clock_skew = 600
    code = login_code(emu, client)
    # The SDK allows 60 s of leeway on iat: ten minutes ahead must fail its check.
    with pytest.raises(DuoException, match="not yet valid"):
        client.exchange_authorization_code_for_2fa_result(code, "alice")


def test_wrong_ca_fails_tls_verification(emu: Emulator, client: Any) -> None:
    emu.faults.wrong_ca = True
    with pytest.raises(DuoException) as info:
        client.health_check()
    assert isinstance(duo_error(info.value), requests.exceptions.SSLError)
    assert "certificate verify failed" in str(duo_error(info.value))
    emu.faults.wrong_ca = False
    assert client.health_check()["stat"] == "OK"


def test_expired_certificate_fails_tls_verification(emu: Emulator, client: Any) -> None:
    emu.faults.expired_cert = True
    with pytest.raises(DuoException) as info:
        client.health_check()
    assert "expired" in str(duo_error(info.value))
    emu.faults.reset()
    assert client.health_check()["stat"] == "OK"


def test_ca_bundle_is_the_only_trust_needed(emu: Emulator) -> None:
    context = ssl.create_default_context(cafile=str(emu.ca_bundle))
    import socket

    with (
        socket.create_connection(("127.0.0.1", emu.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.version() in {"TLSv1.2", "TLSv1.3"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/oauth/v1/health_check"),
        ("GET", "/oauth/v1/authorize"),
        ("POST", "/oauth/v1/token"),
        ("GET", "/no/such/endpoint"),
    ],
)
def test_rate_limit_answers_429_with_retry_after_on_every_duo_endpoint(
    emu: Emulator, method: str, path: str
) -> None:
    emu.faults.rate_limit = 17
    response = requests.request(method, url(emu, path), verify=str(emu.ca_bundle), timeout=10)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "17"
    assert response.json() == {"stat": "FAIL", "code": 42901, "message": "Too Many Requests"}


def test_rate_limit_fails_the_client_spares_the_control_api_and_burns_no_code(
    emu: Emulator, client: Any
) -> None:
    code = login_code(emu, client)
    emu.faults.rate_limit = 0
    with pytest.raises(DuoException):
        client.health_check()
    with pytest.raises(DuoException):
        client.exchange_authorization_code_for_2fa_result(code, "alice")
    assert requests.get(url(emu, "/emulator/health"), verify=str(emu.ca_bundle), timeout=10).ok
    emu.faults.rate_limit = None
    token = client.exchange_authorization_code_for_2fa_result(code, "alice")
    assert token["auth_result"]["status"] == "allow"


def test_not_web_sdk_answers_authorize_with_duos_unauthorized_request(
    emu: Emulator, client: Any
) -> None:
    emu.faults.not_web_sdk = True
    # The health check is not refused (unverified for Duo: see docs/emulator-fidelity.md).
    assert client.health_check()["stat"] == "OK"
    answer = requests.get(
        client.create_auth_url("alice", client.generate_state()),
        verify=str(emu.ca_bundle),
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 400
    assert "Location" not in answer.headers  # Duo shows it; the browser is not sent back
    assert answer.json() == {
        "error": "unauthorized_request",
        "error_description": "Unauthorized OIDC request",
    }
    emu.faults.not_web_sdk = False
    assert login_code(emu, client)


def test_captive_portal_redirects_every_duo_endpoint_to_its_page(emu: Emulator) -> None:
    emu.faults.captive_portal = True
    first = requests.post(
        url(emu, "/oauth/v1/health_check"),
        verify=str(emu.ca_bundle),
        allow_redirects=False,
        timeout=10,
    )
    assert (first.status_code, first.headers["Location"]) == (302, "/captive-portal")
    followed = post(emu, "/oauth/v1/token")  # requests follows it, as the SDK's call does
    assert followed.status_code == 200
    assert followed.headers["Content-Type"].startswith("text/html")
    assert requests.get(url(emu, "/emulator/health"), verify=str(emu.ca_bundle), timeout=10).ok
