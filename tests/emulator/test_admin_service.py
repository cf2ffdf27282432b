"""``duoctl emulator``'s Admin API credential as a CI script meets it: the real console script,
its JSON banner, the files it names, ``--admin-permission`` and ``--state-dir``, driven by
Duo's official duo_client over TLS."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from .admin_helpers import admin_from_banner
from .service_process import prose_banner, run_failing, running_emulator

pytestmark = [
    pytest.mark.filterwarnings("ignore:ssl.PROTOCOL_TLS:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning"),
]


def status_of(call: Any) -> int:
    with pytest.raises(RuntimeError) as info:
        call()
    status: int = info.value.status  # type: ignore[attr-defined]
    return status


def test_json_banner_names_a_working_admin_credential_and_no_secret() -> None:
    with running_emulator("--user", "alice") as emu:
        admin = emu.banner["admin_api"]
        skey_file = Path(admin["skey_file"])
        assert stat.S_IMODE(skey_file.stat().st_mode) == 0o600
        skey = skey_file.read_text().strip()
        assert len(skey) == 40
        assert skey not in json.dumps(emu.banner)
        assert admin["ikey"].startswith("DI")
        assert admin["permissions"][0] == "Grant read information"
        assert len(admin["permissions"]) == 7
        client = admin_from_banner(emu.banner)
        assert client.get_info_summary()["user_count"] == 1
        assert client.get_users_by_name("ALICE")[0]["username"] == "alice"


def test_admin_permission_option_limits_the_credential() -> None:
    with running_emulator("--admin-permission", "read log") as emu:
        assert emu.banner["admin_api"]["permissions"] == ["Grant read log"]
        client = admin_from_banner(emu.banner)
        assert client.get_authentication_log(api_version=2)["authlogs"] == []
        assert status_of(client.get_info_summary) == 403


def test_admin_permission_none_grants_nothing() -> None:
    with running_emulator("--admin-permission", "none") as emu:
        assert emu.banner["admin_api"]["permissions"] == []
        client = admin_from_banner(emu.banner)
        assert status_of(lambda: client.get_authentication_log(api_version=2)) == 403


def test_an_unknown_admin_permission_exits_3_before_any_banner() -> None:
    result = run_failing("--admin-permission", "read everything")
    assert result.returncode == 3, result.stderr
    assert "unknown Admin API permission 'read everything'" in result.stderr
    assert json.loads(result.stdout)["ok"] is False


def test_state_dir_keeps_the_admin_credential(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with running_emulator("--state-dir", str(state)) as first:
        before = first.banner["admin_api"]
        skey_before = Path(before["skey_file"]).read_text()
    assert stat.S_IMODE((state / "admin_skey").stat().st_mode) == 0o600
    with running_emulator("--state-dir", str(state)) as second:
        after = second.banner["admin_api"]
        assert after["ikey"] == before["ikey"]
        assert Path(after["skey_file"]).read_text() == skey_before
        assert admin_from_banner(second.banner).get_info_summary()["integration_count"] == 1


@pytest.mark.parametrize("show_secret", [False, True])
def test_prose_banner_names_the_admin_credential(tmp_path: Path, show_secret: bool) -> None:
    state = tmp_path / "state"
    extra = ["--show-secret"] if show_secret else []
    text = prose_banner("--state-dir", str(state), *extra)
    skey = (state / "admin_skey").read_text().strip()
    ikey = (state / "admin_ikey").read_text().strip()
    assert f"admin ikey:    {ikey}" in text
    assert (skey in text) is show_secret
    assert "admin grants:  all" in text


def test_apps_file_applications_are_admin_api_integrations(tmp_path: Path) -> None:
    apps = tmp_path / "apps.toml"
    apps.write_text('[[apps]]\nname = "vpn"\nclient_id = "DIVPN0000000000000BB"\n')
    with running_emulator("--apps", str(apps)) as emu:
        client = admin_from_banner(emu.banner)
        listed = {i["integration_key"]: i for i in client.get_integrations()}
        assert listed["DIVPN0000000000000BB"]["name"] == "vpn"
        assert listed[emu.banner["client_id"]]["type"] == "websdk"
        # Deleting one through the Admin API stops its login at once.
        client.delete_integration("DIVPN0000000000000BB")
        secret = Path(emu.banner["apps"][1]["client_secret_file"]).read_text().strip()
        with pytest.raises(Exception, match="invalid_client"):
            emu.client("DIVPN0000000000000BB", secret).health_check()


@pytest.mark.parametrize(
    ("ikey", "message"), [("XX" + "1" * 18, "starts with DI"), ("DI1", "20 upper-case")]
)
def test_a_bad_kept_admin_ikey_is_refused_not_replaced(
    tmp_path: Path, ikey: str, message: str
) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "admin_ikey").write_text(ikey + "\n")
    result = run_failing("--state-dir", str(state))
    assert result.returncode == 3, result.stderr
    assert message in result.stderr
    assert (state / "admin_ikey").read_text() == ikey + "\n"
