"""duoctl.secrets.keyring_session and .secret_service in process, on the real Secret Service.

test_keyring_choice.py and test_one_connection.py check the same rules in child processes,
where keyring starts from nothing; here, in the test process (so that mutation testing sees
the code under test), each case first puts keyring back in that state: no backend chosen
yet, no PYTHON_KEYRING_BACKEND, no keyringrc.cfg, and only the installed backend classes.

D-Bus connections are observed, not faked: every jeepney connection opened is recorded, and
a closed one is one whose socket is closed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest

from duoctl.secrets.keyring_session import KeyringSession, detect, load_keyring
from support.real_components import require_real, secret_service_available

pytestmark = pytest.mark.real_keyring

SECRET = "Sb3cretSecretSecretSecretSecretSecret001"
NULL = "keyring.backends.null.Keyring"


def _name(backend: object) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


@pytest.fixture(autouse=True)
def fresh_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """keyring as a new process finds it; monkeypatch restores the process's own after."""
    require_real("Secret Service", *secret_service_available())
    import keyring.core
    from keyring.backend import KeyringBackend, get_all_keyring

    load_keyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # keyringrc.cfg: none there
    # A backend class a test defines registers itself here; a copy forgets it afterwards.
    monkeypatch.setattr(KeyringBackend, "_classes", set(KeyringBackend._classes))
    # keyring lists its viable backends once a process (jaraco.functools.once): list them
    # anew with this test's classes, and again after it without them.
    _forget(get_all_keyring)
    yield
    _forget(get_all_keyring)


def _forget(once_function: Any) -> None:
    # jaraco.functools.once's reset() raises KeyError when there is no result to forget.
    with suppress(KeyError):
        once_function.reset()


class Connections:
    """The D-Bus connections this process opened while the test ran."""

    def __init__(self) -> None:
        self.opened: list[Any] = []

    def open_ones(self) -> list[Any]:
        return [c for c in self.opened if c.sock.fileno() != -1]


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[Connections]:
    from jeepney.io import blocking  # type: ignore[import-untyped]

    seen = Connections()
    original = blocking.DBusConnection.__init__

    def recording_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        seen.opened.append(self)

    # At the class: SecretStorage imports jeepney's open_dbus_connection by name.
    monkeypatch.setattr(blocking.DBusConnection, "__init__", recording_init)
    yield seen
    for connection in seen.open_ones():
        connection.close()


@pytest.fixture
def transfer_sessions(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The Secret Service transfer sessions (Diffie-Hellman exchanges) opened in the test."""
    from secretstorage import collection, item

    opened: list[object] = []
    original = item.open_session

    def recording_open_session(connection: Any) -> object:
        session: object = original(connection)
        opened.append(session)
        return session

    # SecretStorage 3.5.0 imports open_session by name into both modules that call it.
    monkeypatch.setattr(item, "open_session", recording_open_session)
    monkeypatch.setattr(collection, "open_session", recording_open_session)
    return opened


def _define_backend(priority: float) -> type:
    """A backend class as a plugin defines one (defining it registers it with keyring)."""
    from keyring.backend import KeyringBackend

    class Extra(KeyringBackend):
        def get_password(self, service: str, username: str) -> str | None:
            return None

        def set_password(self, service: str, username: str, password: str) -> None:
            pass

    Extra.priority = priority  # type: ignore[assignment]
    return Extra


@pytest.mark.parametrize(
    ("priority", "expected", "kept"),
    [
        pytest.param(None, "keyring.backends.SecretService.Keyring", True, id="alone"),
        pytest.param(0, "keyring.backends.SecretService.Keyring", True, id="another-at-0"),
        # Two backends above 0: keyring's chainer (priority 10) wins.
        pytest.param(0.5, "keyring.backends.chainer.ChainerBackend", False, id="another-above-0"),
        pytest.param(20, "Extra", False, id="another-above-the-chainer"),
    ],
)
def test_detect_picks_what_keyring_picks(
    connections: Connections, priority: float | None, expected: str, kept: bool
) -> None:
    import keyring.core

    if priority is not None:
        extra = _define_backend(priority)
        if expected == "Extra":
            expected = f"{extra.__module__}.{extra.__qualname__}"
    mine, connection = detect()
    assert (_name(mine), connection is not None) == (expected, kept)
    if kept:  # the probe's one connection (otherwise keyring's detection opens its own)
        assert connections.opened == [connection]
    assert _name(keyring.core._detect_backend()) == expected


def test_the_environment_variable_decides_without_probing(
    connections: Connections, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NULL)
    mine, connection = detect()
    assert (_name(mine), connection, connections.opened) == (NULL, None, [])


def test_keyringrc_decides_without_probing(connections: Connections, tmp_path: Path) -> None:
    # keyring.core.load_config: <XDG_CONFIG_HOME>/python_keyring/keyringrc.cfg.
    (tmp_path / "python_keyring").mkdir()
    (tmp_path / "python_keyring" / "keyringrc.cfg").write_text(
        f"[backend]\ndefault-keyring = {NULL}\n"
    )
    mine, connection = detect()
    assert (_name(mine), connection, connections.opened) == (NULL, None, [])


def test_a_backend_already_set_in_this_process_is_the_one_used(
    connections: Connections, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring.core
    from keyring.backends import null

    chosen = null.Keyring()  # type: ignore[no-untyped-call]
    monkeypatch.setattr(keyring.core, "_keyring_backend", chosen)
    assert detect() == (chosen, None)
    assert connections.opened == []


def test_another_backend_has_no_secret_service_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NULL)
    session = KeyringSession()
    assert _name(session.backend()) == NULL
    assert session.calls is None
    session.close()


@pytest.fixture
def service() -> str:
    return f"duoctl-test-{uuid.uuid4().hex}"


def test_a_session_makes_every_call_on_the_probes_connection(
    connections: Connections, transfer_sessions: list[object], service: str
) -> None:
    session = KeyringSession()
    session.backend()
    calls = session.calls
    assert calls is not None
    calls.set(service, "a", SECRET)
    calls.set(service, "b", "another secret")
    try:
        assert calls.get(service, "a") == SECRET
        # Only the names asked for, whatever else the service holds.
        assert calls.get_many(service, ["a"]) == {"a": SECRET}
        assert calls.usernames(service) == ["a", "b"]
        # A delete takes the named entry only.
        assert calls.delete(service, "a") is True
        assert calls.delete(service, "a") is False
        assert calls.get_many(service, ["a", "b"]) == {"a": None, "b": "another secret"}
    finally:
        calls.delete(service, "b")
    assert len(connections.opened) == 1
    # ...and every secret sent or read in one transfer session (SecretStorage would open
    # one per item).
    assert len(transfer_sessions) == 1
    session.close()
    assert connections.open_ones() == []


def test_a_session_closed_before_its_backend_leaves_no_connection_open(
    connections: Connections, service: str
) -> None:
    # A detection abandoned at its deadline can finish after the command closed the session.
    session = KeyringSession()
    session.close()
    session.backend()
    calls = session.calls
    assert calls is not None
    assert calls.get(service, "a") is None  # still answers, on a connection of its own
    assert len(connections.opened) == 2
    assert connections.open_ones() == []
