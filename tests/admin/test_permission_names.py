"""The client's and the emulator's Admin API permission names agree, and match duo_client.

They are written twice on purpose (an emulator that imported the client's names could not
catch a wrong name on either side); this test is what keeps the two copies honest. The third,
independent source is duo_client's own `create_integration`, which has one ``adminapi_*``
flag per Admin Panel check box.
"""

from __future__ import annotations

import inspect

import duo_client.admin

from duoctl.admin import permissions as client
from duoctl.emulator.admin import permissions as emulator

# The Admin Panel's name for each duo_client flag (https://duo.com/docs/adminapi#first-steps).
_FLAG_OF = {
    "Grant read information": "adminapi_info",
    "Grant applications": "adminapi_integrations",
    "Grant settings": "adminapi_settings",
    "Grant read log": "adminapi_read_log",
    "Grant read resource": "adminapi_read_resource",
    "Grant write resource": "adminapi_write_resource",
    "Grant administrators": "adminapi_admins",
}


def test_client_and_emulator_name_the_same_permissions_in_the_same_order() -> None:
    assert client.ALL == emulator.ALL_PERMISSIONS
    assert len(set(client.ALL)) == len(client.ALL)


def test_every_permission_is_one_of_duo_clients_flags_and_none_is_missing() -> None:
    flags = {
        name
        for name in inspect.signature(duo_client.admin.Admin.create_integration).parameters
        if name.startswith("adminapi_")
    }
    assert {_FLAG_OF[name] for name in client.ALL} == flags


def test_the_commands_a_permission_disables_name_only_known_permissions() -> None:
    assert set(client.COMMANDS_NEEDING) <= set(emulator.ALL_PERMISSIONS)
    assert emulator.parse_permissions(client.COMMANDS_NEEDING) == set(client.COMMANDS_NEEDING)
