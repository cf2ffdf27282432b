"""Fixtures for the tests that need the real Secret Service."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from duoctl.secrets.keyring_store import service_for
from foundation.helpers import PROCESS_TIMEOUT_S, SECRET_TOOL
from support.real_components import require_real, secret_service_available


@pytest.fixture
def real_keyring() -> Iterator[Callable[[Path], str]]:
    """Require the private Secret Service; return ``service_of(config_path)``.

    Every service name handed out is cleared afterwards (pass or fail), so runs never see
    each other's items; tmp_path config paths are unique, so services are too.
    """
    require_real("Secret Service", *secret_service_available())
    require_real("secret-tool", SECRET_TOOL is not None, "secret-tool not found (libsecret-tools)")
    services: list[str] = []

    def service_of(config: Path) -> str:
        service = service_for(config)
        services.append(service)
        return service

    yield service_of
    assert SECRET_TOOL is not None
    for service in services:
        subprocess.run(
            [SECRET_TOOL, "clear", "service", service],
            capture_output=True,
            timeout=PROCESS_TIMEOUT_S,
            check=False,
        )
