"""The control API (/emulator/...) against hostile requests, as the callback listener is
tested: no token, a wrong one, a near miss, the token in the wrong place, oversized and
garbled bodies. And what it does with the right token, and the same operations in Python."""

from __future__ import annotations

import hmac
import socket
import ssl
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from duoctl.emulator import EmulatedUser, Emulator, Outcome
from duoctl.emulator import control as control_module
from duoctl.emulator.control import MAX_CONTROL_BODY, apply_faults, authorized
from duoctl.emulator.faults import Faults
from duoctl.emulator.forms import MAX_BODY

from .conftest import make_client
from .service_process import login

pytestmark = pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")

CONTROL_PATHS = [
    ("GET", "users"),
    ("PUT", "users/alice"),
    ("DELETE", "users/alice"),
    ("GET", "faults"),
    ("PATCH", "faults"),
    ("DELETE", "faults"),
    ("GET", "requests"),
    ("POST", "reset"),
    ("GET", "no-such-thing"),
]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator([EmulatedUser("alice"), EmulatedUser("bob", Outcome.DENY)]) as emulator:
        yield emulator


def call(
    emu: Emulator, method: str, path: str, token: str | None = "", **kwargs: Any
) -> requests.Response:
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token or emu.control_token}"
    return requests.request(
        method,
        f"https://{emu.api_host}/emulator/{path}",
        headers=headers,
        verify=str(emu.ca_bundle),
        timeout=10,
        **kwargs,
    )


def assert_refused(answer: requests.Response) -> None:
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.json() == {"error": "unauthorized"}


# -- the readiness probe -------------------------------------------------------------------


def test_health_needs_no_token_and_is_not_cached(emu: Emulator) -> None:
    answer = call(emu, "GET", "health", token=None)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}
    assert answer.headers["Cache-Control"] == "no-store"
    assert call(emu, "HEAD", "health", token=None).status_code == 200
    refused = call(emu, "POST", "health", token=None)
    assert refused.status_code == 405
    assert refused.headers["Allow"] == "GET, HEAD"


def test_health_answers_while_duo_is_faulted(emu: Emulator) -> None:
    emu.faults.status_5xx = True
    emu.faults.non_json = True
    assert call(emu, "GET", "health", token=None).json() == {"status": "ok"}


# -- never without the token ---------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), CONTROL_PATHS)
def test_no_token_no_answer(emu: Emulator, method: str, path: str) -> None:
    assert_refused(call(emu, method, path, token=None, json={"outcome": "deny"}))
    # Nothing changed: alice still approves, faults still off.
    assert emu.users["alice"].outcome is Outcome.APPROVE
    assert emu.faults == Faults()


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer wrong-token-of-some-length",
        "Bearer ",
        "Bearer",
        "",
        "Basic {token}",
        "{token}",
        "Bearer {token}x",
        "Bearer {short}",
        "Bearer {token} {token}",
        "Token {token}",
    ],
)
def test_wrong_or_misplaced_token_is_refused(emu: Emulator, authorization: str) -> None:
    header = authorization.format(token=emu.control_token, short=emu.control_token[:-1])
    answer = call(emu, "POST", "reset", token=None, headers={"Authorization": header})
    assert_refused(answer)


def test_token_in_the_query_or_a_cookie_is_not_a_token(emu: Emulator) -> None:
    token = emu.control_token
    assert_refused(call(emu, "GET", f"users?access_token={token}", token=None))
    assert_refused(call(emu, "GET", "users", token=None, cookies={"token": token}))


def _raw_request(emu: Emulator, head: str) -> bytes:
    context = ssl.create_default_context(cafile=str(emu.ca_bundle))
    raw = socket.create_connection(("127.0.0.1", emu.port), timeout=10)
    with context.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(head.encode() + b"Connection: close\r\n\r\n")
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("order", ["right-first", "wrong-first"])
def test_two_authorization_headers_are_refused(emu: Emulator, order: str) -> None:
    right, wrong = f"Bearer {emu.control_token}", "Bearer not-the-token-at-all"
    first, second = (right, wrong) if order == "right-first" else (wrong, right)
    answer = _raw_request(
        emu,
        "POST /emulator/reset HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n"
        f"Authorization: {first}\r\nAuthorization: {second}\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 401"), answer[:100]
    assert emu.requests_seen[-1].reason == "control API: several Authorization headers"


def test_no_cors_preflight_is_ever_granted(emu: Emulator) -> None:
    answer = _raw_request(
        emu,
        "OPTIONS /emulator/reset HTTP/1.1\r\nHost: localhost\r\n"
        "Origin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\n"
        "Access-Control-Request-Headers: authorization\r\n",
    )
    assert b"Access-Control-Allow" not in answer
    assert not answer.startswith(b"HTTP/1.1 2")


def test_scheme_is_case_insensitive(emu: Emulator) -> None:
    header = {"Authorization": f"bEaReR {emu.control_token}"}
    assert call(emu, "GET", "users", token=None, headers=header).status_code == 200


def test_token_is_compared_in_constant_time(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(control_module.hmac, "compare_digest", spy)
    assert_refused(call(emu, "GET", "users", token=None))
    assert_refused(call(emu, "GET", "users", token="x" * 43))
    assert call(emu, "GET", "users").status_code == 200
    # Every answer went through compare_digest, the missing header included.
    assert len(compared) == 3
    assert all(b == emu.control_token.encode() for _, b in compared)


def test_refusals_are_logged_with_a_reason_and_never_the_token(emu: Emulator) -> None:
    call(emu, "GET", "users", token=None)
    call(emu, "GET", "users", token="not-the-token-at-all")
    reasons = [r.reason for r in emu.requests_seen if r.path == "/emulator/users"]
    assert reasons == ["control API: no bearer token", "control API: wrong bearer token"]
    assert all(emu.control_token not in str(r) for r in emu.requests_seen)


def test_unknown_paths_are_401_without_the_token_and_404_with_it(emu: Emulator) -> None:
    assert_refused(call(emu, "GET", "secret-admin", token=None))
    assert call(emu, "GET", "secret-admin").status_code == 404


def test_oversized_bodies_are_refused(emu: Emulator) -> None:
    answer = call(emu, "PUT", "users/alice", data=b"{" + b" " * MAX_CONTROL_BODY + b"}")
    assert answer.status_code == 413
    assert answer.headers["Cache-Control"] == "no-store"
    huge = call(emu, "PATCH", "faults", data=b"x" * (MAX_BODY + 1))
    assert huge.status_code == 413
    assert emu.users["alice"].outcome is Outcome.APPROVE


def test_a_silent_client_blocks_no_control_call(emu: Emulator) -> None:
    silent = socket.create_connection(("127.0.0.1", emu.port), timeout=10)
    try:
        assert call(emu, "GET", "users").status_code == 200
    finally:
        silent.close()


def test_control_pages_are_json_and_never_cached(emu: Emulator) -> None:
    for method, path in CONTROL_PATHS[:-1]:
        answer = call(emu, method, path, json={})
        assert answer.headers["Cache-Control"] == "no-store", (method, path)
        assert answer.headers["Content-Type"] == "application/json", (method, path)


# -- what it does with the token -----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"[1, 2]", 400),
        (b'{"outcome": "maybe"}', 400),
        (b'{"outcome": 3}', 400),
        (b'{"delay": -1}', 400),
        (b'{"delay": "NaN"}', 400),
        (b'{"delay": true}', 400),
        (b'{"colour": "red"}', 400),
        (b"\xff\xfe", 400),
    ],
)
def test_bad_user_bodies_are_400_and_change_nothing(
    emu: Emulator, body: bytes, status: int
) -> None:
    answer = call(emu, "PUT", "users/alice", data=body)
    assert answer.status_code == status
    assert "error" in answer.json()
    assert emu.users["alice"].outcome is Outcome.APPROVE


def test_users_are_added_changed_listed_and_removed(emu: Emulator) -> None:
    client = make_client(emu)
    answer = call(emu, "PUT", "users/carol%40example.com", json={"outcome": "fraud"})
    assert answer.json()["user"]["name"] == "carol@example.com"
    assert login(client, "carol@example.com")["callback"]["error"] == "access_denied"
    call(emu, "PUT", "users/bob", json={"outcome": "approve", "delay": 0})
    assert login(client, "bob")["token"]["auth_result"]["status"] == "allow"
    listed = call(emu, "GET", "users").json()["users"]
    assert [u["name"] for u in listed] == ["alice", "bob", "carol@example.com"]
    assert call(emu, "DELETE", "users/bob").json() == {"removed": "bob"}
    assert call(emu, "DELETE", "users/bob").status_code == 404
    # bob is now unknown: Duo's default new-user policy sends him to enrolment (no redirect).
    assert login(client, "bob")["status"] == 200
    refused = call(emu, "POST", "users/bob")
    assert refused.status_code == 405
    assert refused.headers["Allow"] == "PUT, DELETE"


def test_faults_are_set_read_and_cleared(emu: Emulator) -> None:
    client = make_client(emu)
    answer = call(emu, "PATCH", "faults", json={"status_5xx": 502, "clock_skew": 5})
    assert answer.json()["faults"]["status_5xx"] == 502
    with pytest.raises(Exception, match=r"502|Service Unavailable"):
        client.health_check()
    # The control API itself is never faulted: the test can always turn faults off.
    assert (
        call(emu, "DELETE", "faults").json()["faults"]
        == call(emu, "GET", "faults").json()["faults"]
    )
    assert emu.faults == Faults()
    assert client.health_check()["stat"] == "OK"


@pytest.mark.parametrize(
    "changes",
    [
        {"status_5xx": 404},
        {"status_5xx": "yes"},
        {"latency": -1},
        {"latency": True},
        {"non_json": 1},
        {"no_such_fault": True},
        {"latency": 1, "wrong_ca": "true"},
        {"nonce_claim": "banana"},
        {"nonce_claim": None},
        {"rate_limit": -1},
        {"rate_limit": 1.5},
        {"rate_limit": True},
        {"rate_limit": "30"},
    ],
)
def test_bad_faults_are_400_and_none_is_applied(emu: Emulator, changes: dict[str, Any]) -> None:
    answer = call(emu, "PATCH", "faults", json=changes)
    assert answer.status_code == 400
    assert emu.faults == Faults()


def test_a_quoted_field_name_reaches_the_log_printable(emu: Emulator) -> None:
    answer = call(emu, "PATCH", "faults", json={"\x1b[2Jboom\nfix: lie": True})
    assert answer.status_code == 400
    reason = emu.requests_seen[-1].reason
    assert reason is not None
    assert "\x1b" not in reason
    assert "\n" not in reason


def test_apply_faults_follows_new_fields() -> None:
    faults = Faults()
    apply_faults(faults, {"latency": 0.25, "wrong_ca": True, "status_5xx": True})
    assert (faults.latency, faults.wrong_ca, faults.forced_status()) == (0.25, True, 503)
    apply_faults(faults, {"nonce_claim": "missing"})
    assert faults.nonce_claim == "missing"
    apply_faults(faults, {"rate_limit": 0})
    assert faults.rate_limit == 0
    apply_faults(faults, {"rate_limit": None})
    assert faults.rate_limit is None


def test_request_log_shows_duo_decisions_and_not_control_calls(emu: Emulator) -> None:
    client = make_client(emu)
    approved = login(client, "alice")
    login(client, "bob")
    call(emu, "PUT", "users/lou", json={"outcome": "lockout"})
    login(client, "lou")
    seen = call(emu, "GET", "requests", params={"last": "4"}).json()["requests"]
    assert [(r["method"], r["path"]) for r in seen] == [
        ("POST", "/oauth/v1/token"),
        ("GET", "/oauth/v1/authorize"),
        ("POST", "/oauth/v1/token"),
        ("GET", "/oauth/v1/authorize"),
    ]
    lockout = seen[-1]["decision"]
    assert (lockout["user"], lockout["result"], lockout["reason"]) == (
        "lou",
        "denied",
        "locked_out",
    )
    everything = call(emu, "GET", "requests").json()["requests"]
    assert not any(r["path"].startswith("/emulator/") for r in everything)
    first = next(r for r in everything if r["decision"] is not None)["decision"]
    assert first["txid"] == approved["token"]["auth_context"]["txid"]
    for bad in ("0", "-1", "x", "10001"):
        assert call(emu, "GET", "requests", params={"last": bad}).status_code == 400


def test_reset_restores_the_start_state(emu: Emulator) -> None:
    call(emu, "PUT", "users/alice", json={"outcome": "deny"})
    call(emu, "PUT", "users/zed", json={})
    call(emu, "PATCH", "faults", json={"latency": 0.01})
    login(make_client(emu), "alice")
    assert call(emu, "POST", "reset").json() == {"reset": True}
    assert {n: u.outcome for n, u in emu.users.items()} == {
        "alice": Outcome.APPROVE,
        "bob": Outcome.DENY,
    }
    assert emu.faults == Faults()
    assert call(emu, "GET", "requests").json()["requests"] == []
    assert login(make_client(emu), "alice")["token"]["auth_result"]["status"] == "allow"


def test_the_same_operations_in_python(emu: Emulator) -> None:
    client = make_client(emu)
    emu.set_outcome("alice", Outcome.DENY)
    assert login(client, "alice")["token"]["auth_result"]["status"] == "deny"
    assert emu.remove_user("bob") is True
    assert emu.remove_user("bob") is False
    emu.faults.non_json = True
    emu.clear_faults()
    assert emu.faults == Faults()
    decisions = [r.decision for r in emu.recent_requests(10) if r.decision is not None]
    assert [(d.user, d.result) for d in decisions] == [("alice", "denied")]
    emu.reset()
    assert set(emu.users) == {"alice", "bob"}
    assert emu.users["alice"].outcome is Outcome.APPROVE
    assert emu.recent_requests() == []
    with pytest.raises(KeyError):
        emu.set_outcome("nobody", Outcome.APPROVE)


def test_authorized_unit() -> None:
    token = "t" * 32
    assert authorized(f"Bearer {token}", token)
    assert authorized(f"  bearer   {token}  ", token)
    assert not authorized(None, token)
    assert not authorized(f"Bearer {token[:-1]}", token)
    assert not authorized(f"Basic {token}", token)


def test_the_wrong_ca_fault_leaves_a_kept_alive_control_connection_usable(
    emu: Emulator,
) -> None:
    with requests.Session() as session:
        session.verify = str(emu.ca_bundle)
        session.headers["Authorization"] = f"Bearer {emu.control_token}"
        base = f"https://{emu.api_host}/emulator/faults"
        assert session.patch(base, json={"wrong_ca": True}, timeout=10).status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"https://{emu.api_host}/emulator/health", verify=str(emu.ca_bundle))
        assert session.delete(base, timeout=10).status_code == 200
    assert emu.faults == Faults()
    context = ssl.create_default_context(cafile=str(emu.ca_bundle))
    with socket.create_connection(("127.0.0.1", emu.port)) as raw:
        context.wrap_socket(raw, server_hostname="localhost").close()
