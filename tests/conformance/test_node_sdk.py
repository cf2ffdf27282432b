"""Duo's official Node.js SDK (@duosecurity/duo_universal), unmodified, through every scenario,
20 times, with random sub-second pauses (the SDK's iat is Math.round of the time, so up to
half a second in the future about half the time: the emulator's iat leeway must absorb it).

Node and the SDK come from tests/support/node_deps.sh (run here when the SDK is missing). A
machine without node skips this locally; under DUOCTL_REQUIRE_REAL=1 (CI) it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from support.real_components import require_real

from .conftest import MAX_DELAY, REDIRECT_URI, RUNS, SCENARIOS, Duo
from .expectations import check

HERE = Path(__file__).parent
NODE_DEPS = HERE.parent / "support" / "node_deps.sh"
SDK_DIR_ENV = "DUOCTL_NODE_SDK_DIR"


def sdk_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(os.environ.get(SDK_DIR_ENV) or default / "duoctl-tests" / "node-sdk")


@pytest.fixture(scope="module")
def node_sdk() -> Path:
    """The directory holding node_modules/@duosecurity/duo_universal (installed if absent)."""
    directory = sdk_dir()
    if shutil.which("bash") is not None:
        # Idempotent and offline when the pinned SDK is already there.
        subprocess.run(["bash", str(NODE_DEPS), str(directory)], check=False, timeout=600)
    has_node = shutil.which("node") is not None
    require_real("Node.js", has_node, "node is not installed (Debian: nodejs)")
    installed = (directory / "node_modules" / "@duosecurity" / "duo_universal").is_dir()
    require_real(
        "Duo Node SDK", installed, f"@duosecurity/duo_universal is not installed in {directory}"
    )
    return directory


def test_node_sdk_completes_every_scenario_every_run(duo: Duo, node_sdk: Path) -> None:
    config = {
        "clientId": duo.client_id,
        "clientSecret": duo.client_secret,
        "redirectUri": REDIRECT_URI,
        "caFile": str(duo.ca_bundle),
        "runs": RUNS,
        "maxDelayMs": MAX_DELAY * 1000,
        "scenarios": [
            {"name": s.name, "username": s.username, "apiHost": duo.host(s)} for s in SCENARIOS
        ],
    }
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(duo.ca_bundle)}
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        env.pop(name, None)  # loopback only, never through a proxy
    result = subprocess.run(
        ["node", str(HERE / "node_driver.cjs"), str(node_sdk)],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    observations = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(observations) == RUNS * len(SCENARIOS)
    by_name = {s.name: s for s in SCENARIOS}
    for seen in observations:
        check(by_name[seen["scenario"]], seen)
