"""The encrypted-file store's on-disk format and its exact messages, in process.

A known-answer vector (a key file and a credential written by this version, with the test
passphrase) must stay readable by every later version: changing the AEAD's associated data,
the magic, the KDF or its parameters would strand every stored secret. The messages are
what an operator reads when a store breaks, so they are asserted whole.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from duoctl.errors import CredentialUnreadable, SecretStoreError
from duoctl.paths import credentials_dir
from duoctl.secrets import BackendInfo, StoreProblem
from duoctl.secrets.encrypted_file import EncryptedFileStore

PASSPHRASE = "correct horse battery staple"
SECRET = "Sb3cretSecretSecretSecretSecretSecret001"
# Written by duoctl 0.1.0 (format duoctl-encrypted-file-1) for provider "prod".
VECTOR_KEY_FILE = {
    "format": "duoctl-encrypted-file-1",
    "kdf": "scrypt",
    "n": 131072,
    "r": 8,
    "p": 1,
    "salt": "LS5y4KPOXehfy90AuNMnqg==",
    "check": "llb0cTGU8+FwxLFt3DdNXl5LNF0lWH84TuX3qzDXgUZHu36zSJ8hUIMjje5KOeSEj2kW",
}
VECTOR_PROD = (
    "RENFMRa0pQLXB0Df9HQ2aoylSoN5FDM7j1UAsSegGdVixDmxKtVTeWOViLLeY0UPeL1qBx87Wnu9F8rZ2/A5qVMHYO81"
    "HaGS"
)


def _store(tmp_path: Path, passphrase: str = PASSPHRASE) -> EncryptedFileStore:
    return EncryptedFileStore(tmp_path / "config.toml", passphrase=lambda _confirm: passphrase)


def _plant_vector(store: EncryptedFileStore, key_file: dict[str, object]) -> None:
    store.files.directory.mkdir(parents=True, mode=0o700)
    store.key_file.write_text(json.dumps(key_file))
    store.files.file_for("prod").write_bytes(base64.b64decode(VECTOR_PROD))
    for path in (store.key_file, store.files.file_for("prod")):
        path.chmod(0o600)


def test_a_store_written_by_this_version_stays_readable(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _plant_vector(store, VECTOR_KEY_FILE)
    assert store.get("prod") == SECRET


def test_the_vector_under_another_name_is_refused(tmp_path: Path) -> None:
    # The provider's name is bound into the ciphertext (AEAD associated data).
    store = _store(tmp_path)
    _plant_vector(store, VECTOR_KEY_FILE)
    store.files.file_for("prod").rename(store.files.file_for("staging"))
    path = store.files.file_for("staging")
    with pytest.raises(CredentialUnreadable) as info:
        store.get("staging")
    assert info.value.message == (
        f"the credential file {path} of provider 'staging' cannot be decrypted: it is "
        "damaged (truncated or corrupted) or belongs to another provider"
    )
    assert info.value.hint == (
        "restore it, or store the secret again: duoctl provider edit staging --rotate-secret"
    )


def test_a_new_key_file_has_the_documented_parameters(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.set("prod", SECRET)
    doc = json.loads(store.key_file.read_text())
    assert {k: doc[k] for k in ("format", "kdf", "n", "r", "p")} == {
        "format": "duoctl-encrypted-file-1",
        "kdf": "scrypt",
        "n": 2**17,
        "r": 8,
        "p": 1,
    }
    assert len(base64.b64decode(doc["salt"])) == 16
    assert store.files.directory == credentials_dir(tmp_path / "config.toml", system=False)


@pytest.mark.parametrize(
    "change", [{"format": "duoctl-encrypted-file-9"}, {"kdf": "argon2id"}, {"n": "many"}]
)
def test_a_key_file_of_another_format_or_kdf_is_damaged(
    tmp_path: Path, change: dict[str, str]
) -> None:
    store = _store(tmp_path)
    _plant_vector(store, {**VECTOR_KEY_FILE, **change})
    with pytest.raises(SecretStoreError) as info:
        store.get("prod")
    assert info.value.message == f"the key file {store.key_file} is damaged"
    assert info.value.hint == "restore it from a backup, or store each secret again"


def test_an_unreadable_key_file_says_why(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _plant_vector(store, VECTOR_KEY_FILE)
    store.key_file.unlink()
    store.key_file.mkdir()
    with pytest.raises(SecretStoreError) as info:
        store.get("prod")
    assert info.value.message == f"cannot read {store.key_file}: Is a directory"


def test_a_missing_key_file_message_and_doctor_finding(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _plant_vector(store, VECTOR_KEY_FILE)
    store.key_file.unlink()
    with pytest.raises(SecretStoreError) as info:
        store.get("prod")
    assert info.value.message == (
        f"the key file {store.key_file} of the encrypted-file store is missing"
    )
    assert info.value.hint == "restore it from a backup, or store each secret again"
    assert store.problems() == [
        StoreProblem(
            "fail",
            f"credential files exist but the key file {store.key_file} is missing: "
            "they cannot be decrypted",
            "restore the key file from a backup, or store each secret again",
        )
    ]


def test_wrong_passphrase_message(tmp_path: Path) -> None:
    store = _store(tmp_path, "not the passphrase")
    _plant_vector(store, VECTOR_KEY_FILE)
    with pytest.raises(SecretStoreError) as info:
        store.get("prod")
    assert info.value.message == (
        f"wrong passphrase for the encrypted-file store in {store.files.directory}"
    )
    assert info.value.hint == (
        "check the file DUOCTL_STORE_PASSPHRASE_FILE names, or the passphrase you typed"
    )


@pytest.mark.parametrize(("passphrase", "stored"), [("1234567", False), ("12345678", True)])
def test_the_passphrase_needs_eight_characters(
    tmp_path: Path, passphrase: str, stored: bool
) -> None:
    store = _store(tmp_path, passphrase)
    if stored:
        store.set("prod", SECRET)
        assert _store(tmp_path, passphrase).get("prod") == SECRET
        return
    with pytest.raises(SecretStoreError) as info:
        store.set("prod", SECRET)
    assert info.value.message == (
        "the store passphrase must have at least 8 characters; nothing was stored"
    )
    assert not store.key_file.exists()


def test_a_key_file_that_cannot_be_written_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As a plain user on a directory that is not theirs; root would not be refused, so the
    # seam refuses instead.
    from duoctl.secrets import encrypted_file

    def refuse(path: Path, data: bytes) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(encrypted_file, "create_exclusively", refuse)
    store = _store(tmp_path)
    with pytest.raises(SecretStoreError) as info:
        store.set("prod", SECRET)
    assert info.value.message == f"cannot write {store.key_file}: Permission denied"
    assert store.files.names() == []


def test_plaintext_that_is_not_text_is_not_a_client_secret(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.set("prod", SECRET)
    # Seal bytes that are not UTF-8 under the store's own key, as a damaged writer might.
    from duoctl.secrets import encrypted_file

    key = store._unlock(create=False)
    sealed = encrypted_file._seal(key, b"\xff\xfe not utf-8", encrypted_file._aad("prod"))
    store.files.write("prod", encrypted_file.MAGIC + sealed)
    path = store.files.file_for("prod")
    with pytest.raises(CredentialUnreadable) as info:
        _store(tmp_path).get("prod")
    assert info.value.message == f"{path} does not hold a Client Secret"


def test_backend_info(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert store.backend() == BackendInfo(
        name="AES-256-GCM, scrypt passphrase key",
        kind="secure",
        backend="encrypted-file",
        location=str(store.files.directory),
    )


def test_the_system_store_lives_in_the_system_credentials_dir(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    store = EncryptedFileStore(config, passphrase=lambda _confirm: PASSPHRASE, system=True)
    assert store.files.directory == credentials_dir(config, system=True)
    assert store.files.directory != credentials_dir(config, system=False)


def test_delete_removes_that_providers_file(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _plant_vector(store, VECTOR_KEY_FILE)
    assert store.delete("prod") is True
    assert not store.files.file_for("prod").exists()
    assert store.get("prod") is None
