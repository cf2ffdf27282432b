"""The emulator's Admin API driven by Duo's official client, duo_client 5.7.0, over real TLS:
each endpoint, each error Duo answers, paging, and an integration created through it and
then used by the official Web SDK client (duo_universal) for a whole login."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from typing import Any

import duo_universal
import pytest

from duoctl.emulator import EmulatedUser, Emulator, NewUserPolicy, Outcome
from duoctl.emulator.admin import permissions
from duoctl.emulator.admin.authlog import AuthLog, AuthRecord
from duoctl.emulator.admin.signature import DATE_WINDOW

from .admin_helpers import admin_client, auth_log, failure, now_ms, web_client
from .conftest import USERS, callback, follow, login_code
from .test_interactive import answer, prompt

# duo_client 5.7.0's own https_wrapper.py builds its context with ssl.PROTOCOL_TLS; Duo's
# 40-character secrets are shorter than PyJWT's recommendation for HS512.
pytestmark = [
    pytest.mark.filterwarnings("ignore:ssl.PROTOCOL_TLS:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning"),
]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    # push_timeout 0: the TIMEOUT user's authorize is decided at once.
    with Emulator(USERS, push_timeout=0) as emulator:
        yield emulator


def test_summary_counts_users_and_integrations(emu: Emulator) -> None:
    summary = admin_client(emu).get_info_summary()
    assert summary["user_count"] == len(USERS)
    assert summary["integration_count"] == 1  # the emulator's own application


def test_user_by_name_is_case_insensitive_with_admin_fields(emu: Emulator) -> None:
    emu.add_user(EmulatedUser("Dana", status="bypass", groups=("ops",)))
    [user] = admin_client(emu).get_users_by_name("dANA")
    assert user["username"] == "Dana"
    assert user["status"] == "bypass"
    assert user["is_enrolled"] is True
    assert user["last_login"] is None
    assert [g["name"] for g in user["groups"]] == ["ops"]
    [phone] = user["phones"]
    assert "push" in phone["capabilities"]
    assert user["user_id"].startswith("DU")
    assert len(user["user_id"]) == 20
    assert admin_client(emu).get_user_by_id(user["user_id"])["username"] == "Dana"


def test_unknown_username_is_an_empty_list_and_unknown_id_404(emu: Emulator) -> None:
    client = admin_client(emu)
    assert client.get_users_by_name("nobody") == []
    status, body = failure(client.get_user_by_id, "DUXXXXXXXXXXXXXXXXXX")
    assert (status, body["code"], body["stat"]) == (404, 40401, "FAIL")


def test_users_page_through_with_offsets(emu: Emulator) -> None:
    for i in range(5):
        emu.add_user(EmulatedUser(f"extra{i}"))
    client = admin_client(emu)
    client.paging_limit = 3  # several pages of three
    names = [u["username"] for u in client.get_users()]
    assert sorted(names) == sorted([u.name for u in USERS] + [f"extra{i}" for i in range(5)])


def test_integration_create_get_delete(emu: Emulator) -> None:
    client = admin_client(emu)
    created = client.create_integration("web portal", "websdk")
    key = created["integration_key"]
    assert key.startswith("DI")
    assert len(key) == 20
    assert len(created["secret_key"]) == 40
    assert created["type"] == "websdk"
    fetched = client.get_integration(key)
    assert (fetched["name"], fetched["secret_key"]) == ("web portal", created["secret_key"])
    assert key in [i["integration_key"] for i in client.get_integrations()]
    client.delete_integration(key)
    status, body = failure(client.get_integration, key)
    assert (status, body["code"]) == (404, 40401)
    status, body = failure(client.delete_integration, key)
    assert status == 404


def test_created_integration_works_at_once_for_a_whole_login(emu: Emulator) -> None:
    created = admin_client(emu).create_integration("portal", "websdk")
    web = web_client(emu, created)
    web.health_check()
    code = login_code(emu, web, "alice")
    token = web.exchange_authorization_code_for_2fa_result(code, "alice")
    assert token["auth_result"]["status"] == "allow"
    assert token["auth_context"]["application"]["key"] == created["integration_key"]
    # And the log names the application as the Admin API created it.
    log = auth_log(admin_client(emu))
    [entry] = log["authlogs"]
    assert entry["application"] == {"key": created["integration_key"], "name": "portal"}
    assert entry["txid"] == token["auth_context"]["txid"]


def test_deleted_integration_no_longer_authenticates(emu: Emulator) -> None:
    client = admin_client(emu)
    created = client.create_integration("short-lived", "websdk")
    client.delete_integration(created["integration_key"])
    web = web_client(emu, created)
    with pytest.raises(duo_universal.DuoException):
        web.health_check()


@pytest.mark.parametrize("missing", ["name", "integration_type"])
def test_create_without_name_or_type_is_400(emu: Emulator, missing: str) -> None:
    args: dict[str, Any] = {"name": "x", "integration_type": "websdk", missing: None}
    status, body = failure(admin_client(emu).create_integration, **args)
    assert (status, body["code"], body["stat"]) == (400, 40002, "FAIL")
    assert body["message_detail"] == {"name": "name", "integration_type": "type"}[missing]


def test_wrong_secret_key_is_401_invalid_signature(emu: Emulator) -> None:
    wrong = emu.admin_skey[::-1]
    status, body = failure(admin_client(emu, skey=wrong).get_info_summary)
    assert (status, body) == (
        401,
        {"stat": "FAIL", "code": 40103, "message": "Invalid signature in request credentials"},
    )
    assert emu.recent_requests(1)[0].reason is not None


def test_unknown_integration_key_is_401_invalid_identity(emu: Emulator) -> None:
    status, body = failure(admin_client(emu, ikey="DI" + "Q" * 18).get_info_summary)
    assert (status, body["code"]) == (401, 40102)


def test_web_sdk_credentials_do_not_open_the_admin_api(emu: Emulator) -> None:
    client = admin_client(emu, ikey=emu.client_id, skey=emu.client_secret)
    status, body = failure(client.get_info_summary)
    assert (status, body["code"]) == (401, 40102)


@pytest.mark.parametrize(
    ("permission", "call"),
    [
        (permissions.READ_INFORMATION, lambda c: c.get_info_summary()),
        (permissions.READ_RESOURCE, lambda c: c.get_users_by_name("alice")),
        (permissions.APPLICATIONS, lambda c: c.create_integration("x", "websdk")),
        (permissions.READ_LOG, auth_log),
    ],
)
def test_missing_permission_is_403(emu: Emulator, permission: str, call: Any) -> None:
    client = admin_client(emu)
    call(client)  # allowed with every permission
    emu.admin_permissions.discard(permission)
    status, body = failure(call, client)
    assert (status, body["code"], body["stat"]) == (403, 40301, "FAIL")


def test_permissions_given_at_construction() -> None:
    with Emulator(admin_permissions=["read log"]) as emu:
        assert emu.admin_permissions == {permissions.READ_LOG}
        client = admin_client(emu)
        auth_log(client)
        assert failure(client.get_info_summary)[0] == 403


def test_unknown_permission_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown Admin API permission"):
        Emulator(admin_permissions=["Grant everything"])


@pytest.mark.parametrize("skew", [DATE_WINDOW + 60, -(DATE_WINDOW + 60)])
def test_date_outside_the_window_is_401(emu: Emulator, skew: float) -> None:
    emu.faults.clock_skew = skew
    status, body = failure(admin_client(emu).get_info_summary)
    assert (status, body["code"], body["message"]) == (401, 40105, "Bad request timestamp")


def test_date_inside_the_window_is_accepted(emu: Emulator) -> None:
    emu.faults.clock_skew = DATE_WINDOW - 60
    assert admin_client(emu).get_info_summary()["user_count"] == len(USERS)


def test_rate_limit_fault_is_429_with_retry_after(emu: Emulator) -> None:
    emu.faults.rate_limit = 7
    client = admin_client(emu)
    response, data = client.api_call("GET", "/admin/v1/info/summary", {})
    assert response.status == 429
    assert response.getheader("Retry-After") == "7"
    assert json.loads(data)["code"] == 42901


@pytest.mark.parametrize("sig_version", [2, 4, 5])
def test_every_signature_version_duo_client_sends(emu: Emulator, sig_version: int) -> None:
    client = admin_client(emu)
    client.sig_version = sig_version
    created = client.create_integration(f"v{sig_version}", "websdk")  # a POST body
    assert client.get_integration(created["integration_key"])["name"] == f"v{sig_version}"


def test_auth_log_records_every_decision(emu: Emulator) -> None:
    web = web_client(emu)
    login_code(emu, web, "alice")
    for name in ("lou", "tim"):
        follow(emu, web.create_auth_url(name, web.generate_state()))
    log = auth_log(admin_client(emu))
    by_user = {e["user"]["name"]: e for e in log["authlogs"]}
    assert (by_user["alice"]["result"], by_user["alice"]["reason"]) == ("success", "user_approved")
    assert (by_user["lou"]["result"], by_user["lou"]["reason"]) == ("denied", "locked_out")
    assert (by_user["tim"]["result"], by_user["tim"]["reason"]) == ("denied", "no_response")
    alice = by_user["alice"]
    assert alice["factor"] == "duo_push"
    assert alice["application"] == {"key": emu.client_id, "name": "duoctl emulator"}
    assert alice["access_device"]["ip"] == "127.0.0.1"
    assert alice["auth_device"]["name"] == "iOS (XXX-XXX-1234)"
    assert alice["event_type"] == "authentication"
    # Newest first, Duo's default order.
    assert [e["user"]["name"] for e in log["authlogs"]] == ["tim", "lou", "alice"]
    # A success is the user's last login.
    [user] = admin_client(emu).get_users_by_name("alice")
    assert user["last_login"] == alice["timestamp"]


def _decide(emu: Emulator, names: list[str]) -> None:
    web = web_client(emu)
    for name in names:
        login_code(emu, web, name)


def test_auth_log_pages_with_next_offset(emu: Emulator) -> None:
    _decide(emu, ["alice"] * 7)
    client = admin_client(emu)
    seen: list[str] = []
    pages = 0
    offset = None
    while True:
        page = auth_log(client, limit="3", next_offset=offset, mintime=now_ms() - 60_000)
        pages += 1
        seen += [e["txid"] for e in page["authlogs"]]
        assert page["metadata"]["total_objects"] == 7  # on every page
        offset = page["metadata"]["next_offset"]
        if offset is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7


def test_auth_log_next_offset_as_duo_documents_it(emu: Emulator) -> None:
    """Duo's docs give next_offset as one "ms,txid" value; duo_client sends the list twice."""
    _decide(emu, ["alice"] * 3)
    client = admin_client(emu)
    first = auth_log(client, limit="2")
    joined = ",".join(first["metadata"]["next_offset"])
    rest = auth_log(client, limit="2", next_offset=joined)
    assert len(rest["authlogs"]) == 1
    assert rest["metadata"]["next_offset"] is None


def test_auth_log_filters_by_user_application_and_time(emu: Emulator) -> None:
    _decide(emu, ["alice", "bob"])
    client = admin_client(emu)
    [alice] = client.get_users_by_name("alice")
    only_alice = auth_log(client, users=[alice["user_id"]])
    assert [e["user"]["name"] for e in only_alice["authlogs"]] == ["alice"]
    other_app = auth_log(client, applications=["DI" + "Z" * 18])
    assert other_app["authlogs"] == []
    future = now_ms() + 60_000
    later = auth_log(client, mintime=future, maxtime=future + 1)
    assert later["authlogs"] == []


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"mintime": "soon"}, "mintime"),
        ({"mintime": str(now_ms() - 200 * 86_400_000)}, "mintime"),
        ({"next_offset": "garbage"}, "next_offset"),
        ({"next_offset": "9" * 5000 + ",txid"}, "next_offset"),
        ({"limit": "9" * 5000}, "limit"),  # int() would refuse it: no 500
        ({"limit": "\u00b2"}, "limit"),  # "²".isdigit() is True, int("²") fails
        ({"maxtime": "\u0663" * 13}, "maxtime"),  # Arabic-Indic digits
        ({"sort": "name"}, "sort"),
    ],
)
def test_auth_log_bad_parameters_are_400(
    emu: Emulator, params: dict[str, str], detail: str
) -> None:
    client = admin_client(emu)
    query = {"mintime": str(now_ms() - 60_000), "maxtime": str(now_ms()), **params}
    response, data = client.api_call("GET", "/admin/v2/logs/authentication", query)
    body = json.loads(data)
    assert (response.status, body["code"], body["message_detail"]) == (400, 40002, detail)


def test_auth_log_requires_mintime_and_maxtime(emu: Emulator) -> None:
    client = admin_client(emu)
    response, data = client.api_call("GET", "/admin/v2/logs/authentication", {})
    assert response.status == 400
    assert json.loads(data)["message_detail"] == "mintime"


def test_reset_clears_the_auth_log_and_restores_permissions(emu: Emulator) -> None:
    _decide(emu, ["alice"])
    assert len(emu.auth_log.records()) == 1
    emu.admin_permissions.clear()
    emu.reset()
    assert emu.admin_permissions == set(permissions.ALL_PERMISSIONS)
    assert auth_log(admin_client(emu))["authlogs"] == []


def test_auth_log_keeps_only_the_newest_records() -> None:
    log = AuthLog(limit=3)
    for i in range(5):
        log.append(AuthRecord(f"t{i}", 1e9 + i, "alice", "success", "user_approved", "duo_push",
                              "DI", "app", "127.0.0.1", ""))  # fmt: skip
    assert [r.txid for r in log.records()] == ["t2", "t3", "t4"]


@pytest.mark.parametrize(
    ("status", "result", "reason"),
    [("disabled", "denied", "user_disabled"), ("locked out", "denied", "locked_out")],
)
def test_user_status_denies_before_any_push(
    emu: Emulator, status: str, result: str, reason: str
) -> None:
    emu.add_user(EmulatedUser("sam", Outcome.APPROVE, status=status))
    web = web_client(emu)
    cb = callback(follow(emu, web.create_auth_url("sam", web.generate_state())))
    assert cb.params["error"] == "access_denied"
    [entry] = auth_log(admin_client(emu))["authlogs"]
    assert (entry["result"], entry["reason"]) == (result, reason)


def test_bypass_user_is_let_through_without_a_push(emu: Emulator) -> None:
    emu.add_user(EmulatedUser("byron", Outcome.DENY, status="bypass"))
    web = web_client(emu)
    code = login_code(emu, web, "byron")
    token = web.exchange_authorization_code_for_2fa_result(code, "byron")
    assert token["auth_result"]["status"] == "allow"
    assert token["auth_context"]["reason"] == "bypass_user"
    [entry] = auth_log(admin_client(emu))["authlogs"]
    assert (entry["result"], entry["reason"]) == ("success", "bypass_user")


def test_pytest_plugin_fixture_exposes_the_admin_credential(duo_emulator: Emulator) -> None:
    assert admin_client(duo_emulator).get_users_by_name("alice")[0]["status"] == "active"
    assert duo_emulator.admin_permissions == set(permissions.ALL_PERMISSIONS)


def test_admin_credential_is_generated_in_duos_shape_or_checked() -> None:
    emu = Emulator()
    assert emu.admin_ikey.startswith("DI")
    assert len(emu.admin_ikey) == 20
    assert set(emu.admin_ikey) <= set(string.ascii_uppercase + string.digits)
    assert len(emu.admin_skey) == 40
    assert emu.admin_ikey != emu.client_id
    given = Emulator(admin_ikey="DI" + "1" * 18, admin_skey="k" * 40)
    assert (given.admin_ikey, given.admin_skey) == ("DI" + "1" * 18, "k" * 40)
    for bad in (
        {"admin_ikey": "XX" + "1" * 18},
        {"admin_ikey": "di" + "1" * 18},
        {"admin_skey": "short"},
    ):
        with pytest.raises(ValueError, match="admin_"):
            Emulator(**bad)


@pytest.mark.parametrize(
    ("policy", "result", "reason"),
    [
        (NewUserPolicy.DENY, "denied", "deny_unenrolled_user"),
        (NewUserPolicy.ALLOW, "success", "allow_unenrolled_user"),
    ],
)
def test_an_unenrolled_user_meets_the_new_user_policy(
    policy: NewUserPolicy, result: str, reason: str
) -> None:
    user = EmulatedUser("una", Outcome.APPROVE, is_enrolled=False, phones=())
    with Emulator([user], new_user_policy=policy) as emu:
        web = web_client(emu)
        follow(emu, web.create_auth_url("una", web.generate_state()))
        [entry] = auth_log(admin_client(emu))["authlogs"]
        [listed] = admin_client(emu).get_users_by_name("una")
    assert (entry["result"], entry["reason"]) == (result, reason)
    assert listed["is_enrolled"] is False


def test_an_unenrolled_user_stays_on_the_enrollment_page_by_default() -> None:
    with Emulator([EmulatedUser("una", is_enrolled=False)]) as emu:
        web = web_client(emu)
        answer = follow(emu, web.create_auth_url("una", web.generate_state()))
        assert answer.status_code == 200
        assert "Location" not in answer.headers


def test_a_not_enrolled_outcome_is_reported_as_not_enrolled(emu: Emulator) -> None:
    [nora] = admin_client(emu).get_users_by_name("nora")  # Outcome.NOT_ENROLLED
    assert nora["is_enrolled"] is False


@pytest.mark.parametrize(("action", "result"), [("approve", "success"), ("deny", "denied")])
def test_a_persons_answer_on_the_interactive_page_is_logged(action: str, result: str) -> None:
    with Emulator([EmulatedUser("alice")], interactive=True) as emu:
        _, page = prompt(emu, "alice")
        assert auth_log(admin_client(emu))["authlogs"] == []  # nothing decided yet
        answer(emu, page, action)
        [entry] = auth_log(admin_client(emu))["authlogs"]
    assert (entry["user"]["name"], entry["result"]) == ("alice", result)
