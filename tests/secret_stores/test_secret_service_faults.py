"""A hung or locked Secret Service on duoctl's one-connection path: the same bounded errors
as through keyring. Each test has a Secret Service of its own (tests/support/secret_service.sh),
so that stopping or locking it disturbs no other test.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from duoctl.errors import SecretStoreError
from duoctl.secrets.keyring_store import KeyringSecretStore
from support.real_components import require_real, secret_service_available
from testlogin.helpers import duoctl_env, run_duoctl

pytestmark = pytest.mark.real_keyring

HARNESS = Path(__file__).resolve().parents[1] / "support" / "secret_service.sh"
SECRET = "Sb3cretSecretSecretSecretSecretSecret001"


@pytest.fixture
def own_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private Secret Service for this test; its state directory (PIDs) is yielded."""
    require_real("Secret Service", *secret_service_available())  # its tools are installed
    started = subprocess.run(
        ["bash", str(HARNESS), "start", "--owner", str(os.getpid())],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    exports = dict(shlex.split(line)[1].partition("=")[::2] for line in started.stdout.splitlines())
    for name, value in exports.items():
        monkeypatch.setenv(name, value)
    state = Path(exports["DUOCTL_SECRET_SERVICE_DIR"])
    try:
        yield state
    finally:
        keyring_pid = int((state / "keyring.pid").read_text())
        os.kill(keyring_pid, signal.SIGCONT)  # a stopped daemon would ignore SIGTERM
        subprocess.run(["bash", str(HARNESS), "stop", str(state)], timeout=60, check=False)


def _stop_keyring(state: Path) -> int:
    pid = int((state / "keyring.pid").read_text())
    os.kill(pid, signal.SIGSTOP)  # the bus still answers; the keyring daemon does not
    return pid


def test_a_hung_service_gives_up_at_the_deadline_and_the_store_recovers(
    own_service: Path, tmp_path: Path
) -> None:
    store = KeyringSecretStore(tmp_path / "config.toml", timeout=0.5)
    store.set("p", SECRET)  # detection done, the connection open
    pid = _stop_keyring(own_service)
    with pytest.raises(SecretStoreError) as hung:
        store.get("p")
    assert hung.value.message == (
        "the OS keyring did not answer within 0.5 s while trying to read the client secret"
    )
    assert "the keyring may be locked (unlock it) or its D-Bus service hung" in str(hung.value.hint)
    os.kill(pid, signal.SIGCONT)
    # The store still works after a timeout: on the freed connection, or on one of its own
    # while the abandoned read still holds it.
    assert store.get("p") == SECRET
    assert store.delete("p") is True
    store.close()


def test_a_hung_service_through_the_console_script(own_service: Path, tmp_path: Path) -> None:
    _stop_keyring(own_service)
    add = run_duoctl(
        "--config",
        tmp_path / "config.toml",
        "provider",
        "add",
        "p",
        "--endpoint",
        "api-1234abcd.duosecurity.com",
        "--client-id",
        "DIABCDEFGHIJKLMNOPQR",
        "--client-secret-stdin",
        input=SECRET + "\n",
        env=duoctl_env(DUOCTL_SECRET_TIMEOUT="1"),  # the private bus: set by own_service
    )
    assert add.code == 5, add.stderr
    assert "error: the OS keyring did not answer within 1 s while trying to" in add.stderr
    assert not (tmp_path / "config.toml").exists()  # no provider without its secret


def test_a_locked_collection_is_the_same_error_as_through_keyring(
    own_service: Path, tmp_path: Path
) -> None:
    import secretstorage
    from keyring.backends import SecretService
    from keyring.errors import KeyringLocked

    with closing(secretstorage.dbus_init()) as connection:
        secretstorage.get_default_collection(connection).lock()
    store = KeyringSecretStore(tmp_path / "config.toml", timeout=10)
    with pytest.raises(SecretStoreError) as mine:
        store.get("p")
    store.close()
    # keyring's own call, on its own connection, fails the same way.
    with pytest.raises(KeyringLocked):
        SecretService.Keyring().get_password(store.service, "p")  # type: ignore[no-untyped-call]
    assert mine.value.message == "the OS keyring is locked; cannot read the client secret"
