"""The passphrase-encrypted file store, on real files and the real cryptography library."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from duoctl.errors import CredentialUnreadable, SecretStoreError
from duoctl.fileio import create_exclusively
from duoctl.secrets.encrypted_file import KEY_FILE, EncryptedFileStore

SECRET = "Sb3cretSecretSecretSecretSecretSecret001"
PASSPHRASE = "correct horse battery staple"


class Passphrases:
    def __init__(self, value: str = PASSPHRASE) -> None:
        self.value = value
        self.asked: list[bool] = []

    def __call__(self, confirm: bool) -> str:
        self.asked.append(confirm)
        return self.value


def _store(config: Path, passphrase: Passphrases) -> EncryptedFileStore:
    return EncryptedFileStore(config, passphrase=passphrase)


def test_round_trip_private_files_and_one_derivation(tmp_path: Path) -> None:
    asked = Passphrases()
    store = _store(tmp_path / "config.toml", asked)
    store.set("prod", SECRET)
    store.set("staging", SECRET[::-1])
    assert asked.asked == [True]  # created once, confirmed; the key is then reused

    fresh = Passphrases()
    again = _store(tmp_path / "config.toml", fresh)
    assert again.get("prod") == SECRET
    assert again.get("staging") == SECRET[::-1]
    assert fresh.asked == [False]
    assert again.names() == ["prod", "staging"]
    directory = store.files.directory
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert SECRET.encode() not in path.read_bytes()
        assert PASSPHRASE.encode() not in path.read_bytes()
    assert again.problems() == []


def test_nothing_stored_needs_no_passphrase(tmp_path: Path) -> None:
    asked = Passphrases()
    store = _store(tmp_path / "config.toml", asked)
    assert store.get("prod") is None
    assert store.delete("prod") is False
    assert asked.asked == []


def test_wrong_passphrase_is_told_apart(tmp_path: Path) -> None:
    _store(tmp_path / "config.toml", Passphrases()).set("prod", SECRET)
    store = _store(tmp_path / "config.toml", Passphrases("not the one"))
    with pytest.raises(SecretStoreError, match="wrong passphrase") as caught:
        store.get("prod")
    assert not isinstance(caught.value, CredentialUnreadable)


def test_a_renamed_file_is_refused_not_misused(tmp_path: Path) -> None:
    store = _store(tmp_path / "config.toml", Passphrases())
    store.set("prod", SECRET)
    directory = store.files.directory
    (directory / "prod.enc").rename(directory / "staging.enc")
    with pytest.raises(CredentialUnreadable, match="belongs to another provider"):
        _store(tmp_path / "config.toml", Passphrases()).get("staging")


@pytest.mark.parametrize("damage", ["flip", "truncate", "magic"])
def test_damaged_file_is_unreadable(tmp_path: Path, damage: str) -> None:
    store = _store(tmp_path / "config.toml", Passphrases())
    store.set("prod", SECRET)
    path = store.files.file_for("prod")
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[-1] ^= 1
    elif damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data[:4] = b"XXXX"
    path.write_bytes(bytes(data))
    with pytest.raises(CredentialUnreadable, match="damaged") as caught:
        _store(tmp_path / "config.toml", Passphrases()).get("prod")
    assert "duoctl provider edit prod --rotate-secret" in (caught.value.hint or "")


def test_missing_key_file(tmp_path: Path) -> None:
    store = _store(tmp_path / "config.toml", Passphrases())
    store.set("prod", SECRET)
    (store.files.directory / KEY_FILE).unlink()
    fresh = _store(tmp_path / "config.toml", Passphrases())
    with pytest.raises(SecretStoreError, match=r"key file .* is missing"):
        fresh.get("prod")
    assert [p.status for p in fresh.problems()] == ["fail"]


def test_damaged_key_file(tmp_path: Path) -> None:
    store = _store(tmp_path / "config.toml", Passphrases())
    store.set("prod", SECRET)
    key_file = store.files.directory / KEY_FILE
    doc = json.loads(key_file.read_text())
    doc["n"] = "many"
    key_file.write_text(json.dumps(doc))
    with pytest.raises(SecretStoreError, match="is damaged"):
        _store(tmp_path / "config.toml", Passphrases()).get("prod")


def test_short_passphrase_stores_nothing(tmp_path: Path) -> None:
    store = _store(tmp_path / "config.toml", Passphrases("short"))
    with pytest.raises(SecretStoreError, match="at least 8 characters"):
        store.set("prod", SECRET)
    assert not store.files.file_for("prod").exists()
    assert not (store.files.directory / KEY_FILE).exists()


def test_open_directory_is_refused(tmp_path: Path) -> None:
    store = _store(tmp_path / "config.toml", Passphrases())
    store.set("prod", SECRET)
    store.files.directory.chmod(0o755)
    with pytest.raises(SecretStoreError, match="open to others"):
        store.set("staging", SECRET)
    assert [p.status for p in store.problems()] == ["fail"]


def test_racing_creators_share_one_key(tmp_path: Path) -> None:
    # The loser of the creation race must not replace the winner's key.
    target = tmp_path / "race" / "key"
    target.parent.mkdir()
    create_exclusively(target, b"first")
    with pytest.raises(FileExistsError):
        create_exclusively(target, b"second")
    assert target.read_bytes() == b"first"
    assert [p.name for p in target.parent.iterdir()] == ["key"]
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
