"""The official client, unmodified, driving every endpoint over real TLS."""

from __future__ import annotations

import time
from typing import Any

import pytest
from duo_universal.client import DuoException

from duoctl.emulator import Emulator, NewUserPolicy, Outcome

from .conftest import REDIRECT_URI, callback, duo_error, follow, login_code, make_client

pytestmark = pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")


def test_health_check_ok_reports_server_time(client: Any) -> None:
    result = client.health_check()
    assert result["stat"] == "OK"
    assert abs(result["response"]["timestamp"] - time.time()) < 5


def test_health_check_timestamp_follows_clock_skew(emu: Emulator, client: Any) -> None:
    emu.faults.clock_skew = -3600
    timestamp = client.health_check()["response"]["timestamp"]
    assert abs(timestamp - (time.time() - 3600)) < 5


def test_health_check_wrong_secret_is_invalid_client(emu: Emulator) -> None:
    client = make_client(emu, secret="x" * 40)
    with pytest.raises(DuoException) as info:
        client.health_check()
    body = duo_error(info.value)
    assert body["stat"] == "FAIL"
    assert body["code"] == 40002
    assert body["message"] == "invalid_client"
    assert body["message_detail"] == "The provided client_assertion was invalid."
    assert isinstance(body["timestamp"], int)


def test_approve_full_flow_gives_a_duo_shaped_id_token(emu: Emulator, client: Any) -> None:
    nonce = "n" * 24
    code = login_code(emu, client, "alice", nonce=nonce)
    token = client.exchange_authorization_code_for_2fa_result(code, "alice", nonce=nonce)
    assert token["iss"] == f"https://{emu.api_host}/oauth/v1/token"
    assert token["aud"] == emu.client_id
    assert token["preferred_username"] == "alice"
    assert token["nonce"] == nonce
    assert token["exp"] > token["iat"] >= token["auth_time"] - 1
    assert token["auth_result"] == {
        "result": "allow",
        "status": "allow",
        "status_msg": "Login Successful",
    }
    context = token["auth_context"]
    assert context["result"] == "success"
    assert context["reason"] == "user_approved"
    assert context["factor"] == "duo_push"
    assert context["user"]["name"] == "alice"
    assert context["application"]["key"] == emu.client_id
    assert context["auth_device"]["name"] == "iOS (XXX-XXX-1234)"
    assert {"ip", "location", "os", "browser"} <= set(context["access_device"])
    assert len(context["txid"]) == 36


def test_deny_issues_a_code_whose_token_says_deny(emu: Emulator, client: Any) -> None:
    code = login_code(emu, client, "bob")
    token = client.exchange_authorization_code_for_2fa_result(code, "bob")
    assert token["auth_result"]["status"] == "deny"
    assert token["auth_context"]["result"] == "denied"


@pytest.mark.parametrize(
    ("username", "outcome"),
    [
        ("fred", Outcome.FRAUD),
        ("lou", Outcome.LOCKOUT),
        ("pat", Outcome.POLICY_DENY),
        ("nora", Outcome.NOT_ENROLLED),
    ],
)
def test_refusals_redirect_with_access_denied(
    emu: Emulator, client: Any, username: str, outcome: Outcome
) -> None:
    assert emu.users[username].outcome is outcome
    state = client.generate_state()
    cb = callback(follow(emu, client.create_auth_url(username, state)))
    assert cb.base == REDIRECT_URI
    assert cb.params["error"] == "access_denied"
    assert cb.params["error_description"]
    assert cb.params["state"] == state
    assert "duo_code" not in cb.params


def test_timeout_user_never_redirects(emu: Emulator, client: Any) -> None:
    import requests

    auth_url = client.create_auth_url("tim", client.generate_state())
    with pytest.raises(requests.exceptions.ReadTimeout):
        follow(emu, auth_url, timeout=1)


def test_username_mismatch_is_rejected_by_the_client(emu: Emulator, client: Any) -> None:
    code = login_code(emu, client, "alice")
    with pytest.raises(DuoException, match="username"):
        client.exchange_authorization_code_for_2fa_result(code, "mallory")


def test_nonce_mismatch_is_rejected_by_the_client(emu: Emulator, client: Any) -> None:
    code = login_code(emu, client, "alice", nonce="a" * 20)
    with pytest.raises(DuoException, match="nonce"):
        client.exchange_authorization_code_for_2fa_result(code, "alice", nonce="b" * 20)


def test_unknown_user_stays_on_the_enrollment_page_by_default(emu: Emulator, client: Any) -> None:
    # Duo's default New User Policy ("Require enrollment"): no redirect, the user enrolls.
    assert emu.new_user_policy is NewUserPolicy.ENROLL
    response = follow(emu, client.create_auth_url("nobody", client.generate_state()))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Enrollment required" in response.text
    assert "Location" not in response.headers
    assert emu.requests_seen[-1].reason == "unknown user (new user policy: enroll)"


def test_user_added_at_runtime_is_used(emu: Emulator, client: Any) -> None:
    from duoctl.emulator import EmulatedUser

    emu.add_user(EmulatedUser("alice", Outcome.DENY, factor="Duo Mobile Passcode"))
    code = login_code(emu, client, "alice")
    token = client.exchange_authorization_code_for_2fa_result(code, "alice")
    assert token["auth_result"]["status"] == "deny"
    assert token["auth_context"]["factor"] == "Duo Mobile Passcode"


def test_approve_after_delay_still_redirects(emu: Emulator, client: Any) -> None:
    from duoctl.emulator import EmulatedUser

    emu.add_user(EmulatedUser("slow", Outcome.APPROVE, delay=0.2))
    code = login_code(emu, client, "slow")
    token = client.exchange_authorization_code_for_2fa_result(code, "slow")
    assert token["auth_result"]["status"] == "allow"


def test_use_duo_code_attribute_false_gives_plain_code(emu: Emulator) -> None:
    client = make_client(emu, use_duo_code_attribute=False)
    state = client.generate_state()
    cb = callback(follow(emu, client.create_auth_url("alice", state)))
    assert "duo_code" not in cb.params
    token = client.exchange_authorization_code_for_2fa_result(cb.params["code"], "alice")
    assert token["auth_result"]["status"] == "allow"


def test_pytest_plugin_fixture(duo_emulator: Emulator) -> None:
    client = make_client(duo_emulator)
    assert client.health_check()["stat"] == "OK"
    code = login_code(duo_emulator, client, "alice")
    token = client.exchange_authorization_code_for_2fa_result(code, "alice")
    assert token["auth_result"]["status"] == "allow"
