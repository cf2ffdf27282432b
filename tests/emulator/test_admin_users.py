"""Scripted users' Admin API fields (status, phones, groups, enrolment, last login): loaded
from the users TOML, checked, and served to duo_client by the real console script."""

from __future__ import annotations

from pathlib import Path

import pytest

from duoctl.emulator.users import EmulatedUser, Phone, load_users_toml

from .admin_helpers import admin_from_banner
from .service_process import running_emulator

pytestmark = pytest.mark.filterwarnings("ignore:ssl.PROTOCOL_TLS:DeprecationWarning")

USERS_TOML = """
[[users]]
name = "alice"

[[users]]
name = "olga"
outcome = "deny"
status = "locked out"
groups = ["ops", "oncall"]
last_login = 1764500000

[[users.phones]]
number = "+15555550100"
platform = "Google Android"
capabilities = ["push", "sms"]
model = "Pixel 8"

[[users.phones]]
number = "+15555550101"
platform = "Generic Smartphone"
capabilities = ["phone"]
activated = false

[[users]]
name = "newbie"
is_enrolled = false
"""


def test_users_file_fields_reach_the_admin_api(tmp_path: Path) -> None:
    users_file = tmp_path / "users.toml"
    users_file.write_text(USERS_TOML)
    with running_emulator("--users", str(users_file)) as emu:
        client = admin_from_banner(emu.banner)
        [olga] = client.get_users_by_name("olga")
        [newbie] = client.get_users_by_name("newbie")
        [alice] = client.get_users_by_name("alice")
    assert olga["status"] == "locked out"
    assert [g["name"] for g in olga["groups"]] == ["ops", "oncall"]
    assert olga["last_login"] == 1764500000
    android, landline = olga["phones"]
    assert (android["platform"], android["model"]) == ("Google Android", "Pixel 8")
    assert android["capabilities"] == ["push", "sms"]
    assert (landline["capabilities"], landline["activated"]) == (["phone"], False)
    assert android["phone_id"] != landline["phone_id"]
    assert (newbie["is_enrolled"], newbie["phones"]) == (False, [])
    assert (alice["status"], alice["is_enrolled"], len(alice["phones"])) == ("active", True, 1)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('status = "asleep"', "unknown status 'asleep'"),
        ("status = 3", "'status' must be a string"),
        ('groups = "ops"', "'groups' must be a list of strings"),
        ('is_enrolled = "no"', "'is_enrolled' must be true or false"),
        ("last_login = 1.5", "'last_login' must be Unix seconds"),
        ("phones = 3", "'phones' must be [[users.phones]] tables"),
        ('[[users.phones]]\ncapabilities = ["telepathy"]', "unknown phone capability"),
        ("[[users.phones]]\nnumbr = '1'", "phones #1: unknown key(s) numbr"),
        ("[[users.phones]]\nactivated = 1", "'activated' must be true or false"),
        ("[[users.phones]]\nnumber = 5", "must be strings"),
    ],
)
def test_bad_admin_fields_name_the_user_and_the_field(
    tmp_path: Path, table: str, message: str
) -> None:
    users_file = tmp_path / "users.toml"
    users_file.write_text(f'[[users]]\nname = "x"\n{table}\n')
    with pytest.raises(ValueError, match="users #1") as info:
        load_users_toml(users_file)
    assert message in str(info.value)


def test_emulated_user_checks_its_fields() -> None:
    with pytest.raises(ValueError, match="unknown status"):
        EmulatedUser("x", status="Active")  # Duo's spelling is lower-case
    with pytest.raises(ValueError, match="unknown phone capability"):
        Phone(capabilities=("push", "carrier pigeon"))
    assert EmulatedUser("x").phones == (Phone(),)
