"""Read-only commands stay fast by not importing what they do not use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from foundation.helpers import PROCESS_TIMEOUT_S, child_env, config_with, write_private

# duo_client (the Admin API client) is imported only by the Admin API commands (issue 11).
HEAVY = (
    "keyring",
    "duo_universal",
    "duo_client",
    "requests",
    "jwt",
    "pydantic",
    "tomlkit",
    "cryptography",
)

_PROBE = """
import json, sys
from duoctl.cli.app import run
code = run(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def _probe(config_path: Path, args: list[str]) -> tuple[dict[str, object], str]:
    """Run duoctl in a fresh interpreter; its exit code and every module it loaded."""
    write_private(config_path, config_with(20))
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        env=child_env(config_path),
        timeout=PROCESS_TIMEOUT_S,
        check=True,
    )
    report: dict[str, object] = json.loads(result.stderr.splitlines()[-1])
    return report, result.stdout


@pytest.mark.parametrize(
    "args", [["provider", "list"], ["provider", "list", "--json"], ["mfa", "status"]]
)
def test_read_only_commands_import_nothing_heavy(config_path: Path, args: list[str]) -> None:
    report, stdout = _probe(config_path, args)
    assert report["code"] == 0
    assert "p19" in stdout
    modules = report["modules"]
    assert isinstance(modules, list)
    loaded = {name.split(".")[0] for name in modules}
    assert sorted(loaded.intersection(HEAVY)) == []


# duoctl's own modules that `provider list` must leave alone: writers, the keyring seam,
# and the other commands (only the named command is built).
NOT_ON_THE_LIST_PATH = (
    "duoctl.config.edit",
    "duoctl.config.line_edits",
    "duoctl.providers",
    "duoctl.secrets.keyring_store",
    "duoctl.secrets.select",
    "duoctl.cli.mfa_cmd",
    "duoctl.cli.testlogin_cmd",
    "duoctl.cli.doctor_cmd",
    "duoctl.cli.emulator_cmd",
    "duoctl.cli.admin_cmd",
    "duoctl.admin.client",
    "duoctl.admin.session",
    "duoctl.admin.provision",
)


def test_provider_list_loads_only_its_own_command(config_path: Path) -> None:
    report, _stdout = _probe(config_path, ["provider", "list"])
    assert report["code"] == 0
    modules = report["modules"]
    assert isinstance(modules, list)
    assert "duoctl.cli.provider_cmd" in modules
    assert sorted(set(modules).intersection(NOT_ON_THE_LIST_PATH)) == []
