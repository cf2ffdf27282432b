"""Start, serve many, stop without leftovers; loopback only."""

from __future__ import annotations

import re
import socket
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from duoctl.emulator import EmulatedUser, Emulator, Outcome
from support.real_components import require_real

from .conftest import follow, make_client, post

pytestmark = pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")


def test_generated_credentials_look_like_duos() -> None:
    emu = Emulator()
    assert re.fullmatch(r"DI[A-Z0-9]{18}", emu.client_id)
    assert re.fullmatch(r"[A-Za-z0-9]{40}", emu.client_secret)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.com", "::", "127.0.0.2"])
def test_non_loopback_or_uncertified_host_is_refused(host: str) -> None:
    with pytest.raises(ValueError, match="host"):
        Emulator(host=host)


def test_invalid_credentials_are_refused() -> None:
    with pytest.raises(ValueError, match="client_id"):
        Emulator(client_id="short")
    with pytest.raises(ValueError, match="client_secret"):
        Emulator(client_secret="s" * 39)


def test_start_returns_when_accepting_on_loopback() -> None:
    # A start-up that hangs fails through pytest-timeout; how fast it is, is for bench/.
    emu = Emulator()
    emu.start()
    try:
        # No retry loop: start() must return only once the socket accepts.
        with socket.create_connection(("127.0.0.1", emu.port), timeout=2):
            pass
        assert emu.api_host == f"localhost:{emu.port}"
        assert make_client(emu).health_check()["stat"] == "OK"
    finally:
        emu.stop()


def test_listening_socket_is_bound_to_loopback(emu: Emulator) -> None:
    server = emu._server
    assert server is not None
    assert server.socket.getsockname()[0] == "127.0.0.1"


def test_ca_bundle_is_private(emu: Emulator) -> None:
    assert stat.S_IMODE(emu.state_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(emu.ca_bundle.stat().st_mode) == 0o600
    # Only the CA certificate and the control token stay on disk: leaf keys are unlinked
    # once loaded.
    assert sorted(p.name for p in emu.state_dir.iterdir()) == ["ca.pem", "control_token"]
    assert stat.S_IMODE(emu.control_token_file.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" not in emu.ca_bundle.read_bytes()


def test_fifty_parallel_health_checks(emu: Emulator) -> None:
    clients = [make_client(emu) for _ in range(50)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda c: c.health_check(), clients))
    assert [r["stat"] for r in results] == ["OK"] * 50


def test_silent_client_does_not_block_others(emu: Emulator) -> None:
    with socket.create_connection(("127.0.0.1", emu.port), timeout=5):
        # Connected but no TLS handshake: another client must still be served.
        assert make_client(emu).health_check()["stat"] == "OK"


def test_stop_leaves_nothing_behind() -> None:
    before = set(threading.enumerate())
    emu = Emulator([EmulatedUser("alice"), EmulatedUser("tim", Outcome.TIMEOUT)]).start()
    port, state_dir = emu.port, emu.state_dir
    client = make_client(emu)
    assert client.health_check()["stat"] == "OK"
    # A held authorize (the timeout user) and an idle connection are open during stop().
    outcome: list[object] = []

    def hold() -> None:
        try:
            outcome.append(follow(emu, client.create_auth_url("tim", client.generate_state())))
        except requests.exceptions.RequestException as exc:
            outcome.append(exc)

    server = emu._server
    assert server is not None
    deadline = time.monotonic() + 10
    # The health check's connection first: with keep-alive its worker lives until the
    # client closes it, and mistaking it for the held request let stop() run (and remove the
    # CA the held request still had to read) before that request was even sent.
    while server._workers and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not server._workers
    held = threading.Thread(target=hold)
    held.start()
    # requests_seen logs only answered requests: wait for the held one's connection thread.
    while not server._workers and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server._workers
    idle = socket.create_connection(("127.0.0.1", port), timeout=5)
    emu.stop()
    held.join(10)
    idle.close()
    assert not held.is_alive()
    # Released by stop(): either cut off or shown a page, never redirected.
    assert len(outcome) == 1
    assert getattr(outcome[0], "status_code", None) != 302
    assert set(threading.enumerate()) == before
    assert not state_dir.exists()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
    emu.stop()  # a second stop is harmless


def test_given_state_dir_is_kept(tmp_path: Path) -> None:
    state_dir = tmp_path / "emu"
    with Emulator(state_dir=state_dir) as emu:
        assert emu.ca_bundle == state_dir / "ca.pem"
    assert state_dir.exists()


def test_can_restart_after_stop() -> None:
    emu = Emulator()
    with emu:
        first_ca = emu.ca_bundle.read_bytes()
    with emu:
        assert make_client(emu).health_check()["stat"] == "OK"
        assert emu.ca_bundle.read_bytes() != first_ca


def _ipv6_loopback() -> tuple[bool, str]:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError as exc:
        return False, f"cannot bind ::1 ({exc.strerror or type(exc).__name__})"
    return True, "::1 binds"


def test_ipv6_loopback() -> None:
    require_real("IPv6 loopback", *_ipv6_loopback())
    with Emulator(host="::1") as emu:
        assert emu.api_host == f"[::1]:{emu.port}"
        assert make_client(emu).health_check()["stat"] == "OK"


def _explode(form: object) -> object:
    raise RuntimeError("client_assertion=eyJhbGciOi.request-data")


@pytest.mark.parametrize("debug", [False, True])
def test_handler_bug_prints_the_type_not_request_data(
    emu: Emulator,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    debug: bool,
) -> None:
    if debug:
        monkeypatch.setenv("DUOCTL_DEBUG", "1")
    else:
        monkeypatch.delenv("DUOCTL_DEBUG", raising=False)
    server = emu._server
    assert server is not None
    monkeypatch.setattr(server.endpoints, "health_check", _explode)
    response = post(emu, "/oauth/v1/health_check", data={"client_id": emu.client_id})
    assert response.status_code == 500
    assert response.json()["stat"] == "FAIL"
    err = capfd.readouterr().err
    assert "bug in POST /oauth/v1/health_check" in err
    assert "RuntimeError" in err
    if debug:
        assert "Traceback (most recent call last)" in err
        assert "request-data" in err
    else:
        assert "Traceback" not in err
        assert "request-data" not in err
        assert "DUOCTL_DEBUG=1" in err
