"""Every way test-login ends closes the one-time callback listener.

In-process first: ``run_test_login`` with the fakes of test_flow.py, and the port checked the
moment the call has returned or raised (a process that has exited proves nothing: the kernel
closes its sockets anyway). Each case also proves the port WAS open while the flow waited, so
"refused" afterwards means duoctl closed it. Then the console script under Ctrl+C: open while
it waits, refused once it has exited 130.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from duo_universal import DuoException

from duoctl.errors import DuoDenied, DuoProtocolError, DuoTimeout, DuoUnreachable, ExitCode
from duoctl.secrets.memory import MemorySecretStore
from duoctl.testlogin.result import LoginResult
from testlogin.conftest import Provider
from testlogin.helpers import (
    SUBPROCESS_TIMEOUT,
    assert_port_closed,
    callback_port_from_prompt,
    free_port,
    loopbacks,
    read_to_end,
    read_until_prompt,
    start_test_login,
    stderr_lines,
)
from testlogin.test_flow import (
    CallingBrowser,
    FakeDuo,
    IdleBrowser,
    RecordingProgress,
    StuckBrowser,
    World,
    claims,
)


def _accepts(port: int) -> list[str]:
    """The loopbacks on which ``port`` accepts a TCP connection right now."""
    open_on = []
    for family, host in loopbacks():
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            try:
                sock.connect((host, port))
            except ConnectionRefusedError:
                continue
            open_on.append(host)
    return open_on


class ProbingProgress(RecordingProgress):
    """Checks, when the prompt URL is shown, that the listener accepts connections."""

    def __init__(self) -> None:
        super().__init__()
        self.open_when_shown: list[str] | None = None

    def show_url(self, url: str, listener_port: int, opened_with: str) -> None:
        super().show_url(url, listener_port, opened_with)
        self.open_when_shown = _accepts(listener_port)


class InterruptingProgress(ProbingProgress):
    """Ctrl+C arrives during the wait, as the main thread sees it."""

    def waiting(self, elapsed: float, timeout: float) -> None:
        raise KeyboardInterrupt


class InterruptingBrowser(IdleBrowser):
    """Ctrl+C arrives while the flow asks the browser whether it is stuck."""

    name = "interrupting"

    def failure(self) -> str | None:
        raise KeyboardInterrupt


class OpenFailsBrowser(IdleBrowser):
    name = "broken"

    def open(self, url: str) -> None:
        raise OSError("no browser could be started")


class FailingHealthDuo(FakeDuo):
    def health_check(self) -> dict[str, Any]:
        self.health_checks += 1
        raise DuoException({"stat": "FAIL", "code": 50301, "message": "service unavailable"})


@dataclass(frozen=True)
class Case:
    browser: Callable[[], Any]
    progress: Callable[[], ProbingProgress] = ProbingProgress
    duo: Callable[[], FakeDuo] = FakeDuo
    exchange_result: dict[str, Any] | BaseException | None = None
    exchange_delay: float = 0.0
    options: tuple[tuple[str, Any], ...] = ()
    raises: type[BaseException] | None = None
    allowed: bool | None = None


def _callback(**params: str) -> Callable[[], CallingBrowser]:
    return lambda: CallingBrowser(lambda state: {**params, "state": state})


CASES: dict[str, Case] = {
    "allowed": Case(CallingBrowser, allowed=True),
    "denied-in-token": Case(CallingBrowser, exchange_result=claims(status="deny"), allowed=False),
    "access-denied-callback": Case(
        _callback(error="access_denied", error_description="The user is locked out."),
        raises=DuoDenied,
    ),
    "server-error-callback": Case(
        _callback(error="server_error", error_description="Something broke."),
        raises=DuoProtocolError,
    ),
    "timeout": Case(IdleBrowser, options=(("timeout", 0.5),), raises=DuoTimeout),
    "exchange-error": Case(
        CallingBrowser,
        exchange_result=DuoException({"error": "invalid_grant", "error_description": "used"}),
        raises=DuoProtocolError,
    ),
    "exchange-unreachable": Case(
        CallingBrowser,
        exchange_result=DuoException(ConnectionError("connection refused")),
        raises=DuoUnreachable,
    ),
    "exchange-timeout": Case(
        CallingBrowser,
        exchange_delay=3.0,
        options=(("network_timeout", 0.5),),
        raises=DuoTimeout,
    ),
    "exchange-bug": Case(CallingBrowser, exchange_result=RuntimeError("boom"), raises=Exception),
    "stuck-browser": Case(StuckBrowser, options=(("timeout", 60),), raises=DuoProtocolError),
    "ctrl-c-in-progress": Case(
        IdleBrowser, progress=InterruptingProgress, raises=KeyboardInterrupt
    ),
    "ctrl-c-in-browser": Case(InterruptingBrowser, raises=KeyboardInterrupt),
    "browser-open-fails": Case(OpenFailsBrowser, raises=OSError),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_every_exit_closes_the_listener_at_once(tmp_path: Path, case: Case) -> None:
    duo = case.duo()
    duo.exchange_result = case.exchange_result
    duo.exchange_delay = case.exchange_delay
    progress = case.progress()
    world = World(
        config=tmp_path / "cfg" / "config.toml",
        store=MemorySecretStore(),
        duo=duo,
        browser=case.browser(),
        progress=progress,
        environ={},
    )
    world.add("prod")
    options = dict(case.options)
    options.setdefault("timeout", 30)

    if case.raises is None:
        result = world.run(**options)
    else:
        with pytest.raises(case.raises):
            world.run(**options)
        result = None

    # Immediately: no sleep, no retry between the return and this check.
    assert_port_closed(progress.urls[0][1])
    if isinstance(result, LoginResult):
        assert result.allowed is case.allowed
    # It was open before (on every loopback this machine has): duoctl closed it.
    assert progress.open_when_shown == [host for _f, host in loopbacks()]


def test_a_failed_health_check_closes_the_listener_before_any_url(tmp_path: Path) -> None:
    # The listener is bound before the health check; no URL is shown, so fix the port.
    port = free_port()
    progress = ProbingProgress()
    world = World(
        config=tmp_path / "cfg" / "config.toml",
        store=MemorySecretStore(),
        duo=FailingHealthDuo(),
        browser=IdleBrowser(),
        progress=progress,
        environ={},
    )
    world.add("prod")

    with pytest.raises(DuoUnreachable):
        world.run(port=port)

    assert_port_closed(port)
    assert progress.urls == []
    assert world.duo.built_with["redirect_uri"].startswith(f"http://localhost:{port}/")


# ---- the console script under Ctrl+C -----------------------------------------------------


@pytest.mark.real_keyring
def test_ctrl_c_while_waiting_closes_the_open_port(provider: Provider) -> None:
    proc = start_test_login(provider.config, provider.name, "--timeout", "30")
    lines = stderr_lines(proc)
    seen: list[str] = []
    try:
        read_until_prompt(lines, seen)
        port = callback_port_from_prompt("".join(seen))
        # While it waits, the port is open: on every loopback this machine has.
        open_on = _accepts(port)
        assert proc.poll() is None, "duoctl exited while it should be waiting"
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=SUBPROCESS_TIMEOUT)
        read_to_end(lines, seen)
        assert proc.stdout is not None
        stdout = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = "".join(seen)

    assert open_on == [host for _f, host in loopbacks()]
    assert code == ExitCode.INTERRUPTED, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    assert stdout == ""
    assert_port_closed(port)
    # Nothing was exchanged: the wait was all that happened after the prompt.
    assert all(request.path != "/oauth/v1/token" for request in provider.emulator.requests_seen)
