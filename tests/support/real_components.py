"""Gates for tests that need a real component (Secret Service, Chromium, ...).

A real-component test calls ``require_real(name, *probe())`` first. Locally a missing
component only skips the test, so ``pytest`` works on any laptop; in CI (``.ci/run`` sets
``DUOCTL_REQUIRE_REAL=1``) the same situation fails the test, so a broken set-up can never
turn the real-component suite into a silent row of skips.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

REQUIRE_REAL_ENV = "DUOCTL_REQUIRE_REAL"
SECRET_SERVICE_ENV = "DUOCTL_TEST_SECRET_SERVICE"

# Long enough for a loaded CI machine, short enough that a wedged bus cannot hang the suite.
_DBUS_TIMEOUT_S = 5.0

_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def real_components_required() -> bool:
    """True when a missing real component must fail rather than skip (CI)."""
    return os.environ.get(REQUIRE_REAL_ENV) == "1"


def require_real(component: str, available: bool, reason: str) -> None:
    """Return if ``available``; otherwise skip the test, or fail it under DUOCTL_REQUIRE_REAL=1."""
    if available:
        return
    if real_components_required():
        pytest.fail(f"{component} is required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def secret_service_available() -> tuple[bool, str]:
    """Is the private Secret Service of tests/support/secret_service.sh up and answering?

    Returns ``(available, reason)``; the reason says what is missing, for skip/fail messages.
    The opt-in variable matters: without it a developer's own desktop keyring would be used
    (and written to) by the tests.
    """
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    if not address:
        return False, "DBUS_SESSION_BUS_ADDRESS is not set (start tests/support/secret_service.sh)"
    if os.environ.get(SECRET_SERVICE_ENV) != "1":
        return False, (
            f"{SECRET_SERVICE_ENV}=1 is not set; refusing to use a Secret Service that "
            "tests/support/secret_service.sh did not start"
        )
    dbus_send = shutil.which("dbus-send")
    if dbus_send is None:
        return False, "dbus-send not found (Debian package: dbus)"
    # Ask the service itself, not just the bus: a name that is owned by a daemon that no
    # longer answers (or a bus that would activate a locked one) must count as unavailable.
    command = [
        dbus_send,
        "--session",
        "--print-reply",
        f"--reply-timeout={int(_DBUS_TIMEOUT_S * 1000)}",
        "--dest=org.freedesktop.secrets",
        "/org/freedesktop/secrets",
        "org.freedesktop.DBus.Properties.Get",
        "string:org.freedesktop.Secret.Service",
        "string:Collections",
    ]
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=_DBUS_TIMEOUT_S + 1,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False, f"org.freedesktop.secrets did not answer within {_DBUS_TIMEOUT_S:g} s"
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip() or f"exit {result.returncode}"
        return False, f"org.freedesktop.secrets does not answer on {address}: {detail}"
    return True, "Secret Service answers on the private bus"


def chromium_path() -> str | None:
    """Path of a Chromium-family browser on PATH, or None."""
    for name in _CHROMIUM_NAMES:
        path = shutil.which(name)
        if path is not None:
            return path
    return None
