"""``duoctl emulator``: the foreground core in a thread, the command in a subprocess."""

from __future__ import annotations

import io
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from duoctl.emulator import Outcome
from duoctl.emulator.foreground import collect_users, run_emulator_foreground
from duoctl.emulator.users import parse_user_spec
from duoctl.errors import ValidationError

pytestmark = pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")


class _Capture(io.StringIO):
    """A stream a test can wait on until some text has been written."""

    def wait_for(self, text: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.getvalue():
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never written; got {self.getvalue()!r}")
            time.sleep(0.02)
        return self.getvalue()


def _field(output: str, name: str) -> str:
    for line in output.splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {name!r} line in {output!r}")


def _run_in_thread(
    **kwargs: object,
) -> tuple[threading.Thread, threading.Event, _Capture, _Capture]:
    out, err, stop = _Capture(), _Capture(), threading.Event()
    thread = threading.Thread(
        target=run_emulator_foreground,
        args=(kwargs.pop("users_file", None), 0, False, out, err),
        kwargs={"stop": stop, **kwargs},
    )
    thread.start()
    return thread, stop, out, err


def test_foreground_prints_what_a_client_needs_and_hides_the_secret() -> None:
    import duo_universal

    thread, stop, out, err = _run_in_thread(user_specs=["alice", "bob:deny:0.5"])
    try:
        text = out.wait_for("users:\n  alice: approve\n  bob: deny after 0.5 s\n")
        err.wait_for("Ctrl+C")
        secret_file = Path(_field(text, "client secret").split()[1])
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        secret = secret_file.read_text().strip()
        assert secret not in text
        ca_bundle = Path(_field(text, "CA bundle"))
        client = duo_universal.Client(
            _field(text, "client ID"),
            secret,
            _field(text, "api host"),
            "http://localhost:8080/cb",
            duo_certs=str(ca_bundle),
        )
        assert client.health_check()["stat"] == "OK"
        err.wait_for("POST /oauth/v1/health_check 200")
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert "stopped" in err.getvalue()
    assert not ca_bundle.exists()
    assert not secret_file.exists()


def test_show_secret_prints_it() -> None:
    thread, stop, out, _ = _run_in_thread(show_secret=True)
    try:
        text = out.wait_for("users:\n")
    finally:
        stop.set()
        thread.join(10)
    assert len(_field(text, "client secret")) == 40


def test_users_file_and_flags(tmp_path: Path) -> None:
    users_file = tmp_path / "users.toml"
    users_file.write_text(
        '[[users]]\nname = "alice"\noutcome = "approve"\ndelay = 0.5\n\n'
        '[[users]]\nname = "dan"\noutcome = "fraud"\nfactor = "Phone Call"\n'
    )
    users = {u.name: u for u in collect_users(users_file, ["dan:lockout"])}
    assert users["alice"].delay == 0.5
    assert users["dan"].outcome is Outcome.LOCKOUT
    assert collect_users(None, [])[0].name == "alice"


@pytest.mark.parametrize(
    "content",
    ['[[users]]\nname = "a"\noutcome = "maybe"\n', '[[users]]\nnmae = "a"\n', "users = 3\n", "[["],
)
def test_bad_users_file_is_a_validation_error(tmp_path: Path, content: str) -> None:
    users_file = tmp_path / "users.toml"
    users_file.write_text(content)
    with pytest.raises(ValidationError):
        collect_users(users_file, [])


@pytest.mark.parametrize("spec", ["", ":deny", "a:b", "a:deny:soon", "a:deny:1:2", "a:deny:-1"])
def test_bad_user_spec_is_a_validation_error(spec: str) -> None:
    with pytest.raises(ValidationError):
        collect_users(None, [spec])


def test_user_spec_parsing() -> None:
    user = parse_user_spec("carol:policy-deny:2.5")
    assert (user.name, user.outcome, user.delay) == ("carol", Outcome.POLICY_DENY, 2.5)


_APP = """
import typer
from duoctl.cli.emulator_cmd import register
app = typer.Typer()
@app.callback()
def root() -> None:
    pass
register(app)
app()
"""


def test_command_stops_cleanly_on_sigint() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _APP, "emulator", "--user", "bob:deny", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("  bob"):
                break
        assert lines[-1].strip() == "bob: deny", lines
        assert _field("".join(lines), "endpoint").startswith("https://localhost:")
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    assert "Duo emulator stopped." in stderr
    assert "Traceback" not in stderr


def _client_from_banner(text: str, secret: str | None = None) -> object:
    import duo_universal

    return duo_universal.Client(
        _field(text, "client ID"),
        secret if secret is not None else _field(text, "client secret"),
        _field(text, "api host"),
        "http://localhost:8080/cb",
        duo_certs=_field(text, "CA bundle"),
    )


def test_refused_requests_are_logged_with_their_reason_even_without_request_logging() -> None:
    from duo_universal.client import DuoException

    from duoctl.emulator import NewUserPolicy

    thread, stop, out, err = _run_in_thread(
        show_secret=True, log_requests=False, new_user_policy=NewUserPolicy.DENY
    )
    try:
        text = out.wait_for("users:\n")
        assert "new users:     deny" in text
        good = _client_from_banner(text)
        assert good.health_check()["stat"] == "OK"  # type: ignore[attr-defined]
        with pytest.raises(DuoException):
            _client_from_banner(text, secret="W" * 40).health_check()  # type: ignore[attr-defined]
        err.wait_for("POST /oauth/v1/health_check 400 (signature verification failed)")
    finally:
        stop.set()
        thread.join(10)
    # The accepted request was not logged: only refusals are, without --log-requests.
    assert "health_check 200" not in err.getvalue()
