"""Which store serves a config: the variable, the config, then auto's order."""

from __future__ import annotations

from pathlib import Path

import pytest

from duoctl.errors import SecretStoreError
from duoctl.paths import credentials_dir
from duoctl.secrets import BackendInfo
from duoctl.secrets.select import StoreSettings, choose

SECURE = BackendInfo("keyring.backends.SecretService.Keyring", "secure")
FAILING = BackendInfo("keyring.backends.fail.Keyring", "fail")
PLAIN = BackendInfo("keyrings.alt.file.PlaintextKeyring", "plaintext")


def _keyring(info: BackendInfo):  # type: ignore[no-untyped-def]
    return lambda _timeout: info


def _systemd(reason: str | None):  # type: ignore[no-untyped-def]
    return lambda _key, _env: reason


def _never(*_args: object) -> BackendInfo:
    raise AssertionError("the keyring must not be probed for the system config")


@pytest.fixture
def settings(tmp_path: Path) -> StoreSettings:
    return StoreSettings(tmp_path / "config.toml")


def test_variable_beats_config(settings: StoreSettings) -> None:
    configured = settings._replace(backend="keyring")
    got = choose(configured, {"DUOCTL_SECRET_BACKEND": "encrypted-file"}, 1.0)
    assert (got.backend, got.why) == ("encrypted-file", "DUOCTL_SECRET_BACKEND")
    got = choose(configured, {}, 1.0)
    assert got.backend == "keyring"
    assert got.why.startswith("[secrets] backend in ")


def test_unknown_variable_value_is_an_error(settings: StoreSettings) -> None:
    with pytest.raises(SecretStoreError, match="not a secret store") as caught:
        choose(settings, {"DUOCTL_SECRET_BACKEND": "vault"}, 1.0)
    assert "systemd-creds" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("keyring", "systemd", "expected"),
    [
        (SECURE, None, "keyring"),
        (SECURE, "not installed", "keyring"),
        (FAILING, None, "systemd-creds"),
        (PLAIN, None, "systemd-creds"),  # plain text is never chosen without the opt-in
    ],
)
def test_auto_order_for_a_user_config(
    settings: StoreSettings, keyring: BackendInfo, systemd: str | None, expected: str
) -> None:
    got = choose(
        settings, {}, 1.0, keyring_probe=_keyring(keyring), systemd_probe=_systemd(systemd)
    )
    assert got.backend == expected
    assert got.why.startswith("auto: ")


def test_auto_takes_plaintext_keyring_only_with_the_opt_in(settings: StoreSettings) -> None:
    env = {"DUOCTL_ALLOW_PLAINTEXT_KEYRING": "1"}
    got = choose(settings, env, 1.0, keyring_probe=_keyring(PLAIN), systemd_probe=_systemd(None))
    assert got.backend == "keyring"


def test_auto_with_nothing_usable_lists_every_way_forward(settings: StoreSettings) -> None:
    with pytest.raises(SecretStoreError) as caught:
        choose(
            settings,
            {},
            1.0,
            keyring_probe=_keyring(FAILING),
            systemd_probe=_systemd("the systemd host key is not readable by uid 1000"),
        )
    err = caught.value
    assert "no usable secret store" in err.message
    assert "keyring.backends.fail.Keyring is fail" in err.message
    assert "not readable by uid 1000" in err.message
    hint = err.hint or ""
    for way in (
        "(1) run duoctl as root",
        "(2) as any user: set DUOCTL_SECRET_BACKEND=encrypted-file",
        "DUOCTL_STORE_PASSPHRASE_FILE",
        "(3) on a desktop",
        "(4) last resort",
        "DUOCTL_ALLOW_PLAINTEXT_KEYRING=1",
    ):
        assert way in hint


def test_system_config_never_uses_a_personal_keyring(settings: StoreSettings) -> None:
    system = settings._replace(system=True)
    got = choose(system, {}, 1.0, keyring_probe=_never, systemd_probe=_systemd(None))
    assert got.backend == "systemd-creds"
    with pytest.raises(SecretStoreError) as caught:
        choose(system, {}, 1.0, keyring_probe=_never, systemd_probe=_systemd("not installed"))
    assert "not used for the system config" in caught.value.message
    assert "desktop" not in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("suffix", "backend"), [(".cred", "systemd-creds"), (".enc", "encrypted-file")]
)
def test_a_secret_stays_in_the_backend_that_holds_it(
    settings: StoreSettings, suffix: str, backend: str
) -> None:
    # Even with a usable keyring: files already there mean that backend holds the secrets.
    directory = credentials_dir(settings.config_path, system=False)
    directory.mkdir(parents=True)
    (directory / f"prod{suffix}").write_bytes(b"x")
    (directory / f".prod{suffix}.0123456789ab.tmp").write_bytes(b"x")
    got = choose(settings, {}, 1.0, keyring_probe=_keyring(SECURE), systemd_probe=_systemd(None))
    assert got.backend == backend
    assert str(directory) in got.why


def test_only_temp_files_do_not_count(settings: StoreSettings) -> None:
    directory = credentials_dir(settings.config_path, system=False)
    directory.mkdir(parents=True)
    (directory / ".prod.cred.0123456789ab.tmp").write_bytes(b"x")
    got = choose(settings, {}, 1.0, keyring_probe=_keyring(SECURE), systemd_probe=_systemd(None))
    assert got.backend == "keyring"
