"""Hangs fail instead of hanging: pytest-timeout is on for every test, longer for slow ones."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SLOW_TEST_TIMEOUT_S

REPO = Path(__file__).resolve().parents[2]


def test_every_test_has_a_default_limit(pytestconfig: pytest.Config) -> None:
    assert float(pytestconfig.getini("timeout")) == 90


@pytest.mark.slow
def test_a_slow_test_gets_the_longer_limit(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("timeout")
    assert marker is not None
    assert marker.args == (SLOW_TEST_TIMEOUT_S,)


def test_an_unmarked_test_keeps_the_default(request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("timeout") is None


def test_a_hanging_test_fails_with_the_repository_settings(tmp_path: Path) -> None:
    # The project's own pytest configuration (only the limit shortened) on a test that
    # would sleep for a minute: it must fail, naming the timeout, well before that.
    (tmp_path / "test_hang.py").write_text(
        "import time\n\n\ndef test_hang():\n    time.sleep(60)\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(REPO / "pyproject.toml"),
            "--rootdir",
            str(tmp_path),
            "-p",
            "no:cacheprovider",
            "-o",
            "timeout=2",
            str(tmp_path / "test_hang.py"),
        ],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Timeout (>2.0s)" in result.stdout + result.stderr
