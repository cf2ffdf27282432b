"""AdminSession against a fake duo_client.Admin: error mapping, 429 retries, typed results."""

from __future__ import annotations

import http.client
import socket
import ssl

import pytest

from admin.fakes import CREDENTIAL, FakeAdmin, duo_failure
from duoctl.admin import permissions
from duoctl.admin.session import AdminSession, RetryPolicy, retry_after_seconds
from duoctl.errors import (
    DuoCredentialsRejected,
    DuoPermissionMissing,
    DuoProtocolError,
    DuoRateLimited,
    DuoTimeout,
    DuoUnreachable,
    ExitCode,
    ValidationError,
)


class Recorder:
    def __init__(self) -> None:
        self.said: list[str] = []
        self.slept: list[float] = []

    def notify(self, text: str) -> None:
        self.said.append(text)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def session(fake: FakeAdmin, rec: Recorder, policy: RetryPolicy | None = None) -> AdminSession:
    return AdminSession(
        fake,
        CREDENTIAL,
        notify=rec.notify,
        sleep=rec.sleep,
        clock=lambda: 1_000_000.0,
        policy=policy or RetryPolicy(),
        timeout=5,
    )


def test_wrong_secret_is_exit_8_with_duo_words() -> None:
    fake, rec = FakeAdmin(), Recorder()
    fake.answer(
        "get_info_summary", duo_failure(401, 40103, "Invalid signature in request credentials")
    )
    with pytest.raises(DuoCredentialsRejected) as caught:
        session(fake, rec).summary()
    assert caught.value.exit_code == ExitCode.DUO_CREDENTIALS
    assert "Invalid signature" in caught.value.message
    assert "clock" not in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("code", "message"),
    [(40105, "Request has expired"), (40199, "Missing request timestamp")],
)
def test_a_refused_date_says_check_the_clock(code: int, message: str) -> None:
    fake, rec = FakeAdmin(), Recorder()
    fake.answer("get_info_summary", duo_failure(401, code, message))
    with pytest.raises(DuoCredentialsRejected) as caught:
        session(fake, rec).summary()
    assert "check this host's clock" in (caught.value.hint or "")


def test_a_missing_permission_is_named_as_the_admin_panel_names_it() -> None:
    fake, rec = FakeAdmin(), Recorder()
    fake.answer("get_users_by_name", duo_failure(403, 40301, "Access forbidden"))
    with pytest.raises(DuoPermissionMissing) as caught:
        session(fake, rec).users_by_name("alice")
    assert caught.value.exit_code == ExitCode.PERMISSION
    assert "'Grant read resource'" in caught.value.message
    assert permissions.READ_RESOURCE in (caught.value.hint or "")


def test_bad_parameters_are_invalid_input() -> None:
    fake, rec = FakeAdmin(), Recorder()
    fake.answer("create_integration", duo_failure(400, 40003, "Invalid request parameters", "name"))
    with pytest.raises(ValidationError, match=r"Invalid request parameters \(name\)"):
        session(fake, rec).create_web_sdk_integration("x")


def test_429_is_retried_with_exponential_waits_each_said() -> None:
    fake, rec = FakeAdmin(), Recorder()
    limited = duo_failure(429, 42901, "Too Many Requests")
    fake.answer("get_info_summary", limited, limited, {"user_count": 3})
    assert session(fake, rec).summary() == {"user_count": 3}
    assert rec.slept == [1.0, 2.0]
    assert len(rec.said) == 2
    assert all("429" in line and "waiting" in line for line in rec.said)
    assert "attempt 2 of 4" in rec.said[0]


def test_retry_after_is_honoured_when_longer() -> None:
    fake, rec = FakeAdmin(), Recorder()
    limited = duo_failure(429, 42901, "Too Many Requests")
    fake.retry_after_script = ["7", None]
    fake.answer("get_info_summary", limited, {"ok": 1})
    session(fake, rec).summary()
    assert rec.slept == [7.0]


def test_429_gives_up_after_the_attempts_with_a_clear_error() -> None:
    fake, rec = FakeAdmin(), Recorder()
    fake.answer("get_info_summary", duo_failure(429, 42901, "Too Many Requests"))
    with pytest.raises(DuoRateLimited) as caught:
        session(fake, rec, RetryPolicy(attempts=3, budget=100)).summary()
    assert caught.value.exit_code == ExitCode.DUO_UNREACHABLE
    assert len(fake.calls) == 3
    assert rec.slept == [1.0, 2.0]


def test_429_gives_up_at_once_when_retry_after_exceeds_the_budget() -> None:
    fake, rec = FakeAdmin(), Recorder()
    fake.retry_after_script = ["3600"]
    fake.answer("get_info_summary", duo_failure(429, 42901, "Too Many Requests"))
    with pytest.raises(DuoRateLimited):
        session(fake, rec).summary()
    assert rec.slept == []
    assert len(fake.calls) == 1


def test_retry_after_as_an_http_date() -> None:
    assert retry_after_seconds("Mon, 12 Jan 1970 13:46:50 GMT", 1_000_000.0) == 10.0
    assert retry_after_seconds("garbage", 0) is None
    assert retry_after_seconds(None, 0) is None


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (ConnectionRefusedError(111, "Connection refused"), DuoUnreachable),
        (socket.gaierror(-2, "Name or service not known"), DuoUnreachable),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), DuoUnreachable),
        (http.client.RemoteDisconnected("closed"), DuoUnreachable),
        (TimeoutError("timed out"), DuoTimeout),
    ],
)
def test_network_failures(exc: BaseException, kind: type[Exception]) -> None:
    fake, rec = FakeAdmin(), Recorder()
    fake.answer("get_info_summary", exc)
    with pytest.raises(kind):
        session(fake, rec).summary()
    assert rec.slept == []


def test_5xx_is_unreachable() -> None:
    fake, rec = FakeAdmin(), Recorder()
    fake.answer("get_info_summary", duo_failure(503, 50301, "Service Unavailable"))
    with pytest.raises(DuoUnreachable):
        session(fake, rec).summary()


def test_created_integration_keeps_its_secret_out_of_repr() -> None:
    fake, rec = FakeAdmin(), Recorder()
    secret = "CreatedSecret0CreatedSecret0CreatedSecre"
    fake.answer(
        "create_integration",
        {"integration_key": "DIWEBSDK000000000001", "secret_key": secret, "name": "prod"},
    )
    created = session(fake, rec).create_web_sdk_integration("prod")
    assert fake.calls[0][2] == {"name": "prod", "integration_type": "websdk"}
    assert created.integration_key == "DIWEBSDK000000000001"
    assert created.secret == secret
    assert secret not in repr(created)


def test_a_creation_answer_without_keys_is_a_protocol_error() -> None:
    fake, rec = FakeAdmin(), Recorder()
    fake.answer("create_integration", {"name": "prod"})
    with pytest.raises(DuoProtocolError, match="lacks the integration key"):
        session(fake, rec).create_web_sdk_integration("prod")


def test_deleting_an_integration_already_gone_is_not_an_error() -> None:
    fake, rec = FakeAdmin(), Recorder()
    fake.answer("delete_integration", duo_failure(404, 40401, "Resource not found"))
    assert session(fake, rec).delete_integration("DIWEBSDK000000000001") is False


def test_authentication_log_passes_v2_parameters() -> None:
    fake, rec = FakeAdmin(), Recorder()
    fake.answer("get_authentication_log", {"authlogs": [], "metadata": {}})
    session(fake, rec).authentication_log(
        mintime_ms=1, maxtime_ms=2, limit=10, next_offset=["1", "tx"], users=["DU1"]
    )
    _, args, kwargs = fake.calls[0]
    assert args == (2,)
    assert kwargs == {
        "mintime": 1,
        "maxtime": 2,
        "limit": "10",
        "next_offset": "1,tx",
        "users": ["DU1"],
    }


def test_a_raw_non_json_body_still_classifies() -> None:
    fake, rec = FakeAdmin(), Recorder()
    error = duo_failure(502, 0, "")
    error.data = b"<html>bad gateway</html>"  # type: ignore[attr-defined]
    fake.answer("get_info_summary", error)
    with pytest.raises(DuoUnreachable, match="HTTP 502"):
        session(fake, rec).summary()


def test_duos_words_are_made_safe_for_a_terminal() -> None:
    fake, rec = FakeAdmin(), Recorder()
    hostile = "Bad\x1b[31m key\nfix: run rm -rf /" + "x" * 500
    fake.answer("get_info_summary", duo_failure(401, 40103, hostile))
    with pytest.raises(DuoCredentialsRejected) as caught:
        session(fake, rec).summary()
    message = caught.value.message
    assert "\x1b" not in message
    assert "\n" not in message  # no forged "fix:" line
    assert len(message) < 400


def test_an_answer_of_the_wrong_shape_is_a_protocol_error() -> None:
    fake, rec = FakeAdmin(), Recorder()
    fake.answer("get_info_summary", ["not", "a", "summary"])
    fake.answer("get_users_by_name", {"not": "a list"})
    with pytest.raises(DuoProtocolError):
        session(fake, rec).summary()
    with pytest.raises(DuoProtocolError):
        session(fake, rec).users_by_name("alice")
