"""Durability: every atomic write fsyncs the new file before the rename and the directory
after it, so that a power cut leaves the old file or the new one, never an empty one.

A kill -9 test cannot see a missing fsync (the page cache survives the process), so these
watch the calls themselves: in process, by recording ``os.fsync``/``os.replace``/``os.link``
while still calling them; and from outside, by running the console script under strace, which
sees the system calls whatever Python code makes them.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from duoctl import fileio
from foundation.helpers import (
    CLIENT_ID,
    DUOCTL,
    ENDPOINT,
    PROCESS_TIMEOUT_S,
    SECRET,
    add_args,
    child_env,
    write_private,
)
from support.real_components import require_real


@dataclass(frozen=True)
class Call:
    name: str
    paths: tuple[str, ...]
    content: bytes | None = None  # for a file fsync: what the file held when it was synced


def _fd_path(fd: int) -> str:
    return os.readlink(f"/proc/self/fd/{fd}")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    """Record fsync, replace and link in order, each still doing its real work."""
    recorded: list[Call] = []
    real_fsync, real_replace, real_link = os.fsync, os.replace, os.link

    def fsync(fd: int) -> None:
        path = _fd_path(fd)
        content = None if os.path.isdir(path) else Path(path).read_bytes()
        recorded.append(Call("fsync", (path,), content))
        real_fsync(fd)

    def replace(src: Any, dst: Any, **kwargs: Any) -> None:
        real_replace(src, dst, **kwargs)
        recorded.append(Call("replace", (str(src), str(dst))))

    def link(src: Any, dst: Any, **kwargs: Any) -> None:
        real_link(src, dst, **kwargs)
        recorded.append(Call("link", (str(src), str(dst))))

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "link", link)
    return recorded


def _assert_synced_around(calls: list[Call], verb: str, target: Path, data: bytes) -> None:
    [moves] = [i for i, c in enumerate(calls) if c.name == verb and c.paths[1] == str(target)]
    temp = calls[moves].paths[0]
    assert Path(temp).parent == target.parent  # same directory: the rename is atomic
    before = [c for c in calls[:moves] if c.name == "fsync" and c.paths == (temp,)]
    assert before, f"the temp file was not fsynced before the {verb}: {calls}"
    assert before[-1].content == data, "fsynced before the data was written"
    after = [c for c in calls[moves + 1 :] if c.name == "fsync"]
    assert (str(target.parent),) in [c.paths for c in after], (
        f"the directory was not fsynced after the {verb}: {calls}"
    )


def test_replace_atomically_syncs_the_file_before_and_the_directory_after(
    tmp_path: Path, calls: list[Call]
) -> None:
    target = tmp_path / "config.toml"
    target.write_bytes(b"old\n")

    fileio.replace_atomically(target, b"new\n")

    assert target.read_bytes() == b"new\n"
    _assert_synced_around(calls, "replace", target, b"new\n")


def test_create_exclusively_syncs_the_file_before_and_the_directory_after(
    tmp_path: Path, calls: list[Call]
) -> None:
    target = tmp_path / "secret"

    fileio.create_exclusively(target, b"s3cret\n")

    assert target.read_bytes() == b"s3cret\n"
    _assert_synced_around(calls, "link", target, b"s3cret\n")


# ---- the console script under strace ----------------------------------------------------------

STRACE = shutil.which("strace")
_LINE = re.compile(r"^\d+\s+(?P<call>\w+)\((?P<args>.*)\)\s+=\s+(?P<ret>-?\d+)")
_FD_PATH = re.compile(r"^\d+<(?P<path>[^>]*)>")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _strace_available() -> tuple[bool, str]:
    if STRACE is None:
        return False, "strace not found (Debian package: strace)"
    probe = subprocess.run(
        [STRACE, "-qq", "-o", os.devnull, "true"], capture_output=True, check=False, timeout=30
    )
    if probe.returncode != 0:
        return False, f"strace cannot trace here: {probe.stderr.decode(errors='replace')}"
    return True, ""


def _traced_calls(log: Path) -> list[Call]:
    traced: list[Call] = []
    for line in log.read_text().splitlines():
        match = _LINE.match(line)
        if match is None or match["ret"] != "0":
            continue
        call, args = match["call"], match["args"]
        if call in {"fsync", "fdatasync"}:
            fd = _FD_PATH.match(args)
            if fd is not None:
                traced.append(Call("fsync", (fd["path"],)))
        elif call in {"rename", "renameat", "renameat2", "link", "linkat"}:
            names = tuple(_QUOTED.findall(args))
            verb = "link" if call.startswith("link") else "replace"
            traced.append(Call(verb, names[:2]))
    return traced


def _assert_traced_around(calls: list[Call], target: Path) -> None:
    [moves] = [i for i, c in enumerate(calls) if c.name == "replace" and c.paths[1] == str(target)]
    temp = calls[moves].paths[0]
    assert any(c.name == "fsync" and c.paths == (temp,) for c in calls[:moves]), calls
    assert any(
        c.name == "fsync" and c.paths == (str(target.parent),) for c in calls[moves + 1 :]
    ), calls


def test_provider_add_fsyncs_config_and_credential_around_each_rename(tmp_path: Path) -> None:
    require_real("strace", *_strace_available())
    assert STRACE is not None
    config = tmp_path / "cfg" / "config.toml"
    write_private(config, "schema_version = 1\n")
    passphrase = tmp_path / "passphrase"
    write_private(passphrase, "correct horse battery staple\n")
    log = tmp_path / "strace.log"
    env = child_env(
        config,
        extra={
            "DUOCTL_SECRET_BACKEND": "encrypted-file",
            "DUOCTL_STORE_PASSPHRASE_FILE": str(passphrase),
        },
    )

    result = subprocess.run(
        [
            STRACE,
            "-f",
            "-qq",
            "-y",
            "-e",
            "trace=fsync,fdatasync,rename,renameat,renameat2,link,linkat",
            "-o",
            str(log),
            DUOCTL,
            *add_args("prod", cid=CLIENT_ID, endpoint=ENDPOINT),
        ],
        input=SECRET + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=PROCESS_TIMEOUT_S,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    [credential] = list(config.parent.glob("credentials/*/prod.enc"))
    traced = _traced_calls(log)
    _assert_traced_around(traced, config)
    _assert_traced_around(traced, credential)


# ---- what the new file is: mode and owner from its first byte ---------------------------------


def test_replace_atomically_creates_0600_by_default(tmp_path: Path) -> None:
    target = tmp_path / "secret"
    target.write_bytes(b"old\n")
    target.chmod(0o644)

    fileio.replace_atomically(target, b"new\n")

    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o640, 0o400, 0o600])
def test_replace_atomically_gives_the_mode_asked_for(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "config.toml"

    fileio.replace_atomically(target, b"x = 1\n", mode=0o100000 | mode)

    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert target.read_bytes() == b"x = 1\n"


def test_replace_atomically_gives_the_owner_asked_for(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file away")
    target = tmp_path / "config.toml"
    nobody = (65534, 65534)

    fileio.replace_atomically(target, b"x = 1\n", mode=0o640, owner=nobody)

    info = target.stat()
    assert (info.st_uid, info.st_gid) == nobody
    assert stat.S_IMODE(info.st_mode) == 0o640


def test_replace_atomically_keeps_our_own_owner(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"

    fileio.replace_atomically(target, b"x = 1\n", owner=(os.geteuid(), os.getegid()))

    info = target.stat()
    assert (info.st_uid, info.st_gid) == (os.geteuid(), os.getegid())


def test_no_temp_file_is_left_behind(tmp_path: Path) -> None:
    directory = tmp_path / "files"
    directory.mkdir()
    fileio.replace_atomically(directory / "config.toml", b"a\n")
    fileio.create_exclusively(directory / "other", b"b\n")

    assert sorted(p.name for p in directory.iterdir()) == ["config.toml", "other"]


def test_create_exclusively_refuses_an_existing_file(tmp_path: Path) -> None:
    directory = tmp_path / "files"
    directory.mkdir()
    target = directory / "secret"
    target.write_bytes(b"first\n")

    with pytest.raises(FileExistsError):
        fileio.create_exclusively(target, b"second\n")

    assert target.read_bytes() == b"first\n"
    assert [p.name for p in directory.iterdir()] == ["secret"]


def test_a_failed_replace_leaves_no_temp_file(tmp_path: Path) -> None:
    directory = tmp_path / "files"
    directory.mkdir()
    (directory / "target").mkdir()  # os.replace of a file over a directory fails

    with pytest.raises(IsADirectoryError):
        fileio.replace_atomically(directory / "target", b"x\n")

    assert [p.name for p in directory.iterdir()] == ["target"]


@pytest.mark.parametrize("write", [fileio.replace_atomically, fileio.create_exclusively])
def test_a_planted_temp_name_is_never_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write: Any
) -> None:
    # In a directory another user can write to, an attacker who guesses (or races) the temp
    # name plants a symlink there: without O_EXCL the open would follow it and write our
    # data into the file it names. The random name makes guessing hard; O_EXCL makes it
    # harmless. The seam fixes the name so the test can plant it.
    directory = tmp_path / "files"
    directory.mkdir()
    victim = tmp_path / "victim"
    victim.write_bytes(b"the attacker's target\n")
    planted = directory / ".config.toml.planted.tmp"
    planted.symlink_to(victim)
    monkeypatch.setattr(fileio, "temp_name", lambda path: planted)

    with pytest.raises(FileExistsError):
        write(directory / "config.toml", b"secret = 1\n")

    assert victim.read_bytes() == b"the attacker's target\n"
    assert not (directory / "config.toml").exists()


def test_a_failed_replace_reports_its_own_error_even_if_the_temp_file_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The clean-up of the temp file must never hide why the write failed: here the rename
    # fails after something removed the temp file, so the clean-up's unlink fails too.
    def rename_fails(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        os.unlink(src)
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(os, "replace", rename_fails)
    with pytest.raises(PermissionError):
        fileio.replace_atomically(tmp_path / "config.toml", b"x\n")


def test_a_lost_create_race_reports_file_exists_even_if_the_temp_file_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def link_loses(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        os.unlink(src)
        raise FileExistsError(17, "File exists", str(dst))

    monkeypatch.setattr(os, "link", link_loses)
    with pytest.raises(FileExistsError):
        fileio.create_exclusively(tmp_path / "key", b"x\n")
