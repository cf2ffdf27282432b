"""The real Secret Service harness (tests/support/secret_service.sh), end to end.

These tests check the harness, not duoctl: that the python ``keyring`` library resolves to its
SecretService backend on the private bus, and that what it stores is really in gnome-keyring,
as read back by an independent client (libsecret's ``secret-tool``). The project's own keyring
layer has its tests on top of this harness.

Locally they skip without the harness; under DUOCTL_REQUIRE_REAL=1 (CI) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import SecretService

from support.real_components import require_real, secret_service_available

pytestmark = pytest.mark.real_keyring

_TIMEOUT_S = 10


@pytest.fixture
def secret_service() -> None:
    require_real("Secret Service", *secret_service_available())


@pytest.fixture
def secret_tool(secret_service: None) -> str:
    path = shutil.which("secret-tool")
    require_real("secret-tool", path is not None, "secret-tool not found (libsecret-tools)")
    assert path is not None
    return path


@pytest.fixture
def backend(secret_service: None) -> KeyringBackend:
    """keyring's SecretService backend, built explicitly.

    Explicit rather than keyring.get_keyring(): other tests may swap the process-wide backend
    (keyring.set_keyring) for fakes; test_default_backend_is_secret_service covers resolution.
    """
    kr = SecretService.Keyring()  # type: ignore[no-untyped-call]  # keyring leaves __init__ bare
    # priority raises or is < 0 when SecretStorage cannot reach a usable service.
    assert kr.priority > 0
    return kr


@pytest.fixture
def service_name() -> Iterator[str]:
    """A unique service name, so tests never see each other's (or a previous run's) items."""
    name = f"duoctl-harness-test-{uuid.uuid4()}"
    yield name
    # Whatever a test left behind goes, even on failure; cleanup errors must not mask results.
    if shutil.which("secret-tool") and os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        subprocess.run(
            ["secret-tool", "clear", "service", name],
            capture_output=True,
            timeout=_TIMEOUT_S,
            check=False,
        )


def _lookup(secret_tool: str, service: str, username: str) -> subprocess.CompletedProcess[str]:
    # keyring's SecretService backend stores the attributes `service` and `username`.
    return subprocess.run(
        [secret_tool, "lookup", "service", service, "username", username],
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S,
        check=False,
    )


def test_default_backend_is_secret_service(secret_service: None) -> None:
    # A fresh interpreter resolves the backend exactly as a user's duoctl would, untouched by
    # whatever this test process has done to keyring's global state.
    code = (
        "import keyring; kr = keyring.get_keyring(); "
        "print(type(kr).__module__ + '.' + type(kr).__qualname__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S * 3,
        check=True,
    )
    # Not fail.Keyring, null.Keyring, a chainer that holds nothing, or a plaintext file.
    assert result.stdout.strip() == "keyring.backends.SecretService.Keyring"


def test_round_trip_is_visible_to_secret_tool(
    backend: KeyringBackend, secret_tool: str, service_name: str
) -> None:
    username = "alice@example.test"
    # Non-ASCII and shell-hostile characters: the secret must survive byte for byte.
    password = f"s3cr3t-{uuid.uuid4()}-é✓ '\"$"

    backend.set_password(service_name, username, password)

    assert backend.get_password(service_name, username) == password
    result = _lookup(secret_tool, service_name, username)
    assert result.returncode == 0, result.stderr
    # secret-tool adds a newline only when stdout is a terminal.
    assert result.stdout == password


def test_overwrite_replaces_the_single_item(
    backend: KeyringBackend, secret_tool: str, service_name: str
) -> None:
    backend.set_password(service_name, "bob", "first")
    backend.set_password(service_name, "bob", "second")

    assert backend.get_password(service_name, "bob") == "second"
    assert _lookup(secret_tool, service_name, "bob").stdout == "second"


def test_delete_removes_the_item(
    backend: KeyringBackend, secret_tool: str, service_name: str
) -> None:
    backend.set_password(service_name, "carol", "to-be-deleted")
    assert _lookup(secret_tool, service_name, "carol").returncode == 0

    backend.delete_password(service_name, "carol")

    assert backend.get_password(service_name, "carol") is None
    result = _lookup(secret_tool, service_name, "carol")
    assert result.returncode != 0
    assert result.stdout == ""


def test_written_by_secret_tool_read_by_keyring(
    backend: KeyringBackend, secret_tool: str, service_name: str
) -> None:
    # The other direction: an item keyring did not write is still found by its attributes.
    subprocess.run(
        [
            secret_tool,
            "store",
            "--label=duoctl harness",
            "service",
            service_name,
            "username",
            "dan",
        ],
        input="from-secret-tool",
        text=True,
        capture_output=True,
        timeout=_TIMEOUT_S,
        check=True,
    )
    assert backend.get_password(service_name, "dan") == "from-secret-tool"
