"""provider create, secret reveal and remove --delete-app through the console script,
against the emulator's Admin API: the transaction, its rollback, and the secret canary."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from admin.conftest import Admin
from duoctl.audit.log import audit_path
from duoctl.emulator import Emulator
from duoctl.errors import ExitCode
from testlogin.helpers import duoctl_env

pytestmark = pytest.mark.real_keyring


def _records(config: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in audit_path(config).read_text().splitlines()]


def _created_secret(emu: Emulator, name: str) -> tuple[str, str]:
    (app,) = [i for i in emu.integrations.all() if i.name == name]
    return app.integration_key, app.secret_key


def test_create_then_test_login_succeeds_and_the_secret_is_never_shown(logged_in: Admin) -> None:
    emu = logged_in.emulator
    create = logged_in.run("provider", "create", "prod", "--duo-name", "PAM production")
    assert create.code == 0, create.stderr
    ikey, secret = _created_secret(emu, "PAM production")
    for step in ("1. created", "2. stored", "3. registered", "4. Duo's health check"):
        assert step in create.stderr
    provider = tomllib.loads(logged_in.config.read_text())["providers"]["prod"]
    assert provider["client_id"] == ikey
    assert provider["endpoint"] == emu.api_host
    login = logged_in.run("test-login", "prod", "--username", "alice", "--browser", "follow")
    assert login.code == 0, login.stderr
    records = _records(logged_in.config)
    assert [r["command"] for r in records[-2:]] == ["provider create"] * 2
    assert records[-2]["duo"] == [
        {"action": "created", "integration_key": ikey, "name": "PAM production",
         "provider": "prod"}
    ]  # fmt: skip
    assert "provider prod" in records[-2]["targets"]
    assert records[-1]["secrets"][0]["action"] == "stored"
    shown = logged_in.run("audit", "--provider", "prod")
    assert f"Duo application 'PAM production' ({ikey}): created" in shown.stdout
    everything = logged_in.outputs(create, login, shown)
    assert secret not in everything
    assert emu.admin_skey not in everything


def test_a_create_that_fails_half_way_deletes_the_integration(
    emulator: Emulator, tmp_path: Path
) -> None:
    # A store that takes the Admin API key but refuses the new provider's secret: step 2.
    env = duoctl_env(
        PYTHON_KEYRING_BACKEND="support.keyring_backends.ProviderWriteFailsKeyring",
        DUOCTL_TEST_KEYRING_FILE=str(tmp_path / "keyring.json"),
        DUOCTL_ALLOW_PLAINTEXT_KEYRING="1",
        PYTHONPATH=str(Path(__file__).resolve().parents[1]),
    )
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir()
    admin = Admin(emulator, config, env)
    assert admin.login().code == 0
    before = {i.integration_key for i in emulator.integrations.all()}
    create = admin.run("provider", "create", "prod")
    assert create.code == ExitCode.SECRET_STORE, create.stderr
    assert "1. created" in create.stderr
    assert "undo: deleted the Duo application" in create.stderr
    assert "nothing remains" in create.stderr
    assert {i.integration_key for i in emulator.integrations.all()} == before
    assert "prod" not in tomllib.loads(config.read_text()).get("providers", {})
    actions = [e["action"] for r in _records(config) for e in r.get("duo", [])]  # type: ignore[attr-defined]
    assert actions == ["created", "deleted (undo)"]


def test_a_create_duo_refuses_leaves_nothing_to_undo(logged_in: Admin) -> None:
    emu = logged_in.emulator
    before = list(emu.integrations.all())
    emu.faults.status_5xx = 503
    create = logged_in.run("provider", "create", "prod")
    assert create.code == ExitCode.DUO_UNREACHABLE
    assert "undo" not in create.stderr
    assert list(emu.integrations.all()) == before
    assert not logged_in.config.exists() or "prod" not in logged_in.config.read_text()


def test_reveal_refuses_a_pipe_without_force_pipe(logged_in: Admin) -> None:
    assert logged_in.run("provider", "create", "prod").code == 0
    _, secret = _created_secret(logged_in.emulator, "prod")
    refused = logged_in.run("provider", "secret", "reveal", "prod", "--yes")
    assert refused.code == ExitCode.USAGE
    assert "not a terminal" in refused.stderr
    assert secret not in refused.stdout + refused.stderr
    shown = logged_in.run("provider", "secret", "reveal", "prod", "--yes", "--force-pipe")
    assert shown.code == 0, shown.stderr
    assert shown.stdout == secret + "\n"
    records = [json.loads(line) for line in audit_path(logged_in.config).read_text().splitlines()]
    assert records[-1]["command"] == "provider secret reveal"
    assert records[-1]["secrets"] == [{"provider": "prod", "action": "revealed"}]
    assert secret not in audit_path(logged_in.config).read_text()


def test_reveal_without_a_terminal_or_yes_is_refused(logged_in: Admin) -> None:
    assert logged_in.run("provider", "create", "prod").code == 0
    result = logged_in.run("provider", "secret", "reveal", "prod", "--force-pipe")
    assert result.code == ExitCode.USAGE
    assert "--yes" in result.stderr


def test_remove_delete_app_deletes_the_integration(logged_in: Admin) -> None:
    emu = logged_in.emulator
    assert logged_in.run("provider", "create", "prod", "--duo-name", "PAM prod").code == 0
    ikey, _ = _created_secret(emu, "PAM prod")
    refused = logged_in.run("provider", "remove", "prod", "--delete-app")
    assert refused.code == ExitCode.USAGE
    assert "'PAM prod'" in refused.stderr  # the question names the application
    assert ikey in {i.integration_key for i in emu.integrations.all()}
    removed = logged_in.run("provider", "remove", "prod", "--delete-app", "--yes")
    assert removed.code == 0, removed.stderr
    assert f"deleted the Duo application 'PAM prod' ({ikey})" in removed.stderr
    assert ikey not in {i.integration_key for i in emu.integrations.all()}
    assert "prod" not in tomllib.loads(logged_in.config.read_text()).get("providers", {})
    last = _records(logged_in.config)[-1]
    assert last["command"] == "provider remove"
    assert last["duo"] == [
        {"action": "deleted", "integration_key": ikey, "name": "PAM prod", "provider": "prod"}
    ]


def test_create_with_a_taken_name_touches_nothing_in_duo(logged_in: Admin) -> None:
    emu = logged_in.emulator
    assert logged_in.run("provider", "create", "prod").code == 0
    before = {i.integration_key for i in emu.integrations.all()}
    again = logged_in.run("provider", "create", "prod")
    assert again.code == ExitCode.CONFIG
    assert "already exists" in again.stderr
    assert {i.integration_key for i in emu.integrations.all()} == before


def test_create_without_admin_login_says_how(admin: Admin) -> None:
    admin.config.write_text("schema_version = 1\n")
    result = admin.run("provider", "create", "prod")
    assert result.code == ExitCode.CONFIG
    assert "duoctl admin login" in result.stderr


def test_remove_delete_app_when_duo_already_lost_it(logged_in: Admin) -> None:
    emu = logged_in.emulator
    assert logged_in.run("provider", "create", "prod").code == 0
    ikey, _ = _created_secret(emu, "prod")
    emu.integrations.delete(ikey)  # deleted in the Admin Panel meanwhile
    removed = logged_in.run("provider", "remove", "prod", "--delete-app", "--yes")
    assert removed.code == 0, removed.stderr
    assert f"the Duo application {ikey} was already gone" in removed.stderr
    assert "prod" not in tomllib.loads(logged_in.config.read_text()).get("providers", {})


def test_remove_delete_app_refuses_a_provider_of_another_account(logged_in: Admin) -> None:
    text = logged_in.config.read_text()
    logged_in.config.write_text(
        text + '\n[providers.other]\nendpoint = "api-9999.duosecurity.com"\n'
        'client_id = "DIOTHER0000000000001"\n'
    )
    result = logged_in.run("provider", "remove", "other", "--delete-app", "--yes")
    assert result.code == ExitCode.CONFIG
    assert "not in this account" in result.stderr
    assert "other" in tomllib.loads(logged_in.config.read_text())["providers"]


def test_a_bad_name_is_refused_before_anything(admin: Admin) -> None:
    admin.config.write_text("schema_version = 1\n")  # and no Admin API credential
    result = admin.run("provider", "create", "bad name")
    assert result.code == ExitCode.INVALID_INPUT
    assert "invalid provider name" in result.stderr
