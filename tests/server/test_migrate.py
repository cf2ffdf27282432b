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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from duoctl.secrets import SecretStore
from duoctl.secrets.keyring_store import KeyringSecretStore
from duoctl.secrets.select import StoreSettings, choose
from duoctl.secrets.systemd_creds import SystemdCredsStore
from foundation.helpers import client_id, secret, write_private
from server.helpers import DUOCTL, Run, run, server_env
from support.real_components import require_real, secret_service_available

COUNT = 20
KILLS = 8
NAMES = sorted(f"p{i}" for i in range(COUNT))

pytestmark = pytest.mark.usefixtures("root_with_systemd_creds")


@dataclass
class World:
    """A 20-provider config, a server's environment (plus the private Secret Service), and
    both stores as duoctl would open them for that config."""

    config: Path
    env: dict[str, str]
    keyring: SecretStore
    creds: SecretStore

    def write(self, secrets_table: str = "") -> None:
        blocks = [
            f'[providers.p{i}]\ntype = "duo"\nendpoint = "api-1234abcd.duosecurity.com"\n'
            f'client_id = "{client_id(i)}"\n'
            for i in range(COUNT)
        ]
        write_private(self.config, "schema_version = 1\n\n" + "\n".join(blocks) + secrets_table)

    def fill(self, store: SecretStore, count: int = COUNT) -> None:
        for i in range(count):
            store.set(f"p{i}", secret(i))

    def configured_backend(self) -> str:
        table = tomllib.loads(self.config.read_text()).get("secrets", {})
        return str(table.get("backend", "auto"))

    def assert_all_retrievable(self, where: str) -> None:
        # The store duoctl itself would choose, from the config as the kill left it.
        settings = StoreSettings(self.config, backend=self.configured_backend())
        backend = choose(settings, self.env, timeout=3.0).backend
        store = {"keyring": self.keyring, "systemd-creds": self.creds}[backend]
        for i in range(COUNT):
            got = store.get(f"p{i}")
            assert got == secret(i), f"p{i} not retrievable from {backend} ({where})"

    def migrate(self, *args: str) -> Run:
        return run("--config", self.config, "secrets", "migrate", *args, env=self.env)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    require_real("Secret Service", *secret_service_available())
    config = tmp_path / "conf" / "config.toml"
    env = server_env(SYSTEMD_CREDENTIAL_SECRET=str(tmp_path / "hostkey"))
    env["DBUS_SESSION_BUS_ADDRESS"] = os.environ["DBUS_SESSION_BUS_ADDRESS"]
    keyring = KeyringSecretStore(config)
    yield World(config, env, keyring, SystemdCredsStore(config, environ=env))
    for name in NAMES:  # the Secret Service outlives the test
        keyring.delete(name)


def _migrate(world: World, target: str, kill_after: float | None) -> bool:
    """One `secrets migrate --to target`; SIGKILLed after ``kill_after`` s if still running.

    Returns whether the kill landed (the process was still running); a run that ends by
    itself must succeed.
    """
    process = subprocess.Popen(
        [DUOCTL, "--config", str(world.config), "secrets", "migrate", "--to", target],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=world.env,
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


def test_migrate_keyring_to_systemd_creds_and_back_under_kill_9(world: World) -> None:
    world.write()
    world.fill(world.keyring)
    rng = random.Random(int(os.environ.get("DUOCTL_TEST_SEED", "8")))

    # One whole run first: how long a move takes, so that kills land inside one.
    started = time.monotonic()
    assert not _migrate(world, "systemd-creds", None)
    took = time.monotonic() - started
    assert world.configured_backend() == "systemd-creds"
    assert (world.keyring.names(), world.creds.names()) == ([], NAMES)

    kills = rounds = 0
    target = "keyring"
    while kills < KILLS and rounds < 8 * KILLS:
        rounds += 1
        if _migrate(world, target, rng.uniform(0.0, took)):
            kills += 1
        else:
            target = "systemd-creds" if target == "keyring" else "keyring"
        world.assert_all_retrievable(f"after round {rounds} (kills: {kills})")
    assert kills == KILLS, f"only {kills} of {rounds} runs were still running when killed"

    # Finishing after the kills: each store holds every secret, or none of them.
    for target, other in (("keyring", world.creds), ("systemd-creds", world.keyring)):
        assert not _migrate(world, target, None)
        world.assert_all_retrievable(f"after a whole move to {target}")
        assert other.names() == []


def test_copies_in_another_backend_are_removed_with_from(world: World) -> None:
    # Copies left elsewhere, with no interrupted move on record (e.g. restored from a
    # backup): only an explicit --from touches them.
    world.write('\n[secrets]\nbackend = "systemd-creds"\n')
    world.fill(world.creds)
    world.fill(world.keyring, 5)

    # Nothing on record to finish: already there, nothing moved, the copies untouched.
    same = world.migrate("--to", "systemd-creds")
    assert same.code == 0, same.stderr
    assert "already in systemd-creds; nothing to move" in same.stderr
    assert world.keyring.names() == sorted(f"p{i}" for i in range(5))

    cleaned = world.migrate("--to", "systemd-creds", "--from", "keyring", "--json")
    assert cleaned.code == 0, cleaned.stderr
    assert world.keyring.names() == []
    world.assert_all_retrievable("after the clean-up")


def test_copies_of_a_move_stopped_before_its_switch_are_dropped(world: World) -> None:
    # As a kill during the copy phase leaves it: the config still reads the keyring, and
    # says where copies were being made.
    world.write('\n[secrets]\nbackend = "keyring"\nmigrating_to = "systemd-creds"\n')
    world.fill(world.keyring)
    world.fill(world.creds, 3)
    doctor = run("--config", world.config, "doctor", "--json", env=world.env)
    assert "was stopped before it switched" in doctor.stdout

    dropped = world.migrate("--to", "keyring")
    assert dropped.code == 0, dropped.stderr
    assert "removed 3 copies that an interrupted move to systemd-creds had left" in (dropped.stderr)
    assert world.creds.names() == []
    assert "migrating_to" not in world.config.read_text()
    world.assert_all_retrievable("after dropping the copies")
