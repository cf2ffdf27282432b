"""Fixtures for doctor's tests: a real emulator, a config file pointing at it, an in-memory
keyring, and dependencies that keep every name lookup and connection on loopback."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from duoctl.doctor.model import CheckResult, DoctorReport
from duoctl.doctor.runner import DoctorDeps, Timeouts, run_doctor
from duoctl.emulator import EmulatedUser, Emulator
from duoctl.secrets.memory import MemorySecretStore

PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)
# Short per-step limits: the failure-mode tests need the bound, not the production values.
FAST = Timeouts(dns=2.0, connect=2.0, tls=1.0, health=2.0, keyring=2.0, overall=8.0)
# The bound on hangs, enforced by pytest-timeout rather than by timing each run: a doctor
# test (fixtures included) that takes longer fails with every thread's stack. FAST.overall
# plus room for a loaded CI machine; how long doctor takes is for bench/, not for tests.
DOCTOR_TEST_TIMEOUT_S = 30


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(DOCTOR_TEST_TIMEOUT_S))


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch) -> None:
    # The health check goes through requests, which reads the real environment: a proxy
    # variable on the test machine must not route emulator traffic anywhere.
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("DUOCTL_CONFIG", raising=False)


def loopback_resolver(host: str, port: int) -> list[str]:
    """Resolves loopback names only: no test can look up a real external name."""
    known = {"localhost": ["127.0.0.1"], "127.0.0.1": ["127.0.0.1"], "::1": ["::1"]}
    if host in known:
        return known[host]
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator([EmulatedUser("alice")]) as emulator:
        yield emulator


@pytest.fixture
def store() -> MemorySecretStore:
    return MemorySecretStore()


def write_config(
    path: Path,
    providers: dict[str, dict[str, Any]],
    *,
    mfa: bool = True,
    mode: int = 0o600,
) -> Path:
    lines = ["schema_version = 1", "", "[external_mfa]", f"enabled = {str(mfa).lower()}"]
    # A failmode chosen, as 'mfa enable' makes an operator do: unset would warn.
    lines += ['failmode = "closed"', ""] if mfa else [""]
    for name, values in providers.items():
        lines.append(f'[providers."{name}"]')
        for key, value in values.items():
            rendered = str(value).lower() if isinstance(value, bool) else f'"{value}"'
            lines.append(f"{key} = {rendered}")
        lines.append("")
    path.write_text("\n".join(lines))
    os.chmod(path, mode)
    return path


def emulator_provider(emu: Emulator, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "endpoint": emu.api_host,
        "client_id": emu.client_id,
        "ca_bundle": str(emu.ca_bundle),
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def healthy_providers(path: Path, emu: Emulator, store: MemorySecretStore, *names: str) -> Path:
    """A config of ``names``, each a provider on the emulator with its secret stored."""
    write_config(path, {name: emulator_provider(emu) for name in names})
    for name in names:
        store.set(name, emu.client_secret)
    return path


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "config.toml"


@pytest.fixture
def emu_config(config_path: Path, emu: Emulator, store: MemorySecretStore) -> Path:
    """A healthy setup: one provider ``prod`` on the emulator, its secret stored, MFA on."""
    write_config(config_path, {"prod": emulator_provider(emu)})
    store.set("prod", emu.client_secret)
    return config_path


def make_deps(store: MemorySecretStore, **overrides: Any) -> DoctorDeps:
    values: dict[str, Any] = {
        "secrets": store,
        "resolver": loopback_resolver,
        "environ": {},
        "timeouts": FAST,
    }
    values.update(overrides)
    return DoctorDeps(**values)


@pytest.fixture
def doctor(store: MemorySecretStore) -> Callable[..., DoctorReport]:
    """``doctor(config_path, names=(), **deps_overrides)`` -> the report.

    A failure mode that hangs doctor fails its test through DOCTOR_TEST_TIMEOUT_S.
    """

    def run(path: Path, names: tuple[str, ...] = (), **overrides: Any) -> DoctorReport:
        return run_doctor(path, make_deps(store, **overrides), names)

    return run


def result_of(report: DoctorReport, scope: str, check_id: str) -> CheckResult:
    """The one result for ``(scope, check_id)``; a missing or repeated one fails the test."""
    found = [r for r in report.results if r.scope == scope and r.id == check_id]
    assert len(found) == 1, (scope, check_id, found)
    return found[0]
