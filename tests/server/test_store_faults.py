"""What goes wrong with a server's secret store, through the console script, as root.

Each fault gets exit 5 (secret store), one clear message naming the cause and the file, and
nothing already stored is lost: the config is byte for byte what it was, and once the
cause is mended the same secret works again. systemd-creds is the real binary; its host key
is a private one (SYSTEMD_CREDENTIAL_SECRET), so faults never touch the machine's own.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from duoctl.emulator import Emulator
from duoctl.paths import credentials_dir
from foundation.helpers import SECRET_2, config_with, run_duoctl, write_private
from server.helpers import Run, add_argv, run, server_env

pytestmark = pytest.mark.usefixtures("root_with_systemd_creds")


@dataclass
class Setup:
    emulator: Emulator
    config: Path
    creds: Path
    host_key: Path
    env: dict[str, str]

    def duoctl(self, *args: str, input: str | None = None, **extra: str) -> Run:
        return run("--config", self.config, *args, env={**self.env, **extra}, input=input)

    def login(self, name: str = "prod", **extra: str) -> Run:
        return self.duoctl("test-login", name, "-u", "alice", "--browser", "follow", **extra)

    def doctor(self, name: str = "prod") -> dict[tuple[str, str], dict[str, object]]:
        got = self.duoctl("doctor", name, "--json")
        return {(c["scope"], c["id"]): c for c in json.loads(got.stdout)["data"]["checks"]}


@pytest.fixture
def setup(emulator: Emulator, tmp_path: Path) -> Setup:
    host_key = tmp_path / "hostkey" / "credential.secret"
    host_key.parent.mkdir()
    env = server_env(SYSTEMD_CREDENTIAL_SECRET=str(host_key))
    config = tmp_path / "conf" / "config.toml"
    config.parent.mkdir(mode=0o700)
    s = Setup(emulator, config, credentials_dir(config, system=False), host_key, env)
    for name in ("prod", "staging"):
        argv = add_argv(emulator.api_host, emulator.client_id, emulator.ca_bundle, name)
        added = s.duoctl(*argv, input=emulator.client_secret + "\n")
        assert added.code == 0, added.stderr
    assert s.login().code == 0
    return s


def _unchanged(s: Setup, before: bytes) -> None:
    assert s.config.read_bytes() == before


def test_host_key_unreadable(setup: Setup) -> None:
    before = setup.config.read_bytes()
    key = setup.host_key.read_bytes()
    setup.host_key.unlink()
    setup.host_key.mkdir()  # unreadable as a key, for root too

    login = setup.login()
    assert login.code == 5
    assert f"the systemd host key {setup.host_key} is a directory" in login.stderr
    backend = setup.doctor()[("global", "secrets.backend")]
    assert backend["status"] == "fail"
    _unchanged(setup, before)

    setup.host_key.rmdir()
    setup.host_key.write_bytes(key)
    setup.host_key.chmod(0o400)
    assert setup.login().code == 0  # nothing was lost


def test_host_key_replaced(setup: Setup) -> None:
    before = setup.config.read_bytes()
    saved = setup.host_key.read_bytes()
    setup.host_key.write_bytes(os.urandom(len(saved)))

    login = setup.login()
    assert login.code == 5
    assert "systemd-creds cannot decrypt the Client Secret of provider 'prod'" in login.stderr
    assert "host key" in login.stderr
    _unchanged(setup, before)

    # systemd-creds replaces a key file it cannot use: restore it as it was, 0400.
    setup.host_key.unlink(missing_ok=True)
    setup.host_key.write_bytes(saved)
    setup.host_key.chmod(0o400)
    assert setup.login().code == 0


@pytest.mark.parametrize("damage", ["truncated", "corrupted", "emptied"])
def test_credential_file_damaged(setup: Setup, damage: str) -> None:
    before = setup.config.read_bytes()
    cred = setup.creds / "prod.cred"
    data = cred.read_bytes()
    if damage == "truncated":
        cred.write_bytes(data[: len(data) // 2])
    elif damage == "corrupted":
        middle = len(data) // 2
        flipped = b"A" if data[middle : middle + 1] != b"A" else b"B"
        cred.write_bytes(data[:middle] + flipped + data[middle + 1 :])
    else:
        cred.write_bytes(b"")

    login = setup.login()
    assert login.code == 5
    assert f"from {cred}" in login.stderr
    assert "--rotate-secret" in login.stderr
    secret_check = setup.doctor()[("provider:prod", "secret")]
    assert secret_check["status"] == "fail"
    # Left for the admin to look at; the other provider is untouched and still works.
    assert cred.exists()
    _unchanged(setup, before)
    assert setup.login("staging").code == 0

    rotated = setup.duoctl(
        "provider",
        "edit",
        "prod",
        "--rotate-secret",
        "--client-secret-stdin",
        input=setup.emulator.client_secret + "\n",
    )
    assert rotated.code == 0, rotated.stderr
    assert setup.login().code == 0


def test_credential_file_renamed(setup: Setup) -> None:
    before = setup.config.read_bytes()
    (setup.creds / "prod.cred").replace(setup.creds / "staging.cred")

    staging = setup.login("staging")
    assert staging.code == 5
    assert "belongs to another provider" in staging.stderr
    prod = setup.login("prod")
    assert prod.code == 5
    assert f"no Client Secret in systemd-creds ({setup.creds})" in prod.stderr
    _unchanged(setup, before)

    (setup.creds / "staging.cred").replace(setup.creds / "old-prod.cred")
    orphans = setup.doctor()[("global", "secrets.orphans")]
    assert orphans["status"] == "warn"
    assert "old-prod" in str(orphans["detail"])
    assert f"rm {setup.creds}/old-prod.cred" in str(orphans["fix"])


def test_store_directory_missing(setup: Setup) -> None:
    before = setup.config.read_bytes()
    shutil.rmtree(setup.creds)

    login = setup.login()
    assert login.code == 5
    assert f"has no Client Secret in systemd-creds ({setup.creds})" in login.stderr
    assert setup.doctor()[("provider:prod", "secret")]["status"] == "fail"
    _unchanged(setup, before)
    # The entry can still be removed, and says there was no secret to remove.
    removed = setup.duoctl("provider", "remove", "prod", "--yes")
    assert removed.code == 0, removed.stderr
    assert "it had no secret in systemd-creds" in removed.stderr


def test_systemd_creds_missing(setup: Setup, tmp_path: Path) -> None:
    before = setup.config.read_bytes()
    bin_only = tmp_path / "bin"
    bin_only.mkdir()
    env = {"PATH": str(bin_only), "DUOCTL_SECRET_BACKEND": "systemd-creds"}

    login = setup.login(**env)
    assert login.code == 5
    assert "systemd-creds is not installed" in login.stderr
    assert "apt-get install systemd" in login.stderr
    argv = add_argv(setup.emulator.api_host, setup.emulator.client_id, None, "third")
    added = setup.duoctl(*argv, input=setup.emulator.client_secret + "\n", **env)
    assert added.code == 5
    _unchanged(setup, before)
    assert not (setup.creds / "third.cred").exists()


def _hanging_systemd_creds(directory: Path) -> None:
    # A stand-in that never answers, with a grandchild holding its pipes open: the fault
    # itself (a wedged TPM, a dead filesystem under the host key) cannot be made on demand.
    directory.mkdir()
    stub = directory / "systemd-creds"
    stub.write_text("#!/bin/sh\nsleep 3600 &\nsleep 3600\n")
    stub.chmod(0o755)


def test_hung_systemd_creds_gives_up_within_five_seconds(setup: Setup, tmp_path: Path) -> None:
    before = setup.config.read_bytes()
    hung = tmp_path / "hung"
    _hanging_systemd_creds(hung)
    env = {"PATH": f"{hung}:{os.environ['PATH']}"}

    started = time.monotonic()
    login = setup.login(**env)
    elapsed = time.monotonic() - started
    assert login.code == 5
    assert "systemd-creds did not answer within 3 s" in login.stderr
    assert elapsed < 5.0

    rotated = setup.duoctl(
        "provider",
        "edit",
        "prod",
        "--rotate-secret",
        "--client-secret-stdin",
        input="Rotated0Rotated0Rotated0Rotated0Rotated0\n",
        **env,
    )
    assert rotated.code == 5
    _unchanged(setup, before)
    assert setup.login().code == 0  # the old secret is intact


def test_hung_keyring_gives_up_within_five_seconds(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    write_private(config, config_with(1))
    started = time.monotonic()
    result = run_duoctl(
        ["provider", "edit", "p0", "--rotate-secret", "--client-secret-stdin"],
        config=config,
        input=SECRET_2 + "\n",
        keyring_backend="support.keyring_backends.HangingKeyring",
        env={"DUOCTL_SECRET_BACKEND": "keyring"},
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 5, result.stderr
    assert "the OS keyring did not answer within 3 s" in result.stderr
    assert elapsed < 5.0
    assert config.read_text() == config_with(1)


def test_doctor_checks_the_store_files(setup: Setup) -> None:
    assert setup.doctor()[("global", "secrets.files")]["status"] == "ok"
    setup.creds.chmod(0o755)
    (setup.creds / ".prod.cred.0123456789ab.tmp").write_bytes(b"left by a killed writer")
    setup.host_key.chmod(0o444)

    files = setup.doctor()[("global", "secrets.files")]
    assert files["status"] == "fail"
    detail, fix = str(files["detail"]), str(files["fix"])
    assert f"{setup.creds} is open to others (mode 0755)" in detail
    assert "left by an interrupted write" in detail
    assert f"the systemd host key {setup.host_key} is readable by others" in detail
    assert f"chmod 700 {setup.creds}" in fix
    assert f"chmod 400 {setup.host_key}" in fix
