"""The server leg as root: no D-Bus session, no keyring, the real systemd-creds.

Every step is the installed ``duoctl`` console script, as an admin over SSH would run it:
``auto`` must pick systemd-creds by itself, and a Duo login must work end to end against
the emulator with the secret decrypted by systemd-creds.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from duoctl.emulator import Emulator
from duoctl.paths import credentials_dir
from server.helpers import OTHER_SECRET, add_argv, files_holding, run, server_env

pytestmark = pytest.mark.usefixtures("root_with_systemd_creds")


def _add(emulator: Emulator, config: Path, env: dict[str, str], name: str = "emu") -> None:
    argv = add_argv(emulator.api_host, emulator.client_id, emulator.ca_bundle, name)
    result = run("--config", config, *argv, env=env, input=emulator.client_secret + "\n")
    assert result.code == 0, result.stderr
    assert "secret stored in systemd-creds (" in result.stderr


def _login(config: Path, env: dict[str, str]) -> dict[str, object]:
    result = run(
        "--config",
        config,
        "test-login",
        "emu",
        "-u",
        "alice",
        "--browser",
        "follow",
        "--json",
        env=env,
    )
    return {"code": result.code, "stderr": result.stderr, "stdout": result.stdout}


def test_full_lifecycle_on_systemd_creds(emulator: Emulator, tmp_path: Path) -> None:
    started = time.time() - 1  # file times may be rounded down
    env = server_env()
    config = tmp_path / "etc" / "config.toml"
    config.parent.mkdir(mode=0o700)
    _add(emulator, config, env)

    creds = credentials_dir(config, system=False)
    cred_file = creds / "emu.cred"
    assert stat.S_IMODE(cred_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(creds.stat().st_mode) == 0o700
    assert emulator.client_secret.encode() not in cred_file.read_bytes()

    shown = run("--config", config, "provider", "show", "emu", "--json", env=env)
    assert shown.code == 0, shown.stderr
    data = json.loads(shown.stdout)["data"]
    assert (data["secret_present"], data["secret_backend"]) == (True, "systemd-creds")
    assert str(creds) in data["secret_store"]

    assert (
        run("--config", config, "mfa", "enable", "--yes", "--failmode", "closed", env=env).code == 0
    )
    login = _login(config, env)
    assert login["code"] == 0, login["stderr"]
    assert json.loads(str(login["stdout"]))["data"]["allowed"] is True

    doctor = run("--config", config, "doctor", "emu", "--json", env=env)
    checks = {(c["scope"], c["id"]): c for c in json.loads(doctor.stdout)["data"]["checks"]}
    backend = checks[("global", "secrets.backend")]
    assert (backend["status"], backend["data"]["backend"]) == ("ok", "systemd-creds")
    assert checks[("global", "secrets.files")]["status"] == "ok"
    assert checks[("provider:emu", "secret")]["status"] == "ok"
    assert checks[("provider:emu", "credentials")]["status"] == "ok", doctor.stdout

    # A rotation really replaces what systemd-creds decrypts: Duo (the emulator) now
    # rejects the new secret, and accepts the old one again once it is rotated back.
    rotate = ("--config", config, "provider", "edit", "emu", "--rotate-secret")
    rotated = run(*rotate, "--client-secret-stdin", env=env, input=OTHER_SECRET + "\n")
    assert rotated.code == 0, rotated.stderr
    assert "secret rotated in systemd-creds (" in rotated.stderr
    assert _login(config, env)["code"] == 8
    back = run(*rotate, "--client-secret-stdin", env=env, input=emulator.client_secret + "\n")
    assert back.code == 0, back.stderr
    assert _login(config, env)["code"] == 0

    # The last enabled provider, with MFA on: removing it would lock everyone out.
    refused = run("--config", config, "provider", "remove", "emu", "--yes", env=env)
    assert refused.code == 13, refused.stderr
    assert cred_file.exists()
    assert run("--config", config, "mfa", "disable", "--yes", env=env).code == 0
    removed = run("--config", config, "provider", "remove", "emu", "--yes", env=env)
    assert removed.code == 0, removed.stderr
    assert f"and its secret from systemd-creds ({creds})" in removed.stderr
    assert not cred_file.exists()

    # The canary: neither secret, in any encoding, anywhere duoctl could have written.
    roots = [tmp_path, creds.parent, Path("/etc/duoctl"), Path("/var/lib/duoctl")]
    roots += [Path(os.environ.get("HOME", "/root")), Path("/tmp")]
    for secret in (emulator.client_secret, OTHER_SECRET):
        assert files_holding(secret, roots, since=started) == []


def test_system_scope_keeps_secrets_under_var_lib(emulator: Emulator, tmp_path: Path) -> None:
    root = tmp_path / "system-root"
    env = server_env(DUOCTL_SYSTEM_ROOT=str(root))
    env.pop("DUOCTL_CONFIG", None)

    where = run("--system", "config", "path", "--json", env=env)
    assert where.code == 0, where.stderr
    located = json.loads(where.stdout)["data"]
    assert located["path"] == str(root / "etc/duoctl/config.toml")
    assert (located["rule"], located["scope"], located["exists"]) == ("--system", "system", False)

    argv = add_argv(emulator.api_host, emulator.client_id, emulator.ca_bundle)
    added = run("--system", *argv, env=env, input=emulator.client_secret + "\n")
    assert added.code == 0, added.stderr
    cred_dirs = list((root / "var/lib/duoctl/credentials").iterdir())
    # The secret and the audit trail's fingerprint key, both encrypted by systemd-creds.
    assert sorted(p.name for p in cred_dirs[0].iterdir()) == [
        "_audit-fingerprint-key.cred",
        "emu.cred",
    ]
    # DUOCTL_SCOPE=system is the same scope.
    env["DUOCTL_SCOPE"] = "system"
    shown = run("provider", "show", "emu", "--json", env=env)
    assert json.loads(shown.stdout)["data"]["secret_backend"] == "systemd-creds"
    status = run("secrets", "status", "--json", env=env)
    chosen = json.loads(status.stdout)["data"]["chosen_by"]
    assert chosen == f"auto: this config's secrets are already in {cred_dirs[0]}"
