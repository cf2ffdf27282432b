"""One D-Bus connection per command on the real Secret Service, through the console script.

keyring alone opens one connection each time its SecretService backend's priority is
evaluated (about four times during detection) and one per get/set/delete call; duoctl finds
the same backend and makes every call on a single connection (duoctl.secrets.keyring_session).
The connections are counted in the real ``duoctl`` child by tests/support/count_dbus.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from duoctl.emulator import EmulatedUser, Emulator
from support.real_components import require_real, secret_service_available
from testlogin.conftest import add_provider_via_cli
from testlogin.helpers import Run, duoctl_env, run_duoctl

pytestmark = pytest.mark.real_keyring

TESTS_DIR = Path(__file__).resolve().parents[1]
COUNTER = TESTS_DIR / "support" / "count_dbus"
NAME = "emu"


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    require_real("Secret Service", *secret_service_available())
    with Emulator([EmulatedUser("alice")], state_dir=tmp_path / "emulator") as emu:
        yield emu


class Counted:
    """``duoctl`` runs whose D-Bus connections are counted."""

    def __init__(self, tmp_path: Path) -> None:
        self.log = tmp_path / "dbus-connections"
        self.config = tmp_path / "cfg" / "config.toml"
        self.config.parent.mkdir()

    def env(self, **extra: str) -> dict[str, str]:
        self.log.write_text("")
        return duoctl_env(
            DUOCTL_TEST_DBUS_COUNT_FILE=str(self.log),
            PYTHONPATH=f"{COUNTER}:{TESTS_DIR}",
            **extra,
        )

    def connections(self) -> int:
        return len(self.log.read_text().splitlines())

    def __call__(self, *args: str | Path, **extra: str) -> tuple[Run, int]:
        run = run_duoctl("--config", self.config, *args, env=self.env(**extra))
        return run, self.connections()


@pytest.fixture
def counted(tmp_path: Path) -> Iterator[Counted]:
    counted = Counted(tmp_path)
    yield counted
    run_duoctl("--config", counted.config, "provider", "remove", NAME, "--yes", "--force")


def test_each_command_opens_one_dbus_connection(emulator: Emulator, counted: Counted) -> None:
    add_provider_via_cli(emulator, counted.config, NAME, env=counted.env())
    counts = {"provider add": counted.connections()}

    show, counts["provider show"] = counted("provider", "show", NAME, "--json")
    assert show.code == 0, show.stderr
    assert json.loads(show.stdout)["data"]["secret_present"] is True

    # auto: select's probe finds the keyring, and the store it builds keeps that probe's
    # backend and connection (no second detection).
    auto, counts["provider show, auto"] = counted(
        "provider", "show", NAME, "--json", DUOCTL_SECRET_BACKEND="auto"
    )
    assert json.loads(auto.stdout)["data"]["secret_present"] is True

    enable, _ = counted("mfa", "enable", "--yes", "--failmode", "closed")
    assert enable.code == 0, enable.stderr
    login, counts["test-login"] = counted(
        "test-login", NAME, "--username", "alice", "--browser", "follow"
    )
    assert login.code == 0, login.stdout + login.stderr

    doctor, counts["doctor"] = counted("doctor", "--json")
    assert doctor.code == 0, doctor.stdout + doctor.stderr

    remove, counts["provider remove"] = counted("provider", "remove", NAME, "--yes", "--force")
    assert remove.code == 0, remove.stderr
    assert "and its secret" in remove.stderr

    # All keyring work of a command (detection, the lock check, each read or write) on one;
    # before, keyring opened 9, 5 (auto too), 5, 6 and 6.
    assert counts == dict.fromkeys(counts, 1)


def test_a_backend_named_in_the_environment_is_keyrings_choice(counted: Counted) -> None:
    require_real("Secret Service", *secret_service_available())
    # The Secret Service is there, but PYTHON_KEYRING_BACKEND names another backend: keyring
    # loads that one and never probes D-Bus, and neither may duoctl.
    add, connections = counted(
        "provider",
        "add",
        NAME,
        "--endpoint",
        "api-1234abcd.duosecurity.com",
        "--client-id",
        "DIABCDEFGHIJKLMNOPQR",
        "--client-secret-stdin",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    assert add.code == 5, add.stderr
    assert "no usable OS keyring (backend keyring.backends.null.Keyring)" in add.stderr
    assert connections == 0


def test_the_secret_service_named_in_the_environment_uses_one_connection(
    emulator: Emulator, counted: Counted
) -> None:
    # keyring itself would read the named class's priority (a connection) and then open one
    # per call; duoctl keeps the one its viability test opened.
    named = {"PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring"}
    add_provider_via_cli(emulator, counted.config, NAME, env=counted.env(**named))
    added = counted.connections()
    show, shown = counted("provider", "show", NAME, "--json", **named)
    assert show.code == 0, show.stderr
    assert json.loads(show.stdout)["data"]["secret_present"] is True
    assert (added, shown) == (1, 1)
