"""The Admin API secret key and a created application's Client Secret go in through every
path that takes one; they must come out nowhere: not on stdout or stderr of any command
(errors included), not in the config, the audit trail or any other file duoctl writes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from admin.conftest import Admin, admin_for
from duoctl.emulator import EmulatedUser, Emulator, Outcome
from testlogin.helpers import Run, duoctl_env

pytestmark = pytest.mark.real_keyring


def _canary() -> str:
    value = "Canary" + uuid.uuid4().hex + "zz"
    assert len(value) == 40
    return value


@pytest.fixture
def canary_admin(tmp_path: Path) -> Iterator[tuple[Admin, str]]:
    from support.real_components import require_real, secret_service_available

    require_real("Secret Service", *secret_service_available())
    canary = _canary()
    users = [EmulatedUser("alice", Outcome.APPROVE, delay=0)]
    with Emulator(users, state_dir=tmp_path / "emulator", admin_skey=canary) as emu:
        yield from ((admin, canary) for admin in admin_for(emu, tmp_path, duoctl_env()))


def test_the_admin_key_and_created_secret_appear_nowhere(
    canary_admin: tuple[Admin, str], tmp_path: Path
) -> None:
    admin, canary = canary_admin
    emu = admin.emulator
    wrong = _canary()
    env_login = Admin(emu, admin.config, {**admin.env, "DUOCTL_ADMIN_SKEY": canary})
    base = ["admin", "login", "--host", emu.api_host, "--ikey", emu.admin_ikey,
            "--ca-bundle", str(emu.ca_bundle)]  # fmt: skip
    runs: list[Run] = [
        admin.login(wrong),  # rejected by Duo: 8
        admin.login(canary + "x"),  # the wrong length: 3
        admin.login(canary[:-1] + "!"),  # a character that is not allowed: 3
        admin.login(None, "--json"),
        env_login.run(*base),
        admin.run("admin", "status"),
        admin.run("admin", "status", "--json"),
        admin.run("provider", "create", "prod", "--json"),
    ]
    (app,) = [i for i in emu.integrations.all() if i.name == "prod"]
    runs += [
        admin.run("provider", "create", "prod"),  # taken: 4
        admin.run("provider", "show", "prod", "--json"),
        admin.run("audit"),
        admin.run("audit", "--json"),
        admin.run("provider", "remove", "prod", "--delete-app", "--yes", "--json"),
        admin.run("admin", "logout", "--yes", "--json"),
    ]
    codes = [r.code for r in runs]
    assert codes == [8, 3, 3, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0], [r.stderr for r in runs]
    assert app.integration_key not in {i.integration_key for i in emu.integrations.all()}
    secrets = [canary, wrong, app.secret_key]
    texts = [r.stdout + r.stderr for r in runs]
    for dirpath, _dirs, files in os.walk(admin.config.parent):
        texts += [(Path(dirpath) / name).read_text(errors="replace") for name in files]
    for secret in secrets:
        assert all(secret not in text for text in texts)
