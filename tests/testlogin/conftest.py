"""Fixtures for the test-login suite: an emulator in this process, and a provider for it
whose Client Secret lives in the real Secret Service, so the ``duoctl`` subprocess reads it
exactly as it would on an operator's machine."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from duoctl.emulator import EmulatedUser, Emulator, Outcome
from duoctl.errors import DuoctlError
from support.real_components import require_real, secret_service_available
from testlogin.helpers import Run, run_duoctl

PROVIDER = "emu"

USERS = [
    EmulatedUser("alice", Outcome.APPROVE),
    EmulatedUser("bob", Outcome.DENY),
    EmulatedUser("fred", Outcome.FRAUD),
    EmulatedUser("lou", Outcome.LOCKOUT),
    EmulatedUser("tim", Outcome.TIMEOUT),  # the emulator holds the prompt: no redirect
]


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    # A state dir of our own: the CA bundle outlives stop(), as the "emulator down" test needs.
    with Emulator(USERS, state_dir=tmp_path / "emulator") as emu:
        yield emu


@pytest.fixture
def real_secret_service() -> None:
    require_real("Secret Service", *secret_service_available())


@dataclass(frozen=True)
class Provider:
    emulator: Emulator
    config: Path
    name: str = PROVIDER

    def test_login(
        self,
        *extra: str,
        username: str = "alice",
        browser: str = "follow",
        env: dict[str, str] | None = None,
    ) -> Run:
        return run_duoctl(
            "--config",
            self.config,
            "test-login",
            self.name,
            "--username",
            username,
            "--browser",
            browser,
            *extra,
            env=env,
        )


def add_provider_via_cli(
    emulator: Emulator,
    config: Path,
    name: str = PROVIDER,
    *extra: str,
    env: dict[str, str] | None = None,
) -> None:
    # An explicit --config is created only in a directory that exists (a typo must not
    # make one appear): the operator's mkdir, done here.
    config.parent.mkdir(parents=True, exist_ok=True)
    result = run_duoctl(
        "--config",
        config,
        "provider",
        "add",
        name,
        "--endpoint",
        emulator.api_host,
        "--client-id",
        emulator.client_id,
        "--ca-bundle",
        emulator.ca_bundle,
        "--client-secret-stdin",
        *extra,
        input=emulator.client_secret + "\n",
        env=env,
    )
    assert result.code == 0, result.stderr
    assert "secret stored in the OS keyring" in result.stderr


@pytest.fixture
def provider(real_secret_service: None, emulator: Emulator, tmp_path: Path) -> Iterator[Provider]:
    """``duoctl provider add`` run for real: config in tmp_path, secret in the Secret Service."""
    config = tmp_path / "config" / "config.toml"
    add_provider_via_cli(emulator, config)
    yield Provider(emulator, config)
    from duoctl.secrets.keyring_store import KeyringSecretStore

    # The keyring is shared by the whole run; leave no item behind (best effort).
    with contextlib.suppress(DuoctlError):
        KeyringSecretStore(config).delete(PROVIDER)
