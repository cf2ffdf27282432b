"""The config file on disk: private modes, and no torn file when a writer is killed."""

from __future__ import annotations

import os
import random
import re
import signal
import stat
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from foundation.helpers import (
    PROCESS_TIMEOUT_S,
    SECRET,
    add_args,
    config_with,
    run_duoctl,
    write_private,
)

CliRunnerFixture = Callable[..., Any]
TEMP_NAME = re.compile(r"\.config\.toml\.[0-9a-f]{12}\.tmp")


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _umask_zero() -> None:
    # With umask 0 any mode not asked for explicitly would show up as world-readable.
    os.umask(0)


def test_new_config_lock_and_directory_are_private(tmp_path: Path) -> None:
    # The default location (no --config, no DUOCTL_CONFIG): duoctl creates the directory.
    config_path = tmp_path / "xdg" / "duoctl" / "config.toml"
    env = {"DUOCTL_CONFIG": "", "XDG_CONFIG_HOME": str(tmp_path / "xdg")}

    result = run_duoctl(["mfa", "disable", "--yes"], env=env, preexec_fn=_umask_zero)

    assert result.returncode == 0, result.stderr
    assert _mode(config_path.parent) == 0o700
    assert _mode(config_path) == 0o600
    assert _mode(config_path.with_name("config.toml.lock")) == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o606, 0o666])
def test_config_open_to_others_is_refused_and_left_alone(config_path: Path, mode: int) -> None:
    write_private(config_path, config_with(2))
    config_path.chmod(mode)
    before = config_path.read_bytes()

    result = run_duoctl(["provider", "disable", "p1"], preexec_fn=_umask_zero)

    assert result.returncode == 4, result.stderr
    assert f"(mode {mode:04o})" in result.stderr
    assert f"chmod o-rwx {config_path}" in result.stderr
    assert config_path.read_bytes() == before
    assert _mode(config_path) == mode


def test_edit_keeps_group_mode_owner_and_group(config_path: Path) -> None:
    # A config the platform's service reads through a group: 0640 with that group.
    write_private(config_path, config_with(2))
    group = 65534 if os.geteuid() == 0 else os.getegid()  # root can hand it to nogroup
    os.chown(config_path, os.geteuid(), group)
    config_path.chmod(0o640)

    result = run_duoctl(["provider", "disable", "p1"], preexec_fn=_umask_zero)

    assert result.returncode == 0, result.stderr
    assert tomllib.loads(config_path.read_text())["providers"]["p1"]["enabled"] is False
    st = os.stat(config_path)
    assert (_mode(config_path), st.st_uid, st.st_gid) == (0o640, os.geteuid(), group)
    assert _mode(config_path.with_name("config.toml.lock")) == 0o600


def test_edit_narrows_nothing_and_widens_nothing(config_path: Path) -> None:
    write_private(config_path, config_with(2))
    config_path.chmod(0o400)

    result = run_duoctl(["provider", "disable", "p1"], preexec_fn=_umask_zero)

    # A read-only file is replaced (the directory is writable) and stays read-only.
    assert result.returncode == 0, result.stderr
    assert _mode(config_path) == 0o400


def test_in_process_add_creates_private_files(cli: object, config_path: Path) -> None:
    old = os.umask(0)
    try:
        result = cli(*add_args("prod"), input=SECRET + "\n")  # type: ignore[operator]
    finally:
        os.umask(old)
    assert result.exit_code == 0
    assert (_mode(config_path.parent), _mode(config_path)) == (0o700, 0o600)
    assert _mode(config_path.with_name("config.toml.lock")) == 0o600


# --- crash safety -----------------------------------------------------------------------
# A child rewrites the config in a loop; it is SIGKILLed at random moments. Whatever the
# moment, the file must parse and be one of the states the child wrote.

_ATOMIC_LOOP = """
import sys
from pathlib import Path
from duoctl.config.locked_write import write_atomic
path, states = Path(sys.argv[1]), [Path(p).read_bytes() for p in sys.argv[2:]]
i = 0
while True:
    write_atomic(path, states[i % len(states)])
    if i == 0:
        print("ready", flush=True)
    i += 1
"""

_EDIT_LOOP = """
import sys
from pathlib import Path
from duoctl.mfa import set_external_mfa
path = Path(sys.argv[1])
i = 0
while True:
    set_external_mfa(path, i % 2 == 0, force=True)  # about atomic writes, not the guard
    if i == 0:
        print("ready", flush=True)
    i += 1
"""


def _kill_at_random(
    code: str, config: Path, extra: list[str], valid: set[bytes], rounds: int
) -> None:
    seed = int(time.time())
    rng = random.Random(seed)
    for round_ in range(rounds):
        child = subprocess.Popen(
            [sys.executable, "-c", code, str(config), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            assert child.stdout.readline() == "ready\n", child.stderr
            time.sleep(rng.uniform(0, 0.08))
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(PROCESS_TIMEOUT_S)
        where = f"seed {seed}, round {round_}"
        data = config.read_bytes()
        tomllib.loads(data.decode())  # parses, whole
        assert data in valid, where
        for leftover in config.parent.iterdir():
            if leftover.name in (config.name, config.name + ".lock"):
                continue
            if leftover.name == "config.audit.jsonl":  # the audit trail, as private
                assert _mode(leftover) == 0o600, (where, leftover.name)
                continue
            # A temp file from the killed write may remain; it must not pass for a config
            # (not *.toml) and must be as private as the config.
            assert TEMP_NAME.fullmatch(leftover.name), (where, leftover.name)
            assert _mode(leftover) == 0o600, (where, leftover.name)


@pytest.mark.slow
def test_sigkill_during_atomic_writes_never_tears_the_file(
    config_path: Path, tmp_path: Path
) -> None:
    # Large (about 3 MB) so that a kill often lands inside write() or fsync().
    states = [config_with(1, mfa=flag) + ("# padding " * 30 + "\n") * 10_000 for flag in (0, 1)]
    files = []
    for i, text in enumerate(states):
        files.append(tmp_path / f"state{i}.toml")
        files[-1].write_text(text)
    write_private(config_path, states[0])

    _kill_at_random(
        _ATOMIC_LOOP, config_path, [str(f) for f in files], {s.encode() for s in states}, 12
    )


@pytest.mark.slow
def test_sigkill_during_config_edits_never_tears_the_file(config_path: Path) -> None:
    off = config_with(150)
    write_private(config_path, off)
    on = off.replace("[external_mfa]\nenabled = false", "[external_mfa]\nenabled = true")

    _kill_at_random(_EDIT_LOOP, config_path, [], {off.encode(), on.encode()}, 8)


def test_a_killed_writers_temp_file_is_cleaned_by_the_next_edit(
    cli: CliRunnerFixture, config_path: Path
) -> None:
    assert cli("mfa", "enable", "--yes", "--failmode", "closed", "--force").exit_code == 0
    stale = config_path.parent / ".config.toml.0123456789ab.tmp"
    stale.write_text("half a config")
    unrelated = config_path.parent / "notes.tmp"
    unrelated.write_text("mine")

    assert cli("mfa", "disable", "--yes").exit_code == 0

    assert not stale.exists()
    assert unrelated.read_text() == "mine"
