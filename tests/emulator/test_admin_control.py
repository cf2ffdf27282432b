"""The control API's part in the Admin API: a test in any language removes a permission or
gives a user a status, and the next Admin API or authorize request obeys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from duoctl.emulator import EmulatedUser, Emulator
from duoctl.emulator.admin import permissions

from .admin_helpers import admin_client, failure, web_client
from .conftest import callback, follow
from .test_control import call

pytestmark = [
    pytest.mark.filterwarnings("ignore:ssl.PROTOCOL_TLS:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning"),
]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator([EmulatedUser("alice")]) as emulator:
        yield emulator


def test_admin_permissions_are_read_and_replaced(emu: Emulator) -> None:
    shown = call(emu, "GET", "admin").json()["admin"]
    assert shown["ikey"] == emu.admin_ikey
    assert shown["permissions"] == list(permissions.ALL_PERMISSIONS)
    client = admin_client(emu)
    assert client.get_info_summary()["user_count"] == 1
    answer = call(emu, "PATCH", "admin", json={"permissions": ["read log", "Grant applications"]})
    assert answer.json()["admin"]["permissions"] == [permissions.APPLICATIONS, permissions.READ_LOG]
    status, body = failure(client.get_info_summary)
    assert (status, body["code"]) == (403, 40301)
    call(emu, "PATCH", "admin", json={"permissions": list(permissions.ALL_PERMISSIONS)})
    assert client.get_info_summary()["user_count"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"permissions": ["Grant the moon"]},
        {"permissions": "read log"},
        {"grants": []},
    ],
)
def test_bad_permission_changes_are_400_and_change_nothing(
    emu: Emulator, body: dict[str, object]
) -> None:
    answer = call(emu, "PATCH", "admin", json=body)
    assert answer.status_code == 400
    assert "error" in answer.json()
    assert emu.admin_permissions == set(permissions.ALL_PERMISSIONS)


def test_user_status_is_scripted_through_the_control_api(emu: Emulator) -> None:
    answer = call(emu, "PUT", "users/dana", json={"status": "disabled"})
    assert answer.json()["user"]["status"] == "disabled"
    web = web_client(emu)
    cb = callback(follow(emu, web.create_auth_url("dana", web.generate_state())))
    assert cb.params["error"] == "access_denied"
    [user] = admin_client(emu).get_users_by_name("dana")
    assert user["status"] == "disabled"
    refused = call(emu, "PUT", "users/dana", json={"status": "asleep"})
    assert refused.status_code == 400
    assert "unknown status" in refused.json()["error"]
