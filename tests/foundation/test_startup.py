"""Read-only commands stay fast by not importing what they do not use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from foundation.helpers import PROCESS_TIMEOUT_S, child_env, config_with, write_private

HEAVY = ("keyring", "duo_universal", "requests", "jwt", "pydantic", "tomlkit", "cryptography")

_PROBE = """
import json, sys
from duoctl.cli.app import run
code = run(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args", [["provider", "list"], ["provider", "list", "--json"], ["mfa", "status"]]
)
def test_read_only_commands_import_nothing_heavy(config_path: Path, args: list[str]) -> None:
    write_private(config_path, config_with(20))
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        env=child_env(config_path),
        timeout=PROCESS_TIMEOUT_S,
        check=True,
    )
    report = json.loads(result.stderr.splitlines()[-1])
    assert report["code"] == 0
    assert "p19" in result.stdout
    loaded = {name.split(".")[0] for name in report["modules"]}
    assert sorted(loaded.intersection(HEAVY)) == []
