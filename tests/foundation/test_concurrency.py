"""Parallel duoctl processes on one config: the lock serialises read-modify-write, so no
update is lost and no entry is half-written."""

from __future__ import annotations

import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from duoctl.secrets.keyring_store import KeyringSecretStore
from foundation.helpers import (
    DUOCTL,
    PROCESS_TIMEOUT_S,
    add_args,
    child_env,
    client_id,
    config_with,
    secret,
    secret_tool_lookup,
    write_private,
)

PARALLEL = 20


def _run_parallel(
    commands: list[list[str]],
    config: Path,
    inputs: list[str] | None = None,
    secret_timeout: float | None = None,
) -> list[tuple[int, str]]:
    env = child_env(config)
    if secret_timeout is not None:
        env["DUOCTL_SECRET_TIMEOUT"] = str(secret_timeout)
    procs = [
        subprocess.Popen(
            [DUOCTL, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for args in commands
    ]
    results = []
    for i, proc in enumerate(procs):
        _out, err = proc.communicate(inputs[i] if inputs else "", timeout=PROCESS_TIMEOUT_S * 2)
        results.append((proc.returncode, err))
    return results


def test_parallel_enable_disable_and_mfa_lose_no_update(config_path: Path) -> None:
    text = config_with(PARALLEL).replace(
        f'[providers.p{PARALLEL - 1}]\ntype = "duo"\nenabled = true',
        f'[providers.p{PARALLEL - 1}]\ntype = "duo"\nenabled = false',
    )
    write_private(config_path, text)
    # Each process changes a different key: a lost update would show as a key left behind.
    commands = [["provider", "disable", f"p{i}"] for i in range(PARALLEL - 2)]
    commands += [
        ["provider", "enable", f"p{PARALLEL - 1}"],
        ["mfa", "enable", "--yes", "--failmode", "closed"],
    ]

    results = _run_parallel(commands, config_path)

    assert [code for code, _ in results] == [0] * PARALLEL, [r for r in results if r[0]][:3]
    data = tomllib.loads(config_path.read_text())
    enabled = {name: p["enabled"] for name, p in data["providers"].items()}
    assert enabled == {
        **{f"p{i}": False for i in range(PARALLEL - 2)},
        f"p{PARALLEL - 2}": True,
        f"p{PARALLEL - 1}": True,
    }
    assert data["external_mfa"]["enabled"] is True


@pytest.mark.real_keyring
def test_parallel_adds_keep_every_provider_and_secret(
    real_keyring: Callable[[Path], str], config_path: Path
) -> None:
    service = real_keyring(config_path)

    # Twenty processes on two cores ask one Secret Service at once, outside the lock: on a
    # loaded machine one can wait past the store's 3 s deadline (a hung store's bound, which
    # test_keyring_failures holds duoctl to). What this test proves is the lock's: no add
    # lost; so the deadline is widened here.
    results = _run_parallel(
        [add_args(f"n{i}", cid=client_id(i)) for i in range(PARALLEL)],
        config_path,
        [secret(i) + "\n" for i in range(PARALLEL)],
        secret_timeout=30,
    )

    assert [code for code, _ in results] == [0] * PARALLEL, [r for r in results if r[0]][:3]
    providers = tomllib.loads(config_path.read_text())["providers"]
    assert {name: p["client_id"] for name, p in providers.items()} == {
        f"n{i}": client_id(i) for i in range(PARALLEL)
    }
    assert KeyringSecretStore(config_path).names() == sorted(f"n{i}" for i in range(PARALLEL))
    for i in range(PARALLEL):
        assert secret_tool_lookup(service, f"n{i}") == secret(i)


def test_config_with_helper_is_valid() -> None:
    # The fixture text the tests above rely on must itself be what duoctl accepts.
    from duoctl.config.model import config_from_data

    config = config_from_data(Path("x.toml"), tomllib.loads(config_with(3, mfa=True)))
    assert list(config.providers) == ["p0", "p1", "p2"]
    assert config.external_mfa_enabled is True


@pytest.mark.real_keyring
@pytest.mark.slow
def test_a_hundred_parallel_removes_all_succeed(
    real_keyring: Callable[[Path], str], config_path: Path
) -> None:
    # Issue 9: with 100 writers, polling for the lock lost the race until 12 timed out.
    count = 100
    real_keyring(config_path)
    write_private(config_path, config_with(count))
    store = KeyringSecretStore(config_path)
    for i in range(count):
        store.set(f"p{i}", secret(i))

    results = _run_parallel(
        [["provider", "remove", f"p{i}", "--yes"] for i in range(count)], config_path
    )

    assert [code for code, _ in results] == [0] * count, [r for r in results if r[0]][:3]
    assert tomllib.loads(config_path.read_text()).get("providers", {}) == {}
    assert store.names() == []


_HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("in_thread", [False, True], ids=["main-thread", "other-thread"])
def test_a_held_lock_times_out_with_a_clear_error(tmp_path: Path, in_thread: bool) -> None:
    import sys
    import threading

    from duoctl.config.locked_write import exclusive_lock
    from duoctl.errors import ConfigError

    config = tmp_path / "config.toml"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(config) + ".lock"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        errors: list[ConfigError] = []

        def attempt() -> None:
            try:
                with exclusive_lock(config, timeout=0.3):
                    pass
            except ConfigError as exc:
                errors.append(exc)

        if in_thread:  # a thread cannot use the timer signal: it polls instead
            worker = threading.Thread(target=attempt)
            worker.start()
            worker.join(10)
        else:
            attempt()
        assert len(errors) == 1
        assert "is locked by another duoctl process (waited 0.3 s)" in errors[0].message
    finally:
        holder.kill()
        holder.wait()
    with exclusive_lock(config, timeout=0.3):  # free again once the holder is gone
        pass
