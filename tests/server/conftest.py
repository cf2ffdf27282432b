"""Fixtures for the headless-server suite: the emulator, root with systemd-creds, a plain user."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from duoctl.emulator import EmulatedUser, Emulator, Outcome
from duoctl.secrets.systemd_creds import find_binary
from server.helpers import PLAIN_USER, can_run_as, user_dir
from support.real_components import require_real


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    with Emulator([EmulatedUser("alice", Outcome.APPROVE)], state_dir=tmp_path / "emu") as emu:
        yield emu


@pytest.fixture
def root_with_systemd_creds() -> None:
    """Root, and the real systemd-creds (CI installs systemd when it is missing)."""
    require_real("root", os.geteuid() == 0, "the systemd-creds leg runs as root")
    require_real(
        "systemd-creds", find_binary() is not None, "systemd-creds not found (Debian: systemd)"
    )


@pytest.fixture
def plain_user_home() -> Iterator[Path]:
    """A home directory owned by an unprivileged user who can run this checkout's duoctl."""
    require_real(f"user {PLAIN_USER}", *can_run_as(PLAIN_USER))
    yield from user_dir(PLAIN_USER)
