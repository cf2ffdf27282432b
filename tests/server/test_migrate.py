"""``duoctl secrets migrate``: 20 providers, keyring -> systemd-creds and back, killed at
random moments. After every kill each secret must still be retrievable, with its value,
from the store the config names; a completed move leaves none behind in the source.

Real components only: the private Secret Service and the real systemd-creds.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
import tomllib
from pathlib import Path

import pytest

from duoctl.secrets.keyring_store import KeyringSecretStore
from duoctl.secrets.select import StoreSettings, choose
from duoctl.secrets.systemd_creds import SystemdCredsStore
from foundation.helpers import client_id, secret, write_private
from server.helpers import DUOCTL, run, server_env
from support.real_components import require_real, secret_service_available

COUNT = 20
KILLS = 8

pytestmark = pytest.mark.usefixtures("root_with_systemd_creds")


def _config_text() -> str:
    blocks = [
        f'[providers.p{i}]\ntype = "duo"\nendpoint = "api-1234abcd.duosecurity.com"\n'
        f'client_id = "{client_id(i)}"\n'
        for i in range(COUNT)
    ]
    return "schema_version = 1\n\n" + "\n".join(blocks)


def _configured_backend(config: Path) -> str:
    return str(tomllib.loads(config.read_text()).get("secrets", {}).get("backend", "auto"))


def _stores(config: Path, env: dict[str, str]) -> dict[str, object]:
    return {
        "keyring": KeyringSecretStore(config),
        "systemd-creds": SystemdCredsStore(config, environ=env),
    }


def _assert_all_retrievable(config: Path, env: dict[str, str], where: str) -> None:
    # The store duoctl itself would choose, from the config as the kill left it.
    settings = StoreSettings(config, backend=_configured_backend(config))
    backend = choose(settings, env, timeout=3.0).backend
    store = _stores(config, env)[backend]
    for i in range(COUNT):
        got = store.get(f"p{i}")  # type: ignore[attr-defined]
        assert got == secret(i), f"p{i} not retrievable from {backend} ({where})"


def _migrate_with_kills(config: Path, env: dict[str, str], target: str, rng: random.Random) -> int:
    """Run the migration, SIGKILLed at random points, until one run completes."""
    kills = 0
    for attempt in range(KILLS + 1):
        process = subprocess.Popen(
            [DUOCTL, "--config", str(config), "secrets", "migrate", "--to", target],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        if attempt < KILLS:
            time.sleep(rng.uniform(0.05, 1.2))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
        _out, err = process.communicate(timeout=60)
        _assert_all_retrievable(config, env, f"after attempt {attempt}")
        if process.returncode == 0:
            assert _configured_backend(config) == target, err
            return kills
        if process.returncode != -signal.SIGKILL:
            pytest.fail(f"migrate exited {process.returncode}: {err.decode()}")
    pytest.fail("no migration run completed")


def test_migrate_keyring_to_systemd_creds_and_back_under_kill_9(tmp_path: Path) -> None:
    require_real("Secret Service", *secret_service_available())
    config = tmp_path / "conf" / "config.toml"
    write_private(config, _config_text())
    env = server_env(SYSTEMD_CREDENTIAL_SECRET=str(tmp_path / "hostkey"))
    env["DBUS_SESSION_BUS_ADDRESS"] = os.environ["DBUS_SESSION_BUS_ADDRESS"]
    stores = _stores(config, env)
    keyring, creds = stores["keyring"], stores["systemd-creds"]
    for i in range(COUNT):
        keyring.set(f"p{i}", secret(i))  # type: ignore[attr-defined]
    rng = random.Random(int(os.environ.get("DUOCTL_TEST_SEED", "8")))
    try:
        there = _migrate_with_kills(config, env, "systemd-creds", rng)
        assert keyring.names() == []  # type: ignore[attr-defined]
        assert creds.names() == [f"p{i}" for i in sorted(range(COUNT), key=lambda i: f"p{i}")]  # type: ignore[attr-defined]

        back = _migrate_with_kills(config, env, "keyring", rng)
        assert creds.names() == []  # type: ignore[attr-defined]
        assert len(keyring.names()) == COUNT  # type: ignore[attr-defined]
        # The kills did land mid-run (otherwise this proved nothing about interruption).
        assert there + back >= KILLS
    finally:
        for i in range(COUNT):
            keyring.delete(f"p{i}")  # type: ignore[attr-defined]


def test_copies_in_another_backend_are_removed_with_from(tmp_path: Path) -> None:
    require_real("Secret Service", *secret_service_available())
    config = tmp_path / "conf" / "config.toml"
    write_private(config, _config_text() + '\n[secrets]\nbackend = "systemd-creds"\n')
    env = server_env(SYSTEMD_CREDENTIAL_SECRET=str(tmp_path / "hostkey"))
    env["DBUS_SESSION_BUS_ADDRESS"] = os.environ["DBUS_SESSION_BUS_ADDRESS"]
    stores = _stores(config, env)
    keyring, creds = stores["keyring"], stores["systemd-creds"]
    try:
        # Copies left elsewhere, with no interrupted move on record (e.g. restored from a
        # backup): only an explicit --from touches them.
        for i in range(COUNT):
            creds.set(f"p{i}", secret(i))  # type: ignore[attr-defined]
        for i in range(5):
            keyring.set(f"p{i}", secret(i))  # type: ignore[attr-defined]

        # Nothing on record to finish: already there, nothing moved, the copies untouched.
        same = run("--config", config, "secrets", "migrate", "--to", "systemd-creds", env=env)
        assert same.code == 0, same.stderr
        assert "already in systemd-creds; nothing to move" in same.stderr
        assert len(keyring.names()) == 5  # type: ignore[attr-defined]

        cleaned = run(
            "--config",
            config,
            "secrets",
            "migrate",
            "--to",
            "systemd-creds",
            "--from",
            "keyring",
            "--json",
            env=env,
        )
        assert cleaned.code == 0, cleaned.stderr
        assert keyring.names() == []  # type: ignore[attr-defined]
        _assert_all_retrievable(config, env, "after the clean-up")
    finally:
        for i in range(COUNT):
            keyring.delete(f"p{i}")  # type: ignore[attr-defined]
