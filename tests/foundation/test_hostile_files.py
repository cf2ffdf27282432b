"""Hostile config files (issue 9): devices, a FIFO, a huge file, deep nesting, a BOM.

Each is met where a user meets it, through the ``duoctl`` console script: a refusal with
exit 4 that names the file, within a bounded time (a FIFO used to hang, /dev/zero to end in
MemoryError), and the file left as it was.
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from duoctl.config.reader import MAX_CONFIG_BYTES, read_bytes, read_text
from duoctl.errors import ConfigError, ExitCode
from foundation.helpers import config_with, run_duoctl, write_private

BOM = b"\xef\xbb\xbf"
# What a read may take before it counts as a hang: generous for a loaded 2-CPU box.
HANG_BOUND_S = 30


@dataclass(frozen=True)
class Hostile:
    make: Callable[[Path], Path]  # builds it under tmp_path; returns the path to pass
    needle: str  # what the refusal says
    in_tmp: bool  # whether write commands may be pointed at it (they create a lock beside)


def _symlink_to(target: str) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        link = tmp_path / "cfg" / "config.toml"
        link.parent.mkdir(mode=0o700)
        link.symlink_to(target)
        return link

    return make


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "cfg" / "config.toml"
    path.parent.mkdir(mode=0o700)
    os.mkfifo(path, 0o600)
    return path


def _sparse(tmp_path: Path) -> Path:
    path = tmp_path / "cfg" / "config.toml"
    write_private(path, config_with(1))
    os.truncate(path, 64 * 1024 * 1024)  # a hole: 64 MiB long, nothing written to disk
    return path


HOSTILE = {
    "dev-zero-via-symlink": Hostile(_symlink_to("/dev/zero"), "a character device", False),
    "dev-urandom": Hostile(lambda _tmp: Path("/dev/urandom"), "a character device", False),
    "fifo": Hostile(_fifo, "a FIFO", True),
    "64-MiB-sparse-file": Hostile(_sparse, "larger than 16 MiB", True),
}

READERS = [["provider", "list"], ["mfa", "status", "--json"], ["provider", "show", "p0"]]
WRITERS = [["mfa", "enable", "--yes", "--failmode", "closed"], ["provider", "disable", "p0"]]


def _fingerprint(path: Path) -> tuple[int, int, int]:
    st = path.lstat()
    return st.st_mode, st.st_size, st.st_ino


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_config_that_is_no_regular_small_file_is_refused(tmp_path: Path, kind: str) -> None:
    hostile = HOSTILE[kind]
    path = hostile.make(tmp_path)
    before = _fingerprint(path)
    commands = READERS + (WRITERS if hostile.in_tmp else [])
    for args in commands:
        result = run_duoctl(args, config=path, timeout=HANG_BOUND_S)
        where = f"{args}: {result.stderr!r}"
        assert result.returncode == ExitCode.CONFIG, where
        assert str(path) in result.stderr, where
        assert hostile.needle in result.stderr, where
        assert "internal error" not in result.stderr, where
    assert _fingerprint(path) == before


def test_the_json_envelope_says_config_error(tmp_path: Path) -> None:
    path = _fifo(tmp_path)
    result = run_duoctl(["mfa", "status", "--json"], config=path, timeout=HANG_BOUND_S)
    envelope = json.loads(result.stdout)
    assert envelope["ok"] is False
    assert envelope["error"]["exit_code"] == ExitCode.CONFIG
    assert "a FIFO" in envelope["error"]["message"]


def _config_checks(result_stdout: str) -> dict[str, dict[str, Any]]:
    checks = json.loads(result_stdout)["data"]["checks"]
    return {c["id"]: c for c in checks if c["id"].startswith("config.")}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_doctor_reports_it_without_hanging(tmp_path: Path, kind: str) -> None:
    path = HOSTILE[kind].make(tmp_path)
    result = run_duoctl(["doctor", "--json"], config=path, timeout=HANG_BOUND_S)
    assert result.returncode == ExitCode.CHECKS_FAILED, result.stderr
    found = _config_checks(result.stdout)["config.found"]
    assert found["status"] == "fail"
    assert HOSTILE[kind].needle in found["detail"]
    assert str(path) in found["detail"]


def test_the_cap_is_on_bytes_read_not_only_on_the_size_stat_gives(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"#" * MAX_CONFIG_BYTES)
    assert read_bytes(path) == b"#" * MAX_CONFIG_BYTES  # at the cap: still read
    with path.open("ab") as grow:
        grow.write(b"\n")
    with pytest.raises(ConfigError, match="larger than 16 MiB"):
        read_bytes(path)


# ---- deep nesting ----


def _nested(depth: int, *, inline_tables: bool = False) -> str:
    if inline_tables:
        return "x = " + "{a = " * depth + "1" + "}" * depth + "\n"
    return "x = " + "[" * depth + "]" * depth + "\n"


@pytest.mark.parametrize("inline_tables", [False, True], ids=["arrays", "inline-tables"])
def test_deep_nesting_is_a_config_error_naming_the_file(
    config_path: Path, inline_tables: bool
) -> None:
    text = _nested(3000, inline_tables=inline_tables) + config_with(1)
    write_private(config_path, text)
    for args in [*READERS, *WRITERS]:
        result = run_duoctl(args, config=config_path)
        where = f"{args}: {result.stderr!r}"
        assert result.returncode == ExitCode.CONFIG, where
        assert f"cannot parse {config_path}" in result.stderr, where
        assert "nested too deeply" in result.stderr, where
    assert config_path.read_text() == text

    doctor = run_duoctl(["doctor", "--json"], config=config_path)
    parse = _config_checks(doctor.stdout)["config.parse"]
    assert parse["status"] == "fail"
    assert "nested too deeply" in parse["detail"]


def test_nesting_tomllib_can_parse_still_loads_and_edits(config_path: Path) -> None:
    text = _nested(50) + config_with(1)
    write_private(config_path, text)
    assert run_duoctl(["provider", "disable", "p0"], config=config_path).returncode == 0
    data = tomllib.loads(config_path.read_text())
    assert data["providers"]["p0"]["enabled"] is False
    assert data["x"] == tomllib.loads(_nested(50))["x"]


# ---- byte-order mark ----


def test_a_config_starting_with_a_bom_is_read(config_path: Path) -> None:
    write_private(config_path, BOM + config_with(2).encode())
    listed = run_duoctl(["provider", "list", "--json"], config=config_path)
    assert listed.returncode == 0, listed.stderr
    names = [p["name"] for p in json.loads(listed.stdout)["data"]["providers"]]
    assert names == ["p0", "p1"]
    assert read_text(config_path) == config_with(2)

    doctor = run_duoctl(["doctor", "--json"], config=config_path)
    assert _config_checks(doctor.stdout)["config.parse"]["status"] == "ok"


def test_an_edit_of_a_bom_file_writes_it_back_without_the_bom(config_path: Path) -> None:
    original = "# kept comment\n" + config_with(1)
    write_private(config_path, BOM + original.encode())

    result = run_duoctl(["provider", "disable", "p0"], config=config_path)

    assert result.returncode == 0, result.stderr
    written = config_path.read_bytes()
    # The documented choice: edits start from the text after the BOM, so it is dropped, and
    # every other byte is the original's.
    assert (
        written
        == original.replace(
            'enabled = true\nendpoint = "api', 'enabled = false\nendpoint = "api'
        ).encode()
    )
    assert tomllib.loads(written.decode())["providers"]["p0"]["enabled"] is False


def test_a_bom_alone_in_the_middle_is_still_an_error(config_path: Path) -> None:
    # Only a leading BOM is a byte-order mark; anywhere else it is a stray character.
    write_private(config_path, config_with(1).encode() + BOM + b"x = 1\n")
    result = run_duoctl(["provider", "list"], config=config_path)
    assert result.returncode == ExitCode.CONFIG
    assert f"cannot parse {config_path}" in result.stderr


def test_not_regular_is_checked_on_the_opened_file(tmp_path: Path) -> None:
    # Unit level: the kinds the console-script tests cannot reach safely.
    with pytest.raises(ConfigError, match="is a directory"):
        read_bytes(tmp_path)
    assert read_bytes(tmp_path / "absent.toml") is None
    fifo = _fifo(tmp_path)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    with pytest.raises(ConfigError, match="a FIFO"):
        read_text(fifo)
