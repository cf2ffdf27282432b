"""Config, keyring and external-MFA checks: one test per failure mode, status and fix."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from duoctl.doctor.checks_local import check_config, check_mfa
from duoctl.doctor.model import GLOBAL_SCOPE, DoctorReport, Status
from duoctl.doctor.runner import Timeouts
from duoctl.emulator import Emulator
from duoctl.errors import CredentialUnreadable, ProviderNotFound, SecretStoreError
from duoctl.secrets import BackendInfo
from duoctl.secrets.memory import MemorySecretStore

from .conftest import emulator_provider, result_of, write_config

Doctor = Callable[..., DoctorReport]
CLIENT_ID = "DIABCDEFGHIJKLMNOPQR"


def g(report: DoctorReport, check_id: str) -> tuple[Status, str, str | None]:
    result = result_of(report, GLOBAL_SCOPE, check_id)
    return result.status, result.detail, result.fix


def test_healthy_local_checks_are_ok(emu_config: Path, doctor: Doctor) -> None:
    report = doctor(emu_config)
    for check_id in (
        "config.found",
        "config.permissions",
        "config.parse",
        "config.schema",
        "config.valid",
        "secrets.backend",
        "secrets.orphans",
        "mfa.enabled",
        "mfa.providers",
    ):
        assert result_of(report, GLOBAL_SCOPE, check_id).status is Status.OK, check_id
    detail = g(report, "mfa.enabled")[1]
    assert "SameSite is Lax" in detail


def test_config_missing_skips_what_needs_it(config_path: Path, doctor: Doctor) -> None:
    report = doctor(config_path)
    status, detail, fix = g(report, "config.found")
    assert status is Status.FAIL
    assert str(config_path) in detail
    assert fix is not None
    assert "duoctl provider add" in fix
    for check_id in ("config.permissions", "config.parse", "config.schema", "config.valid"):
        status, detail, fix = g(report, check_id)
        assert status is Status.SKIPPED
        assert fix == "fix 'Config file' first"
    assert g(report, "mfa.enabled")[0] is Status.SKIPPED
    assert report.providers == ()


def test_config_readable_by_everyone_warns(emu_config: Path, doctor: Doctor) -> None:
    # It holds no secret: a warning, with the fix (issue 9); edits refuse it, though.
    os.chmod(emu_config, 0o644)
    status, detail, fix = g(doctor(emu_config), "config.permissions")
    assert status is Status.WARN
    assert "0644" in detail
    assert fix is not None
    assert f"chmod 600 {emu_config}" in fix


@pytest.mark.parametrize(("mode", "who"), [(0o620, "its group"), (0o602, "others")])
def test_config_writable_by_others_fails(
    emu_config: Path, doctor: Doctor, mode: int, who: str
) -> None:
    os.chmod(emu_config, mode)
    status, detail, fix = g(doctor(emu_config), "config.permissions")
    assert status is Status.FAIL
    assert f"writable by {who}" in detail
    assert fix == f"chmod go-w {emu_config}"


def test_config_readable_by_its_group_is_fine(emu_config: Path, doctor: Doctor) -> None:
    os.chmod(emu_config, 0o640)  # the platform's service reads it through its group
    status, detail, _ = g(doctor(emu_config), "config.permissions")
    assert status is Status.OK
    assert "readable by group" in detail


def test_config_bad_toml_fails_parse(config_path: Path, doctor: Doctor) -> None:
    config_path.write_text("[providers.prod\nendpoint = 1\n")
    os.chmod(config_path, 0o600)
    report = doctor(config_path)
    status, detail, fix = g(report, "config.parse")
    assert status is Status.FAIL
    assert "line 1" in detail
    assert fix is not None
    assert "TOML syntax" in fix
    assert g(report, "config.schema")[0] is Status.SKIPPED
    assert g(report, "config.valid")[0] is Status.SKIPPED


def test_config_newer_schema_fails(config_path: Path, doctor: Doctor) -> None:
    config_path.write_text("schema_version = 2\n")
    os.chmod(config_path, 0o600)
    report = doctor(config_path)
    status, detail, fix = g(report, "config.schema")
    assert status is Status.FAIL
    assert "newer" in detail
    assert fix is not None
    assert "upgrade duoctl" in fix
    assert g(report, "config.valid")[2] == "fix 'Config schema version' first"


def test_config_invalid_value_fails(config_path: Path, doctor: Doctor) -> None:
    config_path.write_text('[providers.prod]\nendpoint = "x"\n')
    os.chmod(config_path, 0o600)
    status, detail, fix = g(doctor(config_path), "config.valid")
    assert status is Status.FAIL
    assert "client_id" in detail
    assert fix


def test_missing_secret_fails_and_skips_credentials(
    emu_config: Path, store: MemorySecretStore, doctor: Doctor
) -> None:
    store.delete("prod")
    report = doctor(emu_config)
    secret = result_of(report, "provider:prod", "secret")
    assert secret.status is Status.FAIL
    assert secret.fix == "store it again: duoctl provider edit prod --rotate-secret"
    for check_id in ("clock", "credentials"):
        result = result_of(report, "provider:prod", check_id)
        assert result.status is Status.SKIPPED
        assert result.detail == "skipped: 'Client Secret' failed"
        assert result.fix == "fix 'Client Secret' first"
    # The network path is still checked: a missing secret says nothing about it.
    assert result_of(report, "provider:prod", "tls").status is Status.OK


def test_malformed_secret_fails(emu_config: Path, store: MemorySecretStore, doctor: Doctor) -> None:
    store.set("prod", "too-short")
    result = result_of(doctor(emu_config), "provider:prod", "secret")
    assert result.status is Status.FAIL
    assert "too-short" not in result.detail  # never echo what is in the keyring
    assert result.fix is not None
    assert "--rotate-secret" in result.fix


def test_orphaned_secret_warns(emu_config: Path, doctor: Doctor) -> None:
    store = MemorySecretStore(backend="keyring", location="duoctl:/etc/x.toml")
    store.set("old-prod", "A" * 40)
    report = doctor(emu_config, secrets=store)
    status, detail, fix = g(report, "secrets.orphans")
    assert status is Status.WARN
    assert "old-prod" in detail
    assert fix is not None
    assert "secret-tool clear service 'duoctl:/etc/x.toml' username old-prod" in fix
    assert result_of(report, GLOBAL_SCOPE, "secrets.orphans").data["orphans"] == ["old-prod"]


def test_disabled_provider_secret_is_not_orphaned(
    config_path: Path, emu: Emulator, store: MemorySecretStore, doctor: Doctor
) -> None:
    write_config(
        config_path,
        {"prod": emulator_provider(emu), "spare": emulator_provider(emu, enabled=False)},
    )
    store.set("prod", emu.client_secret)
    store.set("spare", emu.client_secret)
    assert g(doctor(config_path), "secrets.orphans")[0] is Status.OK


class _Unlistable(MemorySecretStore):
    def names(self) -> list[str] | None:
        return None


def test_unlistable_backend_skips_orphans(emu_config: Path, emu: Emulator, doctor: Doctor) -> None:
    store = _Unlistable()
    store.set("prod", emu.client_secret)
    status, detail, _ = g(doctor(emu_config, secrets=store), "secrets.orphans")
    assert status is Status.SKIPPED
    assert "cannot list" in detail


@pytest.mark.parametrize("kind", ["fail", "null"])
def test_unusable_backend_fails_and_skips_secrets(
    emu_config: Path, kind: str, doctor: Doctor
) -> None:
    report = doctor(emu_config, secrets=MemorySecretStore(kind=kind))
    status, detail, fix = g(report, "secrets.backend")
    assert status is Status.FAIL
    assert kind in detail
    assert fix is not None
    assert "Secret Service" in fix
    assert g(report, "secrets.orphans")[0] is Status.SKIPPED
    secret = result_of(report, "provider:prod", "secret")
    assert secret.status is Status.SKIPPED
    assert secret.fix == "fix 'Secret store' first"


def test_plaintext_backend_warns(emu_config: Path, emu: Emulator, doctor: Doctor) -> None:
    store = MemorySecretStore(kind="plaintext")
    store.set("prod", emu.client_secret)
    report = doctor(emu_config, secrets=store)
    status, detail, fix = g(report, "secrets.backend")
    assert status is Status.WARN
    assert "plain text" in detail
    assert fix is not None
    assert "Secret Service" in fix
    assert result_of(report, "provider:prod", "credentials").status is Status.OK


class _HungStore(MemorySecretStore):
    """A locked keyring that never answers the calls named in ``hang`` (until released)."""

    def __init__(self, *hang: str) -> None:
        super().__init__()
        self.hang = set(hang)
        self.release = threading.Event()
        self.calls: list[str] = []

    def _maybe_hang(self, call: str) -> None:
        self.calls.append(call)
        if call in self.hang:
            self.release.wait(30)

    def backend(self) -> BackendInfo:
        self._maybe_hang("backend")
        return super().backend()

    def get(self, name: str) -> str | None:
        self._maybe_hang("get")
        return super().get(name)


@pytest.fixture
def hung_store() -> Iterator[Callable[..., _HungStore]]:
    made: list[_HungStore] = []

    def make(*hang: str) -> _HungStore:
        made.append(_HungStore(*hang))
        return made[-1]

    yield make
    for store in made:
        store.release.set()  # let the abandoned worker threads finish


def test_hung_keyring_backend_is_bounded(
    emu_config: Path, doctor: Doctor, hung_store: Callable[..., _HungStore]
) -> None:
    report = doctor(emu_config, secrets=hung_store("backend"), timeouts=Timeouts(keyring=0.5))
    status, detail, fix = g(report, "secrets.backend")
    assert status is Status.FAIL
    assert "did not answer within 0.5 s" in detail
    assert fix is not None
    assert "unlock" in fix


def test_hung_keyring_is_asked_once(
    config_path: Path, emu: Emulator, doctor: Doctor, hung_store: Callable[..., _HungStore]
) -> None:
    write_config(config_path, {"a": emulator_provider(emu), "b": emulator_provider(emu)})
    store = hung_store("get")
    report = doctor(config_path, secrets=store, timeouts=Timeouts(keyring=0.5))
    # The store's silence is the store's failure, reported once; both secrets wait on it.
    status, detail, fix = g(report, "secrets.backend")
    assert status is Status.FAIL
    assert "did not answer" in detail
    assert "for provider 'a'" in detail
    assert fix is not None
    assert "unlock" in fix
    for name in ("a", "b"):
        secret = result_of(report, f"provider:{name}", "secret")
        assert secret.status is Status.SKIPPED
        assert secret.detail == "skipped: 'Secret store' failed"
        assert secret.fix == "fix 'Secret store' first"
    assert g(report, "secrets.orphans")[0] is Status.SKIPPED
    assert [r.id for r in report.results if r.status is Status.FAIL] == ["secrets.backend"]
    assert store.calls.count("get") == 1


def test_external_mfa_off_fails(
    config_path: Path, emu: Emulator, store: MemorySecretStore, doctor: Doctor
) -> None:
    write_config(config_path, {"prod": emulator_provider(emu)}, mfa=False)
    store.set("prod", emu.client_secret)
    status, detail, fix = g(doctor(config_path), "mfa.enabled")
    assert status is Status.FAIL
    assert "Strict" in detail
    assert fix is not None
    assert fix.startswith("duoctl mfa enable")
    assert "Lax" in fix


def test_no_enabled_provider_fails(config_path: Path, emu: Emulator, doctor: Doctor) -> None:
    write_config(config_path, {"prod": emulator_provider(emu, enabled=False)})
    report = doctor(config_path)
    status, _, fix = g(report, "mfa.providers")
    assert status is Status.FAIL
    assert fix is not None
    assert "duoctl provider add" in fix
    assert report.providers == ()


def test_named_disabled_provider_is_checked_with_a_warning(
    config_path: Path, emu: Emulator, store: MemorySecretStore, doctor: Doctor
) -> None:
    write_config(
        config_path,
        {"prod": emulator_provider(emu), "spare": emulator_provider(emu, enabled=False)},
    )
    store.set("spare", emu.client_secret)
    report = doctor(config_path, names=("spare",))
    assert report.providers == ("spare",)
    enabled = result_of(report, "provider:spare", "enabled")
    assert enabled.status is Status.WARN
    assert enabled.fix == "duoctl provider enable spare"
    assert result_of(report, "provider:spare", "credentials").status is Status.OK


def test_unknown_named_provider_raises(emu_config: Path, doctor: Doctor) -> None:
    with pytest.raises(ProviderNotFound):
        doctor(emu_config, names=("nope",))


class _Refusing(MemorySecretStore):
    """Raises ``error`` for the providers named in ``bad`` (all of them when empty)."""

    def __init__(self, error: SecretStoreError, *bad: str) -> None:
        super().__init__()
        self.error, self.bad = error, set(bad)

    def get(self, name: str) -> str | None:
        if not self.bad or name in self.bad:
            raise self.error
        return super().get(name)


def test_a_locked_store_fails_once_on_the_secret_store_row(
    config_path: Path, emu: Emulator, doctor: Doctor
) -> None:
    write_config(config_path, {"a": emulator_provider(emu), "b": emulator_provider(emu)})
    locked = SecretStoreError(
        "the OS keyring is locked; cannot read the client secret", hint="unlock"
    )
    report = doctor(config_path, secrets=_Refusing(locked))
    assert [(r.scope, r.id) for r in report.results if r.status is Status.FAIL] == [
        (GLOBAL_SCOPE, "secrets.backend")
    ]
    _, detail, fix = g(report, "secrets.backend")
    assert detail.startswith("the OS keyring is locked")
    assert "for provider 'a'" in detail
    assert fix == "unlock"
    assert result_of(report, "provider:b", "secret").data == {"needs": "secrets.backend"}


def test_a_damaged_entry_is_that_providers_failure_only(
    config_path: Path, emu: Emulator, doctor: Doctor
) -> None:
    write_config(config_path, {"a": emulator_provider(emu), "b": emulator_provider(emu)})
    store = _Refusing(CredentialUnreadable("cannot decrypt the secret of 'a'"), "a")
    store.set("b", emu.client_secret)
    report = doctor(config_path, secrets=store)
    assert g(report, "secrets.backend")[0] is Status.OK
    assert result_of(report, "provider:a", "secret").status is Status.FAIL
    assert result_of(report, "provider:b", "secret").status is Status.OK
    assert result_of(report, "provider:b", "credentials").status is Status.OK


@pytest.mark.parametrize(
    ("mfa", "providers", "expected", "statuses"),
    [
        (False, True, False, (Status.FAIL, Status.OK)),
        (False, True, True, (Status.OK, Status.OK)),
        (False, False, True, (Status.OK, Status.OK)),
        (False, False, False, (Status.FAIL, Status.FAIL)),
        (True, True, True, (Status.WARN, Status.OK)),
        (True, True, False, (Status.OK, Status.OK)),
    ],
)
def test_mfa_verdicts_follow_the_stated_expectation(
    config_path: Path,
    emu: Emulator,
    mfa: bool,
    providers: bool,
    expected: bool,
    statuses: tuple[Status, Status],
) -> None:
    write_config(config_path, {"prod": emulator_provider(emu)} if providers else {}, mfa=mfa)
    config = check_config(config_path).config
    results = check_mfa(config, disabled_expected=expected)
    assert [r.id for r in results][:2] == ["mfa.enabled", "mfa.providers"]
    assert tuple(r.status for r in results[:2]) == statuses
