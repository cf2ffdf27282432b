"""Fixtures for the Admin API console tests: an emulator serving Duo's Admin API in this
process, and `duoctl admin login` run for real, its secret key in the real Secret Service."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from duoctl.emulator import EmulatedUser, Emulator, Outcome
from duoctl.errors import DuoctlError
from support.real_components import require_real, secret_service_available
from testlogin.helpers import Run, duoctl_env, run_duoctl


@dataclass(frozen=True)
class Admin:
    emulator: Emulator
    config: Path
    env: dict[str, str]

    def run(self, *args: str | Path, input: str | None = None) -> Run:
        return run_duoctl("--config", self.config, *args, input=input, env=self.env)

    def login(self, skey: str | None = None, *extra: str) -> Run:
        emu = self.emulator
        return self.run(
            "admin",
            "login",
            "--host",
            emu.api_host,
            "--ikey",
            emu.admin_ikey,
            "--ca-bundle",
            emu.ca_bundle,
            "--skey-stdin",
            *extra,
            input=(skey if skey is not None else emu.admin_skey) + "\n",
        )

    def outputs(self, *runs: Run) -> str:
        """Everything duoctl wrote that a secret must never be in."""
        texts = [r.stdout + r.stderr for r in runs]
        for path in self.config.parent.glob("*"):
            if path.is_file():
                texts.append(path.read_text(errors="replace"))
        return "\n".join(texts)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    users = [EmulatedUser("alice", Outcome.APPROVE, delay=0)]
    with Emulator(users, state_dir=tmp_path / "emulator") as emu:
        yield emu


def admin_for(emulator: Emulator, tmp_path: Path, env: dict[str, str]) -> Iterator[Admin]:
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    yield Admin(emulator, config, env)
    from duoctl.admin.credentials import SKEY_ENTRY
    from duoctl.secrets.keyring_store import KeyringSecretStore

    # The keyring is shared by the whole run; leave no item behind (best effort).
    with contextlib.suppress(DuoctlError):
        store = KeyringSecretStore(config)
        for name in [SKEY_ENTRY, "_audit-fingerprint-key", *(store.names() or [])]:
            store.delete(name)


@pytest.fixture
def admin(emulator: Emulator, tmp_path: Path) -> Iterator[Admin]:
    """An admin whose secrets go to the real Secret Service; not logged in yet."""
    require_real("Secret Service", *secret_service_available())
    yield from admin_for(emulator, tmp_path, duoctl_env())


@pytest.fixture
def logged_in(admin: Admin) -> Admin:
    result = admin.login()
    assert result.code == 0, result.stderr
    return admin
