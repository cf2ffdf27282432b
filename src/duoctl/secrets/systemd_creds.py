"""Client secrets as systemd credentials: ``systemd-creds encrypt/decrypt``, one file each.

Why this backend: it ships with systemd >= 250 (Debian 12 has 252), works as root on a
headless server even where systemd is not PID 1, keeps its key in a root-only host key file
(``/var/lib/systemd/credential.secret``) or a TPM2, and the platform's own service can read
the very same file with ``LoadCredentialEncrypted=duoctl-NAME:PATH`` in its unit.

The secret goes to ``systemd-creds`` on stdin and comes back on stdout: never in argv, never
on disk in plain text. Each credential embeds its name (``duoctl-<provider>``), and
decryption checks it, so a file renamed to another provider's name is refused, not used.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from duoctl.errors import CredentialUnreadable, SecretStoreError
from duoctl.paths import credentials_dir
from duoctl.secrets import (
    BACKEND_SYSTEMD_CREDS,
    BackendInfo,
    SecretRead,
    StoreProblem,
    get_each,
)
from duoctl.secrets.bounded import TIMEOUT_ENV, timeout_from_env
from duoctl.secrets.credfiles import SUFFIXES, CredentialDir

HOST_KEY = Path("/var/lib/systemd/credential.secret")
HOST_KEY_ENV = "SYSTEMD_CREDENTIAL_SECRET"  # systemd's own override of the host key path
CREDENTIAL_PREFIX = "duoctl-"
INSTALL_HINT = "install systemd >= 250 (Debian/Ubuntu: apt-get install systemd)"


def credential_name(provider: str) -> str:
    return CREDENTIAL_PREFIX + provider


def host_key_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get(HOST_KEY_ENV) or HOST_KEY)


def find_binary(environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    return shutil.which("systemd-creds", path=env.get("PATH", os.defpath))


def unusable_reason(key: str = "host", environ: Mapping[str, str] | None = None) -> str | None:
    """Why systemd-creds cannot serve this process, or None when it can."""
    if find_binary(environ) is None:
        return f"systemd-creds is not installed ({INSTALL_HINT})"
    if "host" not in key and key != "auto":
        return None  # a TPM2-only credential needs no host key
    path = host_key_path(environ)
    if path.is_dir():
        return f"the systemd host key {path} is a directory"
    if path.exists():
        if not os.access(path, os.R_OK):
            return (
                f"the systemd host key {path} is not readable by uid {os.geteuid()} "
                "(it is root's: run duoctl as root, e.g. with sudo)"
            )
        return None
    if os.geteuid() != 0:
        return f"there is no systemd host key {path}, and only root can create it"
    return None  # root: systemd-creds creates the host key on first use


class SystemdCredsStore:
    def __init__(
        self,
        config_path: Path,
        *,
        system: bool = False,
        key: str = "host",
        timeout: float | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.key = key
        self.timeout = timeout if timeout is not None else timeout_from_env()
        self._environ = dict(os.environ if environ is None else environ)
        self.files = CredentialDir(
            credentials_dir(config_path, system=system, env=self._environ),
            SUFFIXES[BACKEND_SYSTEMD_CREDS],
        )

    def backend(self) -> BackendInfo:
        reason = unusable_reason(self.key, self._environ)
        if reason is not None:
            raise SecretStoreError(
                f"the systemd-creds secret store cannot be used: {reason}",
                hint=f"{INSTALL_HINT} and run as root, or choose another backend "
                "(DUOCTL_SECRET_BACKEND=encrypted-file; see 'On a server' in the README)",
            )
        return BackendInfo(
            name=f"systemd-creds --with-key={self.key}",
            kind="secure",
            backend=BACKEND_SYSTEMD_CREDS,
            location=str(self.files.directory),
        )

    def get(self, name: str) -> str | None:
        data = self.files.read(name)
        if data is None:
            return None
        self.backend()  # a clear "why not" before systemd-creds gives a terse one
        path = self.files.file_for(name)
        out = self._run(["decrypt", f"--name={credential_name(name)}", str(path), "-"], data=b"")
        return _decode_secret(out, path)

    def get_many(self, names: Sequence[str]) -> dict[str, SecretRead]:
        return get_each(self.get, names)

    def set(self, name: str, secret: str) -> None:
        self.backend()
        encrypted = self._run(
            ["encrypt", f"--name={credential_name(name)}", f"--with-key={self.key}", "-", "-"],
            data=secret.encode("utf-8"),
        )
        self.files.write(name, encrypted)

    def delete(self, name: str) -> bool:
        return self.files.delete(name)

    def names(self) -> list[str] | None:
        return self.files.names()

    def preload(self) -> None:
        return None  # a subprocess or a file: nothing to load ahead

    def problems(self) -> list[StoreProblem]:
        found = self.files.problems()
        path = host_key_path(self._environ)
        uses_host_key = "host" in self.key or self.key == "auto"
        if uses_host_key and path.exists() and os.stat(path).st_mode & 0o077:
            found.append(
                StoreProblem(
                    "fail",
                    f"the systemd host key {path} is readable by others",
                    f"chmod 400 {path}",
                )
            )
        return found

    def _run(self, args: list[str], *, data: bytes) -> bytes:
        binary = find_binary(self._environ)
        if binary is None:
            raise SecretStoreError(f"systemd-creds is not installed; {INSTALL_HINT}")
        what = args[0]
        # Its own session: on a timeout the whole group is killed, so no grandchild can keep
        # the pipes open and hold this call past its deadline.
        process = subprocess.Popen(  # noqa: S603 (fixed argv; the secret travels on stdin)
            [binary, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self._environ,
            start_new_session=True,
        )
        try:
            out, err = process.communicate(data, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise SecretStoreError(
                f"systemd-creds did not answer within {self.timeout:g} s ({what})",
                hint=f"check the TPM2 or the host key's filesystem; set {TIMEOUT_ENV} to "
                "wait longer",
            ) from None
        if process.returncode != 0:
            raise _failure(what, err.decode("utf-8", "replace"), self.files, args)
        return out


def _decode_secret(out: bytes, path: Path) -> str:
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise CredentialUnreadable(
            f"the credential file {path} does not hold a Client Secret"
        ) from None


def _failure(what: str, stderr: str, files: CredentialDir, args: list[str]) -> SecretStoreError:
    from duoctl.output import safe_text

    # systemd-creds notes on every call that the host key is not on encrypted media: that
    # is a property of the host, not this failure's cause.
    lines = [line for line in stderr.splitlines() if line.strip() and "encrypted media" not in line]
    reason = safe_text(lines[-1] if lines else "no reason given", limit=200)
    name = args[1].removeprefix("--name=" + CREDENTIAL_PREFIX)
    if what == "encrypt":
        return SecretStoreError(
            f"systemd-creds could not encrypt the secret for provider {name!r}: {reason}",
            hint="run 'duoctl doctor' to check the host key and the store directory",
        )
    path = files.file_for(name)
    if "does not match" in reason:
        hint = (
            f"{path} belongs to another provider (renamed or copied): restore the right "
            f"file, or store the secret again: duoctl provider edit {name} --rotate-secret"
        )
    elif "credential key" in reason or "secret" in reason.lower():
        hint = (
            f"the host key ({HOST_KEY}) is missing, unreadable or not the one that "
            f"encrypted {path}: restore it, or store the secret again: "
            f"duoctl provider edit {name} --rotate-secret"
        )
    else:
        hint = (
            f"{path} is damaged (truncated or corrupted): store the secret again with "
            f"duoctl provider edit {name} --rotate-secret"
        )
    return CredentialUnreadable(
        f"systemd-creds cannot decrypt the Client Secret of provider {name!r} "
        f"from {path}: {reason}",
        hint=hint,
    )
