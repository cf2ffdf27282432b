"""Running duoctl the way a headless server does: no D-Bus session, no keyring backend.

The suite's isolation pins the keyring backend (tests/conftest.py); here it is removed
again, with the session bus, so duoctl's own ``auto`` choice is what gets tested. A plain
(non-root) user is reached with ``setpriv``, in directories that user owns.
"""

from __future__ import annotations

import base64
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DUOCTL = str(Path(sys.executable).parent / "duoctl")
TIMEOUT_S = 60
# The Debian/Ubuntu account for "nobody at all": exists on every such machine.
PLAIN_USER = "nobody"
# The rotated-to secret, new for each run: a fixed one could turn up in another process's
# file under /tmp (a shell command that quotes it), and the canaries scan /tmp.
OTHER_SECRET = secrets.token_hex(20)

# What a desktop session provides and a server over SSH does not; and what the test
# isolation adds that a real server would not have.
_NOT_ON_A_SERVER = (
    "DBUS_SESSION_BUS_ADDRESS",
    "DUOCTL_TEST_SECRET_SERVICE",
    "DUOCTL_SECRET_SERVICE_DIR",
    "DUOCTL_SECRET_BACKEND",
    "PYTHON_KEYRING_BACKEND",
    "BROWSER",
    "DISPLAY",
    "WAYLAND_DISPLAY",
)


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _NOT_ON_A_SERVER}
    env.update({"NO_COLOR": "1", "COLUMNS": "200"})
    env.update(extra)
    return env


def run(
    *args: str | Path,
    env: dict[str, str],
    input: str | None = None,
    user: str | None = None,
) -> Run:
    argv = [DUOCTL, *(str(a) for a in args)]
    if user is not None:
        entry = pwd.getpwnam(user)
        argv = [
            "setpriv",
            f"--reuid={entry.pw_uid}",
            f"--regid={entry.pw_gid}",
            "--clear-groups",
            "--",
            *argv,
        ]
    proc = subprocess.run(
        argv,
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT_S,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def add_argv(
    endpoint: str, client_id: str, ca_bundle: str | Path | None, name: str = "emu"
) -> list[str]:
    """`provider add NAME ...` with the secret on stdin (the caller passes it as input)."""
    argv = ["provider", "add", name, "--endpoint", endpoint, "--client-id", client_id]
    if ca_bundle is not None:
        argv += ["--ca-bundle", str(ca_bundle)]
    return [*argv, "--client-secret-stdin"]


def encodings(secret: str) -> list[bytes]:
    raw = secret.encode()
    return [raw, raw.hex().encode(), raw.hex().upper().encode(), base64.b64encode(raw)]


def files_holding(
    secret: str, roots: list[Path], *, since: float, limit: int = 64 << 20
) -> list[str]:
    """Every regular file under ``roots``, changed at or after ``since`` (a time.time()),
    whose bytes contain the secret in any encoding.

    Only files changed since the test began can hold what it wrote: reading the rest of a
    home directory (gigabytes of caches) would prove nothing more, only slower.
    """
    needles = encodings(secret)
    hits: list[str] = []
    for root in roots:
        if not root.exists():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            # /proc-like trees and other mounts are not where a file duoctl wrote would be.
            dirnames[:] = [d for d in dirnames if not os.path.ismount(os.path.join(dirpath, d))]
            for filename in filenames:
                path = os.path.join(dirpath, filename)
                try:
                    if not os.path.isfile(path) or os.path.islink(path):
                        continue
                    info = os.stat(path)
                    if info.st_size > limit or max(info.st_mtime, info.st_ctime) < since:
                        continue
                    with open(path, "rb") as handle:
                        data = handle.read()
                except OSError:
                    continue
                if any(needle in data for needle in needles):
                    hits.append(path)
    return hits


def user_dir(user: str) -> Iterator[Path]:
    """A fresh directory owned by ``user`` (0700), removed afterwards."""
    entry = pwd.getpwnam(user)
    directory = Path(tempfile.mkdtemp(prefix="duoctl-server-"))
    try:
        os.chown(directory, entry.pw_uid, entry.pw_gid)
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def can_run_as(user: str) -> tuple[bool, str]:
    """Can ``user`` start this checkout's duoctl (the venv and its parents traversable)?"""
    if os.geteuid() != 0:
        return False, "switching to another user needs root"
    if shutil.which("setpriv") is None:
        return False, "setpriv not found (Debian: util-linux)"
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False, f"no user {user!r} on this machine"
    result = run("--version", env=server_env(), user=user)
    if result.code != 0:
        return False, (
            f"{user} cannot run {DUOCTL} (is every parent directory of the checkout "
            f"traversable, o+x? .ci/run makes it so): {result.stderr.strip()[:200]}"
        )
    return True, f"{user} can run duoctl"
