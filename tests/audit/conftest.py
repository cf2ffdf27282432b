"""Fixtures for the audit trail's tests: a config with providers, and the real Secret
Service (``real_keyring``, shared with the foundation tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from foundation.conftest import real_keyring
from foundation.helpers import config_with, write_private

__all__ = ["config_path", "real_keyring"]


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "cfg" / "config.toml"
    write_private(path, config_with(3))
    return path
