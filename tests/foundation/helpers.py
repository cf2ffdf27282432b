"""Shared values and the console-script runner for the foundation tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TESTS_DIR = Path(__file__).resolve().parents[1]
# The venv's console script: the one `pip install -e .` generated, not whatever is on PATH.
DUOCTL = str(Path(sys.executable).parent / "duoctl")
SECRET_TOOL = shutil.which("secret-tool")

ENDPOINT = "api-1234abcd.duosecurity.com"
CLIENT_ID = "DIABCDEFGHIJKLMNOPQR"
SECRET = "Sb3cretSecretSecretSecretSecretSecret001"
SECRET_2 = "Rotated0Rotated0Rotated0Rotated0Rotated0"
assert len(SECRET) == len(SECRET_2) == 40

# Generous: a loaded 2-CPU CI box; a hang is what these catch, not slowness.
PROCESS_TIMEOUT_S = 60


def client_id(i: int) -> str:
    return f"DI{i:018d}"


def secret(i: int) -> str:
    return f"s{i:039d}"


def provider_block(
    name: str, *, endpoint: str = ENDPOINT, cid: str = CLIENT_ID, enabled: bool = True
) -> str:
    return (
        f"[providers.{name}]\n"
        'type = "duo"\n'
        f"enabled = {'true' if enabled else 'false'}\n"
        f'endpoint = "{endpoint}"\n'
        f'client_id = "{cid}"\n'
    )


def config_with(count: int, *, mfa: bool = False) -> str:
    """A valid config with providers p0..p{count-1}."""
    head = f"schema_version = 1\n\n[external_mfa]\nenabled = {'true' if mfa else 'false'}\n"
    blocks = [provider_block(f"p{i}", cid=client_id(i)) for i in range(count)]
    return head + "".join("\n" + b for b in blocks)


def write_private(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = text.encode() if isinstance(text, str) else text
    path.write_bytes(data)
    path.chmod(0o600)


def child_env(
    config: Path | None = None,
    *,
    keyring_backend: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment for a duoctl child: the test's (already isolated) one, plus these."""
    env = dict(os.environ)
    if config is not None:
        env["DUOCTL_CONFIG"] = str(config)
    # So PYTHON_KEYRING_BACKEND=support.keyring_backends.X can be imported by the child.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH")]))
    if keyring_backend is not None:
        env["PYTHON_KEYRING_BACKEND"] = keyring_backend
    if extra:
        env.update(extra)
    return env


def run_duoctl(
    args: Sequence[str],
    *,
    config: Path | None = None,
    input: str | None = None,
    keyring_backend: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = PROCESS_TIMEOUT_S,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DUOCTL, *args],
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        env=child_env(config, keyring_backend=keyring_backend, extra=env),
        timeout=timeout,
        check=False,
        preexec_fn=preexec_fn,
    )


# duoctl's entry, as the console script calls it, in a fresh interpreter that then reports
# on stderr every module the run loaded.
_PROBE = """
import json, sys
from duoctl.cli.app import run
code = run(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


@dataclass(frozen=True)
class Probed:
    code: int
    stdout: str
    stderr: str  # the run's own, without the probe's report
    modules: list[str]


def run_probed(
    args: Sequence[str],
    *,
    config: Path | None = None,
    keyring_backend: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Probed:
    """Run ``duoctl ARGS`` and say which modules it imported (what a command costs)."""
    import json

    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        env=child_env(config, keyring_backend=keyring_backend, extra=env),
        timeout=PROCESS_TIMEOUT_S,
        check=True,
    )
    *lines, last = result.stderr.splitlines(keepends=True)
    report = json.loads(last)
    return Probed(report["code"], result.stdout, "".join(lines), report["modules"])


def add_args(name: str, *, cid: str = CLIENT_ID, endpoint: str = ENDPOINT) -> list[str]:
    return [
        "provider",
        "add",
        name,
        "--endpoint",
        endpoint,
        "--client-id",
        cid,
        "--client-secret-stdin",
    ]


def read_bytes_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def secret_tool_lookup(service: str, username: str) -> str | None:
    """The secret as libsecret (an independent client) sees it, or None if absent."""
    assert SECRET_TOOL is not None
    result = subprocess.run(
        [SECRET_TOOL, "lookup", "service", service, "username", username],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        check=False,
    )
    return result.stdout if result.returncode == 0 else None


def run_duoctl_many(
    calls: Sequence[tuple[Sequence[str], Mapping[str, Any]]], workers: int = 4
) -> list[subprocess.CompletedProcess[str]]:
    """run_duoctl(args, **kwargs) for each call, several at once; results in call order."""
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(run_duoctl, args, **kwargs) for args, kwargs in calls]
        return [future.result() for future in futures]
