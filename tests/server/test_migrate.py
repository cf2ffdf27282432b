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


def _migrate(config: Path, env: dict[str, str], target: str, kill_after: float | None) -> bool:
    """One `secrets migrate --to target`; SIGKILLed after ``kill_after`` s if still running.

    Returns whether the kill landed (the process was still running); a run that ends by
    itself must succeed.
    """
    process = subprocess.Popen(
        [DUOCTL, "--config", str(config), "secrets", "migrate", "--to", target],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    killed = False
    if kill_after is not None:
        try:
            process.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            killed = True
    _out, err = process.communicate(timeout=60)
    if not killed and process.returncode != 0:
        pytest.fail(f"migrate exited {process.returncode}: {err.decode()}")
    return killed


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
    names = sorted(f"p{i}" for i in range(COUNT))
    try:
        # One whole run first: how long a move takes, so that kills land inside one.
        started = time.monotonic()
        assert not _migrate(config, env, "systemd-creds", None)
        took = time.monotonic() - started
        assert (_configured_backend(config), keyring.names(), creds.names()) == (  # type: ignore[attr-defined]
            "systemd-creds",
            [],
            names,
        )
        kills = rounds = 0
        target = "keyring"
        while kills < KILLS and rounds < 8 * KILLS:
            rounds += 1
            if _migrate(config, env, target, rng.uniform(0.0, took)):
                kills += 1
            else:
                target = "systemd-creds" if target == "keyring" else "keyring"
            _assert_all_retrievable(config, env, f"after round {rounds} (kills: {kills})")
        assert kills == KILLS, f"only {kills} of {rounds} runs were still running when killed"

        # Finishing after the kills: each store holds every secret, or none of them.
        for target, other in (("keyring", creds), ("systemd-creds", keyring)):
            assert not _migrate(config, env, target, None)
            _assert_all_retrievable(config, env, f"after a whole move to {target}")
            assert other.names() == []  # type: ignore[attr-defined]
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


def test_copies_of_a_move_stopped_before_its_switch_are_dropped(tmp_path: Path) -> None:
    require_real("Secret Service", *secret_service_available())
    config = tmp_path / "conf" / "config.toml"
    # As a kill during the copy phase leaves it: the config still reads the keyring, and
    # says where copies were being made.
    write_private(
        config,
        _config_text() + '\n[secrets]\nbackend = "keyring"\nmigrating_to = "systemd-creds"\n',
    )
    env = server_env(SYSTEMD_CREDENTIAL_SECRET=str(tmp_path / "hostkey"))
    env["DBUS_SESSION_BUS_ADDRESS"] = os.environ["DBUS_SESSION_BUS_ADDRESS"]
    stores = _stores(config, env)
    keyring, creds = stores["keyring"], stores["systemd-creds"]
    try:
        for i in range(COUNT):
            keyring.set(f"p{i}", secret(i))  # type: ignore[attr-defined]
        for i in range(3):
            creds.set(f"p{i}", secret(i))  # type: ignore[attr-defined]
        doctor = run("--config", config, "doctor", "--json", env=env)
        assert "was stopped before it switched" in doctor.stdout

        dropped = run("--config", config, "secrets", "migrate", "--to", "keyring", env=env)
        assert dropped.code == 0, dropped.stderr
        assert "removed 3 copies that an interrupted move to systemd-creds had left" in (
            dropped.stderr
        )
        assert creds.names() == []  # type: ignore[attr-defined]
        assert "migrating_to" not in config.read_text()
        _assert_all_retrievable(config, env, "after dropping the copies")
    finally:
        for i in range(COUNT):
            keyring.delete(f"p{i}")  # type: ignore[attr-defined]
