"""Client secrets encrypted with a passphrase: for a non-root user without a Secret Service.

Built on ``cryptography`` (already a dependency) rather than ``keyrings.cryptfile``, which
adds argon2-cffi and pycryptodome and keeps every secret in one shared file:

- a key file (``encrypted-file.key``, 0600) holds the scrypt parameters, a random salt, and
  a check value: AES-GCM over a fixed text, so a wrong passphrase is told apart from a
  damaged credential file;
- the key is derived once per command with scrypt (N=2**17, r=8, p=1: 128 MiB, about 0.4 s
  here; OWASP's recommended minimum for scrypt);
- each provider's secret is its own file (``NAME.enc``, 0600): AES-256-GCM with a random
  96-bit nonce, its name as associated data, so a file renamed to another provider fails
  authentication instead of yielding the wrong secret.

The passphrase comes from ``DUOCTL_STORE_PASSPHRASE_FILE`` or a hidden prompt, through the
``passphrase`` callable the CLI hands in (``confirm=True`` when the store is being created).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from duoctl.errors import CredentialUnreadable, SecretStoreError
from duoctl.fileio import create_exclusively, ensure_private_dir
from duoctl.paths import credentials_dir
from duoctl.secret_input import PASSPHRASE_FILE_ENV
from duoctl.secrets import (
    BACKEND_ENCRYPTED_FILE,
    BackendInfo,
    SecretRead,
    StoreProblem,
    get_each,
)
from duoctl.secrets.credfiles import SUFFIXES, CredentialDir

KEY_FILE = "encrypted-file.key"
FORMAT = "duoctl-encrypted-file-1"
MAGIC = b"DCE1"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
_CHECK_TEXT = b"duoctl passphrase check"
_NONCE_BYTES = 12

PassphraseSource = Callable[[bool], str]  # confirm? -> passphrase


def _aad(name: str) -> bytes:
    return b"duoctl-v1:" + name.encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes | None:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(key).decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], aad)
    except (InvalidTag, ValueError):
        return None


class EncryptedFileStore:
    def __init__(
        self, config_path: Path, *, passphrase: PassphraseSource, system: bool = False
    ) -> None:
        self._passphrase = passphrase
        self.files = CredentialDir(
            credentials_dir(config_path, system=system), SUFFIXES[BACKEND_ENCRYPTED_FILE]
        )
        self.key_file = self.files.directory / KEY_FILE
        self._key: bytes | None = None

    def backend(self) -> BackendInfo:
        return BackendInfo(
            name="AES-256-GCM, scrypt passphrase key",
            kind="secure",
            backend=BACKEND_ENCRYPTED_FILE,
            location=str(self.files.directory),
        )

    def get(self, name: str) -> str | None:
        sealed = self.files.read(name)
        if sealed is None:
            return None  # nothing stored: no passphrase needed to say so
        path = self.files.file_for(name)
        plain = (
            _open(self._unlock(create=False), sealed[len(MAGIC) :], _aad(name))
            if sealed.startswith(MAGIC)
            else None
        )
        if plain is None:
            raise CredentialUnreadable(
                f"the credential file {path} of provider {name!r} cannot be decrypted: it is "
                "damaged (truncated or corrupted) or belongs to another provider",
                hint=f"restore it, or store the secret again: "
                f"duoctl provider edit {name} --rotate-secret",
            )
        try:
            return plain.decode("utf-8")
        except UnicodeDecodeError:
            raise CredentialUnreadable(f"{path} does not hold a Client Secret") from None

    def get_many(self, names: Sequence[str]) -> dict[str, SecretRead]:
        return get_each(self.get, names)

    def set(self, name: str, secret: str) -> None:
        key = self._unlock(create=True)
        self.files.write(name, MAGIC + _seal(key, secret.encode("utf-8"), _aad(name)))

    def delete(self, name: str) -> bool:
        return self.files.delete(name)

    def names(self) -> list[str] | None:
        return self.files.names()

    def preload(self) -> None:
        return None  # a subprocess or a file: nothing to load ahead

    def problems(self) -> list[StoreProblem]:
        found = self.files.problems()
        if self.files.names() and not self.key_file.exists():
            found.append(
                StoreProblem(
                    "fail",
                    f"credential files exist but the key file {self.key_file} is missing: "
                    "they cannot be decrypted",
                    "restore the key file from a backup, or store each secret again",
                )
            )
        return found

    def _unlock(self, *, create: bool) -> bytes:
        if self._key is not None:
            return self._key
        params = self._read_key_file()
        if params is None:
            if not create:
                raise SecretStoreError(
                    f"the key file {self.key_file} of the encrypted-file store is missing",
                    hint="restore it from a backup, or store each secret again",
                )
            self._key = self._create_key_file()
            return self._key
        key = _derive(
            self._passphrase(False), params["salt"], params["n"], params["r"], params["p"]
        )
        if _open(key, params["check"], b"duoctl-v1:check") != _CHECK_TEXT:
            raise SecretStoreError(
                f"wrong passphrase for the encrypted-file store in {self.files.directory}",
                hint=f"check the file {PASSPHRASE_FILE_ENV} names, or the passphrase you typed",
            )
        self._key = key
        return key

    def _read_key_file(self) -> dict[str, Any] | None:
        try:
            raw = self.key_file.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SecretStoreError(f"cannot read {self.key_file}: {exc.strerror}") from None
        try:
            doc = json.loads(raw)
            if doc["format"] != FORMAT or doc["kdf"] != "scrypt":
                raise ValueError(doc.get("format"))
            params = {k: int(doc[k]) for k in ("n", "r", "p")}
            return {
                **params,
                "salt": base64.b64decode(doc["salt"]),
                "check": base64.b64decode(doc["check"]),
            }
        except (ValueError, KeyError, TypeError):
            raise SecretStoreError(
                f"the key file {self.key_file} is damaged",
                hint="restore it from a backup, or store each secret again",
            ) from None

    def _create_key_file(self) -> bytes:
        passphrase = self._passphrase(True)
        if len(passphrase) < 8:
            raise SecretStoreError(
                "the store passphrase must have at least 8 characters; nothing was stored"
            )
        salt = os.urandom(16)
        key = _derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        doc = {
            "format": FORMAT,
            "kdf": "scrypt",
            "n": SCRYPT_N,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
            "salt": _b64(salt),
            "check": _b64(_seal(key, _CHECK_TEXT, b"duoctl-v1:check")),
        }
        try:
            ensure_private_dir(self.files.directory)
            create_exclusively(self.key_file, json.dumps(doc).encode("ascii"))
        except FileExistsError:
            # Another duoctl created the store meanwhile: its key, not ours, is the store's.
            return self._unlock(create=False)
        except OSError as exc:
            raise SecretStoreError(f"cannot write {self.key_file}: {exc.strerror}") from None
        return key
