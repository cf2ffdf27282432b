"""provider secret reveal at a real terminal (a pty): the confirmation, then the secret on
the terminal only; "no" shows nothing. And the hidden prompt of admin login."""

from __future__ import annotations

import pytest

from admin.conftest import Admin
from duoctl.errors import ExitCode
from support.terminal import run_answering

pytestmark = pytest.mark.real_keyring


def _created(admin: Admin) -> str:
    assert admin.run("provider", "create", "prod").code == 0
    (app,) = [i for i in admin.emulator.integrations.all() if i.name == "prod"]
    return app.secret_key


def test_reveal_at_a_terminal_asks_then_shows_the_secret(logged_in: Admin) -> None:
    secret = _created(logged_in)
    argv = ["--config", str(logged_in.config), "provider", "secret", "reveal", "prod"]
    code, screen = run_answering(argv, logged_in.env, [(b"[y/N]", b"y\n")])
    assert code == 0, screen
    assert "Print the Client Secret of provider 'prod'?" in screen
    assert secret in screen


def test_reveal_answered_no_shows_nothing(logged_in: Admin) -> None:
    secret = _created(logged_in)
    argv = ["--config", str(logged_in.config), "provider", "secret", "reveal", "prod"]
    code, screen = run_answering(argv, logged_in.env, [(b"[y/N]", b"n\n")])
    assert code == ExitCode.CANCELLED
    assert secret not in screen


def test_admin_login_asks_for_the_secret_key_hidden_and_twice(admin: Admin) -> None:
    emu = admin.emulator
    argv = ["--config", str(admin.config), "admin", "login", "--host", emu.api_host,
            "--ikey", emu.admin_ikey, "--ca-bundle", str(emu.ca_bundle)]  # fmt: skip
    key = emu.admin_skey.encode() + b"\n"
    code, screen = run_answering(
        argv,
        admin.env,
        [(b"Admin API secret key: ", key), (b"Admin API secret key (again): ", key)],
    )
    assert code == 0, screen
    assert emu.admin_skey not in screen  # not echoed
    assert admin.run("admin", "status").code == 0


def test_admin_login_from_the_environment_is_announced(admin: Admin) -> None:
    emu = admin.emulator
    env = {**admin.env, "DUOCTL_ADMIN_SKEY": emu.admin_skey}
    result = Admin(emu, admin.config, env).run(
        "admin", "login", "--host", emu.api_host, "--ikey", emu.admin_ikey,
        "--ca-bundle", emu.ca_bundle,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert "$DUOCTL_ADMIN_SKEY" in result.stderr
    assert emu.admin_skey not in result.stdout + result.stderr
