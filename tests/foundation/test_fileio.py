"""The one way duoctl creates private files: 0600 from the first byte, whatever the umask,
and never through a link left where the file goes."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from duoctl.config.locked_write import exclusive_lock
from duoctl.fileio import write_private_new


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)  # the most permissive umask a careless shell could have
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_a_new_private_file_is_0600_even_under_umask_0(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "key.pem"
    write_private_new(path, b"secret")
    assert (_mode(path), path.read_bytes()) == (0o600, b"secret")


def test_a_leftover_is_replaced_and_a_planted_link_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    path = tmp_path / "ca.pem"
    path.symlink_to(victim)
    write_private_new(path, b"new")
    assert not path.is_symlink()
    assert (path.read_bytes(), victim.read_bytes()) == (b"new", b"keep me")


def test_the_config_lock_file_is_created_0600(tmp_path: Path, open_umask: None) -> None:
    config = tmp_path / "config.toml"
    with exclusive_lock(config):
        pass
    assert _mode(tmp_path / "config.toml.lock") == 0o600
