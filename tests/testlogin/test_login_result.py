"""A login's result ends in a denial only when Duo denied it: exit 6, its claims as data."""

from __future__ import annotations

from duoctl.errors import ExitCode
from duoctl.testlogin.result import LoginResult


def _result(status: str, status_msg: str | None) -> LoginResult:
    claims = {"auth_result": {"status": status, "status_msg": status_msg}}
    return LoginResult.from_claims(
        claims, provider="prod", endpoint="api-1.example", username="alice", round_trip=1.0
    )


def test_an_allowed_login_is_no_failure() -> None:
    assert _result("allow", "Login Successful").denial() is None


def test_a_denied_login_quotes_duos_message_cleaned_and_carries_the_result() -> None:
    result = _result("deny", "Login denied\x1b[2J by policy")
    denial = result.denial()
    assert denial is not None
    assert denial.exit_code == ExitCode.DUO_DENIED
    assert denial.message == "Duo denied the login for 'alice': Login denied[2J by policy"
    assert denial.data == result.to_dict()
    bare = _result("deny", None).denial()
    assert bare is not None
    assert bare.message == "Duo denied the login for 'alice'"
