"""The server leg as a plain (non-root) user: no D-Bus session, no keyring, no systemd-creds.

``auto`` must say what to do instead of failing obscurely; the encrypted-file store must
carry the whole lifecycle; and support staff must be able to test a root-only system config
with a one-shot secret.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from duoctl.emulator import Emulator
from server.helpers import OTHER_SECRET, PLAIN_USER, add_argv, files_holding, run, server_env


def _owned(path: Path, user: str = PLAIN_USER) -> Path:
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    return path


def _write_owned(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return _owned(path)


def _user_env(home: Path, **extra: str) -> dict[str, str]:
    env = server_env(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        DUOCTL_CONFIG=str(home / "duoctl" / "config.toml"),
        **extra,
    )
    env.pop("DUOCTL_SYSTEM_ROOT", None)
    return env


def _add_args(emulator: Emulator, ca: Path) -> list[str]:
    return add_argv(emulator.api_host, emulator.client_id, ca)


def test_auto_without_any_store_lists_the_ways_forward(
    emulator: Emulator, plain_user_home: Path
) -> None:
    env = _user_env(plain_user_home)
    ca = _owned(Path(shutil.copy(emulator.ca_bundle, plain_user_home / "ca.pem")))
    (plain_user_home / "duoctl").mkdir(mode=0o700)
    _owned(plain_user_home / "duoctl")

    result = run(
        *_add_args(emulator, ca), env=env, input=emulator.client_secret + "\n", user=PLAIN_USER
    )

    assert result.code == 5, result.stderr
    assert "no usable secret store" in result.stderr
    for way in ("systemd-creds", "DUOCTL_SECRET_BACKEND=encrypted-file", "Secret Service"):
        assert way in result.stderr
    assert "DUOCTL_STORE_PASSPHRASE_FILE" in result.stderr
    # It failed before anything was written: no config, no credential directory.
    assert list((plain_user_home / "duoctl").iterdir()) == []


def test_encrypted_file_store_carries_the_whole_lifecycle(
    emulator: Emulator, plain_user_home: Path
) -> None:
    started = time.time() - 1
    home = plain_user_home
    ca = _owned(Path(shutil.copy(emulator.ca_bundle, home / "ca.pem")))
    passphrase = _write_owned(home / "passphrase", "correct horse battery staple\n")
    config_dir = home / "duoctl"
    config_dir.mkdir(mode=0o700)
    _owned(config_dir)
    # The backend is chosen in the config this time, not by the variable.
    _write_owned(config_dir / "config.toml", '[secrets]\nbackend = "encrypted-file"\n')
    env = _user_env(home, DUOCTL_STORE_PASSPHRASE_FILE=str(passphrase))

    def duoctl(*args: str, secret: str | None = None) -> tuple[int, str, str]:
        got = run(*args, env=env, input=None if secret is None else secret + "\n", user=PLAIN_USER)
        return got.code, got.stdout, got.stderr

    code, _, err = duoctl(*_add_args(emulator, ca), secret=emulator.client_secret)
    assert code == 0, err
    assert "secret stored in encrypted-file (" in err
    creds = next((config_dir / "credentials").iterdir())
    # The secret, the store's key, and the audit trail's fingerprint key (as encrypted).
    assert sorted(p.name for p in creds.iterdir()) == [
        "_audit-fingerprint-key.enc",
        "emu.enc",
        "encrypted-file.key",
    ]
    for path in creds.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.stat().st_uid == pwd.getpwnam(PLAIN_USER).pw_uid
    assert stat.S_IMODE(creds.stat().st_mode) == 0o700

    code, out, err = duoctl("provider", "show", "emu", "--json")
    assert code == 0, err
    assert json.loads(out)["data"]["secret_backend"] == "encrypted-file"

    login = ("test-login", "emu", "-u", "alice", "--browser", "follow", "--json")
    code, out, err = duoctl(*login)
    assert code == 0, err
    assert json.loads(out)["data"]["allowed"] is True

    code, out, _ = duoctl("doctor", "emu", "--json")
    checks = {(c["scope"], c["id"]): c["status"] for c in json.loads(out)["data"]["checks"]}
    assert checks[("global", "secrets.backend")] == "ok"
    assert checks[("global", "secrets.files")] == "ok"
    assert checks[("provider:emu", "credentials")] == "ok"

    edit = ("provider", "edit", "emu", "--rotate-secret", "--client-secret-stdin")
    assert duoctl(*edit, secret=OTHER_SECRET)[0] == 0
    assert duoctl(*login)[0] == 8  # the emulator rejects the rotated secret: it took effect
    assert duoctl(*edit, secret=emulator.client_secret)[0] == 0

    # A wrong passphrase is told apart from a damaged file, and changes nothing.
    passphrase.write_text("not the passphrase\n")
    code, _, err = duoctl(*login)
    assert code == 5
    assert "wrong passphrase" in err
    passphrase.write_text("correct horse battery staple\n")

    code, _, err = duoctl("provider", "remove", "emu", "--yes")
    assert code == 0, err
    assert not (creds / "emu.enc").exists()

    roots = [home, Path("/tmp")]
    for secret in (emulator.client_secret, OTHER_SECRET):
        assert files_holding(secret, roots, since=started) == []


@pytest.fixture
def system_root() -> Iterator[Path]:
    """A system root the plain user can traverse (0755), as / is."""
    root = Path(tempfile.mkdtemp(prefix="duoctl-sysroot-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.usefixtures("root_with_systemd_creds")
def test_support_tests_a_root_only_system_config_with_a_one_shot_secret(
    emulator: Emulator, plain_user_home: Path, system_root: Path
) -> None:
    # Root registers the provider in the system config; its secret is root's (systemd-creds).
    env = server_env(DUOCTL_SYSTEM_ROOT=str(system_root))
    env.pop("DUOCTL_CONFIG", None)
    ca = system_root / "ca.pem"
    shutil.copy(emulator.ca_bundle, ca)
    ca.chmod(0o644)
    added = run("--system", *_add_args(emulator, ca), env=env, input=emulator.client_secret + "\n")
    assert added.code == 0, added.stderr
    # The platform's group may read the config (0640): here, the plain user's group.
    etc = system_root / "etc" / "duoctl"
    etc.chmod(0o755)
    config = etc / "config.toml"
    os.chown(config, 0, pwd.getpwnam(PLAIN_USER).pw_gid)
    config.chmod(0o640)

    support = dict(env, HOME=str(plain_user_home))
    login = ("--system", "test-login", "emu", "-u", "alice", "--browser", "follow")
    denied = run(*login, env=support, user=PLAIN_USER)
    assert denied.code == 5, denied.stderr  # the store is root's: a clear "cannot"
    assert "systemd" in denied.stderr

    one_shot = run(
        *login,
        "--client-secret-stdin",
        env=support,
        input=emulator.client_secret + "\n",
        user=PLAIN_USER,
    )
    assert one_shot.code == 0, one_shot.stderr

    via_env = run(
        *login, env=dict(support, DUOCTL_CLIENT_SECRET=emulator.client_secret), user=PLAIN_USER
    )
    assert via_env.code == 0, via_env.stderr
    assert "using the Client Secret from $DUOCTL_CLIENT_SECRET" in via_env.stderr

    doctor = run(
        "--system",
        "doctor",
        "emu",
        "--json",
        "--client-secret-stdin",
        env=support,
        input=emulator.client_secret + "\n",
        user=PLAIN_USER,
    )
    checks = {
        (c["scope"], c["id"]): c["status"] for c in json.loads(doctor.stdout)["data"]["checks"]
    }
    assert checks[("provider:emu", "credentials")] == "ok", doctor.stdout
    # Nothing the one-shot runs did was stored: root's credential file is the only one.
    creds = list((system_root / "var/lib/duoctl/credentials").rglob("*"))
    assert [p.name for p in creds if p.is_file() and not p.name.startswith("_")] == ["emu.cred"]
