"""Every row of the README's exit-code table, produced by the real console script.

One case per code, each from the situation the table names; the README row and the
`ExitCode` value must agree with what the process actually returns.
"""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from duoctl.emulator import EmulatedUser, Emulator, Outcome
from duoctl.errors import ExitCode
from foundation.helpers import (
    DUOCTL,
    PROCESS_TIMEOUT_S,
    SECRET,
    TESTS_DIR,
    add_args,
    child_env,
    config_with,
    run_duoctl,
    write_private,
)
from support.terminal import run_answering

README = TESTS_DIR.parent / "README.md"
FAIL = "keyring.backends.fail.Keyring"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    users = [
        EmulatedUser("alice", Outcome.APPROVE, delay=0),
        EmulatedUser("bob", Outcome.DENY, delay=0),
        EmulatedUser("tim", Outcome.TIMEOUT),
    ]
    state_dir = tmp_path_factory.mktemp("emu")
    with Emulator(users, state_dir=state_dir, lowercase_preferred_username=True) as emu:
        yield emu


def _emulator_config(config: Path, emu: Emulator, endpoint: str | None = None) -> None:
    host = endpoint or emu.api_host
    write_private(
        config,
        f'[external_mfa]\nenabled = true\n\n[providers.emu]\nendpoint = "{host}"'
        f'\nclient_id = "{emu.client_id}"\nca_bundle = "{emu.ca_bundle}"\n',
    )


def _login(config: Path, secret: str, *extra: str) -> subprocess.CompletedProcess[str]:
    # A one-shot secret: these cases are about Duo's answers, not the store.
    args = ["test-login", "emu", "--browser", "follow", *extra]
    return run_duoctl(args, config=config, env={"DUOCTL_CLIENT_SECRET": secret})


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pty_run(argv: list[str], answer: bytes, prompt: bytes, env: dict[str, str]) -> int:
    """Run duoctl on a real terminal, answer its prompt, return the exit code."""
    code, _screen = run_answering(argv, env, [(prompt, answer)])
    return code


Case = Callable[[Path, Path, Emulator], int]


def _ok(config: Path, tmp: Path, emu: Emulator) -> int:
    return run_duoctl(["--version"]).returncode


def _internal(config: Path, tmp: Path, emu: Emulator) -> int:
    write_private(config, config_with(1))
    env = {
        "PYTHONPATH": f"{TESTS_DIR / 'support' / 'inject_bug'}:{TESTS_DIR}",
        "DUOCTL_TEST_INJECT_BUG": "1",
        "DUOCTL_TEST_BUG_TEXT": "canary-text-of-a-bug",
    }
    result = run_duoctl(["mfa", "status"], env=env)
    assert "internal error (RuntimeError)" in result.stderr
    assert "canary-text-of-a-bug" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    return result.returncode


def _usage(config: Path, tmp: Path, emu: Emulator) -> int:
    return run_duoctl(["provider", "list", "--no-such-option"]).returncode


def _invalid_input(config: Path, tmp: Path, emu: Emulator) -> int:
    return run_duoctl(add_args("prod", cid="DI123"), input=SECRET + "\n").returncode


def _config(config: Path, tmp: Path, emu: Emulator) -> int:
    write_private(config, "[providers.prod\n")
    return run_duoctl(["provider", "list"]).returncode


def _secret_store(config: Path, tmp: Path, emu: Emulator) -> int:
    return run_duoctl(add_args("prod"), input=SECRET + "\n", keyring_backend=FAIL).returncode


def _denied(config: Path, tmp: Path, emu: Emulator) -> int:
    _emulator_config(config, emu)
    return _login(config, emu.client_secret, "-u", "bob").returncode


def _unreachable(config: Path, tmp: Path, emu: Emulator) -> int:
    _emulator_config(config, emu, endpoint=f"localhost:{_closed_port()}")
    return _login(config, emu.client_secret, "-u", "alice").returncode


def _credentials(config: Path, tmp: Path, emu: Emulator) -> int:
    _emulator_config(config, emu)
    return _login(config, "W" * 40, "-u", "alice").returncode


def _timeout(config: Path, tmp: Path, emu: Emulator) -> int:
    _emulator_config(config, emu)
    return _login(config, emu.client_secret, "-u", "tim", "--timeout", "1").returncode


def _checks_failed(config: Path, tmp: Path, emu: Emulator) -> int:
    write_private(config, config_with(0))  # MFA off, no provider: two failures, no network
    return run_duoctl(["doctor"]).returncode


def _protocol(config: Path, tmp: Path, emu: Emulator) -> int:
    # Duo answers "alice" for "Alice" (this emulator lower-cases, as Duo may): the official
    # client compares usernames exactly and refuses the token.
    _emulator_config(config, emu)
    result = _login(config, emu.client_secret, "-u", "Alice")
    assert "'Alice'" in result.stderr
    return result.returncode


def _cancelled(config: Path, tmp: Path, emu: Emulator) -> int:
    write_private(config, config_with(2))
    return _pty_run(["provider", "remove", "p0"], b"n\n", b"[y/N]", child_env(config))


def _lockout(config: Path, tmp: Path, emu: Emulator) -> int:
    write_private(config, config_with(1, mfa=True))
    return run_duoctl(["provider", "disable", "p0"]).returncode


def _permission(config: Path, tmp: Path, emu: Emulator) -> int:
    # The Admin API credential works but lacks "Grant applications": provider create says so.
    store = {
        "DUOCTL_ALLOW_PLAINTEXT_KEYRING": "1",
        "DUOCTL_TEST_KEYRING_FILE": str(tmp / "keyring.json"),
    }
    backend = "support.keyring_backends.PlaintextFileKeyring"
    login = ["admin", "login", "--host", emu.api_host, "--ikey", emu.admin_ikey,
             "--ca-bundle", str(emu.ca_bundle), "--no-verify"]  # fmt: skip
    done = run_duoctl(
        login, env={**store, "DUOCTL_ADMIN_SKEY": emu.admin_skey}, keyring_backend=backend
    )
    assert done.returncode == 0, done.stderr
    emu.admin_permissions.discard("Grant applications")
    try:
        result = run_duoctl(["provider", "create", "prod"], env=store, keyring_backend=backend)
    finally:
        emu.admin_permissions.add("Grant applications")
    assert "'Grant applications'" in result.stderr
    return result.returncode


def _interrupted(config: Path, tmp: Path, emu: Emulator) -> int:
    _emulator_config(config, emu)
    env = child_env(config, extra={"DUOCTL_CLIENT_SECRET": emu.client_secret})
    proc = subprocess.Popen(
        [DUOCTL, "test-login", "emu", "-u", "tim", "--browser", "follow", "--timeout", "60"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stderr is not None
    seen = b""
    while b"Duo prompt URL" not in seen:  # waiting for the push: now Ctrl+C
        line = proc.stderr.readline()
        assert line, seen
        seen += line
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=PROCESS_TIMEOUT_S)
    return proc.returncode


CASES: dict[ExitCode, Case] = {
    ExitCode.OK: _ok,
    ExitCode.INTERNAL: _internal,
    ExitCode.USAGE: _usage,
    ExitCode.INVALID_INPUT: _invalid_input,
    ExitCode.CONFIG: _config,
    ExitCode.SECRET_STORE: _secret_store,
    ExitCode.DUO_DENIED: _denied,
    ExitCode.DUO_UNREACHABLE: _unreachable,
    ExitCode.DUO_CREDENTIALS: _credentials,
    ExitCode.TIMEOUT: _timeout,
    ExitCode.CHECKS_FAILED: _checks_failed,
    ExitCode.DUO_PROTOCOL: _protocol,
    ExitCode.CANCELLED: _cancelled,
    ExitCode.LOCKOUT: _lockout,
    ExitCode.PERMISSION: _permission,
    ExitCode.INTERRUPTED: _interrupted,
}


def test_every_exit_code_has_a_case_and_a_readme_row() -> None:
    assert set(CASES) == set(ExitCode)
    rows = {int(m) for m in re.findall(r"^\| (\d+) \|", README.read_text(), flags=re.M)}
    assert rows == {int(code) for code in ExitCode}


@pytest.mark.parametrize("code", list(CASES), ids=lambda c: f"{int(c)}-{c.name.lower()}")
def test_the_console_script_exits_with_the_documented_code(
    code: ExitCode, config_path: Path, tmp_path: Path, emulator: Emulator
) -> None:
    assert CASES[code](config_path, tmp_path, emulator) == int(code)
