"""A real browser: ``duoctl test-login --browser system`` with $BROWSER running headless
Chromium, which loads the emulator's prompt over TLS, follows its 302 to duoctl's listener
and renders the page duoctl serves there."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import signal
import ssl
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from duoctl.errors import ExitCode
from support.real_components import chromium_path, require_real
from testlogin.conftest import Provider
from testlogin.helpers import assert_port_closed, callback_port_from_prompt, duoctl_env

pytestmark = [pytest.mark.browser, pytest.mark.real_keyring]

CHROMIUM_WAIT = 60.0  # an upper bound for a cold headless start on a loaded CI machine


def spki_sha256(port: int) -> str:
    """base64(sha256(SubjectPublicKeyInfo)) of the leaf the emulator serves right now."""
    pem = ssl.get_server_certificate(("127.0.0.1", port))
    cert = x509.load_pem_x509_certificate(pem.encode())
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def processes_using(marker: str) -> list[int]:
    """PIDs whose command line mentions ``marker`` (our private user-data-dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


@pytest.fixture
def chromium() -> str:
    path = chromium_path()
    require_real("Chromium", path is not None, "no chromium on PATH (Debian package: chromium)")
    assert path is not None
    return path


@pytest.fixture
def profile_dir(tmp_path: Path) -> Iterator[Path]:
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    yield profile
    # Whatever Chromium left running is ours (it names our private profile): end it by PID.
    for pid in processes_using(str(profile)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def write_wrapper(tmp_path: Path, chromium: str, profile: Path, spki: str) -> tuple[Path, Path]:
    dom = tmp_path / "dom.html"
    done = tmp_path / "chromium.exit"
    wrapper = tmp_path / "headless-chromium"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'"{chromium}" --headless --no-sandbox --disable-gpu --no-first-run '
        "--disable-background-networking --disable-component-update --disable-sync "
        "--disable-quic --no-proxy-server "
        # The network rule: nothing but loopback may be resolved, whatever Chromium wants.
        "'--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost' "
        f'--user-data-dir="{profile}" --ignore-certificate-errors-spki-list={spki} '
        f'--dump-dom "$1" >"{dom}" 2>"{tmp_path / "chromium.log"}"\n'
        f'echo $? >"{done}"\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return wrapper, done


@pytest.mark.parametrize(
    ("username", "exit_code", "verdict", "page"),
    [
        ("alice", ExitCode.OK, "ALLOWED", ("Duo login allowed", "alice was authenticated.")),
        ("bob", ExitCode.DUO_DENIED, "DENIED", ("Duo login denied", "Login denied")),
    ],
)
def test_system_browser_completes_the_login_in_headless_chromium(
    provider: Provider,
    chromium: str,
    profile_dir: Path,
    tmp_path: Path,
    username: str,
    exit_code: ExitCode,
    verdict: str,
    page: tuple[str, str],
) -> None:
    spki = spki_sha256(provider.emulator.port)
    wrapper, done = write_wrapper(tmp_path, chromium, profile_dir, spki)

    result = provider.test_login(
        browser="system", username=username, env=duoctl_env(BROWSER=str(wrapper))
    )

    assert result.code == exit_code, result.stderr
    assert verdict in result.stdout
    assert "warning" not in result.stderr  # the browser started and reported no failure
    assert_port_closed(callback_port_from_prompt(result.stderr))

    # duoctl served the page before it exited; Chromium writes it out as it quits.
    deadline = time.monotonic() + CHROMIUM_WAIT
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = tmp_path / "chromium.log"
    assert done.exists(), "Chromium did not finish: " + (log.read_text() if log.exists() else "")
    assert done.read_text().strip() == "0"
    dom = (tmp_path / "dom.html").read_text()
    assert all(text in dom for text in page), dom

    while processes_using(str(profile_dir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_using(str(profile_dir)) == [], "Chromium processes outlived the test"
