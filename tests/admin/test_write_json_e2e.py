"""`admin login`, `admin logout` and `provider remove --delete-app` with --json, through the
real console script against the emulator's Admin API over real TLS, with the real Secret
Service: one envelope on stdout, the status lines and warnings on stderr as in text mode."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from admin.conftest import Admin
from duoctl.admin import permissions
from testlogin.helpers import Run

pytestmark = pytest.mark.real_keyring


def _data(run: Run, command: str) -> dict[str, Any]:
    assert run.code == 0, run.stderr
    envelope = json.loads(run.stdout)
    assert (envelope["command"], envelope["ok"]) == (command, True)
    data: dict[str, Any] = envelope["data"]
    return data


def test_login_and_logout_say_what_was_stored_and_removed(admin: Admin) -> None:
    emu = admin.emulator
    emu.admin_permissions.discard(permissions.READ_LOG)
    login = admin.login(None, "--json")
    stored = _data(login, "admin login")
    check = _data(admin.run("admin", "status", "--json"), "admin status")
    credential = {
        "host": emu.api_host,
        "ikey": emu.admin_ikey,
        "ca_bundle": str(Path(emu.ca_bundle).resolve()),
    }
    store = stored["secret_store"]
    assert store.startswith("the OS keyring")
    assert stored == {
        "changed": True,
        "credential": credential,
        "secret_store": store,
        "secret_backend": "keyring",
        "verified": True,
        "check": check,
    }
    assert check["missing"] == [permissions.READ_LOG]
    said = login.stderr.splitlines()
    outcome = (
        f"stored the Admin API credential for {emu.api_host} ({emu.admin_ikey}); secret key "
        f"in {store}"
    )
    assert said[said.index(outcome) + 1 :] == [
        f"warning: the Admin API application lacks {permissions.READ_LOG!r}: logs, "
        "test-login --explain will not work",
        f"created {admin.config}",
    ]

    logout = admin.run("admin", "logout", "--yes", "--json")
    assert _data(logout, "admin logout") == {
        "changed": True,
        "credential": credential,
        "secret_deleted": True,
        "secret_kept": False,
        "secret_store": store,
        "secret_backend": "keyring",
    }
    assert logout.stderr == (
        f"removed the Admin API credential for {emu.api_host} ({emu.admin_ikey}) and its "
        "secret key\n"
    )
    again = admin.run("admin", "logout", "--yes", "--json")
    assert _data(again, "admin logout")["changed"] is False
    assert again.stderr == "no Admin API credential was stored; nothing changed\n"
    assert emu.admin_skey not in admin.outputs(login, logout, again)


def test_create_then_remove_delete_app_name_the_application(logged_in: Admin) -> None:
    emu = logged_in.emulator
    create = logged_in.run("provider", "create", "prod", "--duo-name", "PAM prod", "--json")
    created = _data(create, "provider create")
    shown = _data(logged_in.run("provider", "show", "prod", "--json"), "provider show")
    ikey = shown["client_id"]
    assert ikey in {i.integration_key for i in emu.integrations.all()}
    elapsed = created.pop("health_check_ms")
    assert isinstance(elapsed, int)
    assert created == {
        "changed": True,
        "provider": shown,
        "duo_application": {"integration_key": ikey, "name": "PAM prod"},
    }
    assert shown["secret_present"] is True
    # The steps as they happened, then the outcome, on stderr; the secret nowhere.
    assert create.stderr.splitlines()[-1] == (
        "created provider 'prod'; the platform's form also needs its Client Secret: duoctl "
        "provider secret reveal prod"
    )
    assert "4. Duo's health check accepts the new credentials" in create.stderr
    (app,) = [i for i in emu.integrations.all() if i.name == "PAM prod"]
    assert app.secret_key not in create.stdout + create.stderr
    removed = logged_in.run("provider", "remove", "prod", "--delete-app", "--yes", "--json")
    assert _data(removed, "provider remove") == {
        "changed": True,
        # show's, the secret gone; no warning about the endpoint of a provider removed
        "provider": {**shown, "secret_present": False, "warnings": []},
        "secret_deleted": True,
        "secret_kept": False,
        "duo_application": {
            "integration_key": ikey,
            "name": "PAM prod",
            "deleted": True,
            "already_gone": False,
        },
    }
    assert removed.stderr.splitlines() == [
        f"removed provider 'prod' and its secret from {shown['secret_store']}",
        f"deleted the Duo application 'PAM prod' ({ikey})",
    ]
    assert ikey not in {i.integration_key for i in emu.integrations.all()}
