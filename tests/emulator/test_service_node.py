"""The Node.js recipe, run for real: ``node --test`` on tests/emulator/node/service.test.cjs,
which starts ``duoctl emulator --json`` itself and drives Duo's official Node SDK through a
scripted deny and approve. Node and the SDK come from tests/support/node_deps.sh; a machine
without node skips locally, and under DUOCTL_REQUIRE_REAL=1 (CI) this fails instead."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from support.real_components import require_real

from .service_process import clean_env, duoctl_argv

HERE = Path(__file__).parent
NODE_DEPS = HERE.parent / "support" / "node_deps.sh"


def _sdk_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(os.environ.get("DUOCTL_NODE_SDK_DIR") or default / "duoctl-tests" / "node-sdk")


def test_node_sdk_deny_then_approve_through_the_control_api() -> None:
    sdk = _sdk_dir()
    if shutil.which("bash") is not None:
        # Idempotent and offline when the pinned SDK is already there.
        subprocess.run(["bash", str(NODE_DEPS), str(sdk)], check=False, timeout=600)
    require_real("Node.js", shutil.which("node") is not None, "node is not installed")
    installed = (sdk / "node_modules" / "@duosecurity" / "duo_universal").is_dir()
    require_real("Duo Node SDK", installed, f"@duosecurity/duo_universal is not in {sdk}")
    env = {
        **clean_env(),
        "DUOCTL_NODE_SDK_DIR": str(sdk),
        "DUOCTL_COMMAND": json.dumps(duoctl_argv()),
    }
    result = subprocess.run(
        ["node", "--test", str(HERE / "node" / "service.test.cjs")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# pass 2" in result.stdout, result.stdout
    assert "# fail 0" in result.stdout
