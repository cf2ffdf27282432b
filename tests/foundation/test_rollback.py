"""Keyring and config change together or not at all.

The config write is made to fail for real, not by patching: the process gets a file-size
limit of 0 (RLIMIT_FSIZE, with SIGXFSZ ignored), so writing the new config fails with EFBIG
even for root, after the keyring step has already happened. The gnome-keyring daemon is
another process, so the real keyring is not limited.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from duoctl.errors import SecretStoreError
from duoctl.secrets import BackendInfo, StoreProblem
from duoctl.secrets.memory import MemorySecretStore
from foundation.helpers import (
    PROCESS_TIMEOUT_S,
    SECRET,
    SECRET_2,
    add_args,
    config_with,
    run_duoctl,
    secret_tool_lookup,
    write_private,
)

Cli = Callable[..., Any]
OLD_SECRET = "O" * 40


def _no_file_writes() -> None:
    # Runs in the child between fork and exec; both settings survive exec.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))


class FailingStore:
    """A MemorySecretStore whose chosen operations fail the way a broken keyring does."""

    def __init__(self, inner: MemorySecretStore, *, fail_on: set[str]) -> None:
        self.inner = inner
        self.fail_on = fail_on

    def _maybe_fail(self, op: str) -> None:
        if op in self.fail_on:
            raise SecretStoreError(f"the OS keyring failed to {op}: simulated")

    def get(self, name: str) -> str | None:
        self._maybe_fail("get")
        return self.inner.get(name)

    def set(self, name: str, secret: str) -> None:
        self._maybe_fail("set")
        self.inner.set(name, secret)

    def delete(self, name: str) -> bool:
        self._maybe_fail("delete")
        return self.inner.delete(name)

    def names(self) -> list[str] | None:
        return self.inner.names()

    def backend(self) -> BackendInfo:
        return self.inner.backend()

    def problems(self) -> list[StoreProblem]:
        return self.inner.problems()

    def preload(self) -> None:
        self.inner.preload()


@pytest.fixture
def seeded(config_path: Path, mem_store: MemorySecretStore) -> bytes:
    write_private(config_path, config_with(1))
    mem_store.set("p0", OLD_SECRET)
    return config_path.read_bytes()


@pytest.mark.parametrize(
    ("fail_on", "args", "stdin"),
    [
        ({"set"}, add_args("new"), SECRET),
        ({"get"}, add_args("new"), SECRET),
        (
            {"set"},
            [
                "provider",
                "edit",
                "p0",
                "--endpoint",
                "api-77777777.duosecurity.com",
                "--rotate-secret",
                "--client-secret-stdin",
            ],
            SECRET_2,
        ),
        ({"delete"}, ["provider", "remove", "p0", "--yes"], ""),
        ({"get"}, ["provider", "remove", "p0", "--yes"], ""),
    ],
    ids=["add-set", "add-get", "edit-rotate-set", "remove-delete", "remove-get"],
)
def test_keyring_failure_leaves_config_untouched(
    config_path: Path,
    mem_store: MemorySecretStore,
    seeded: bytes,
    fail_on: set[str],
    args: list[str],
    stdin: str,
) -> None:
    from conftest import Cli

    cli = Cli(mem_store)
    cli.store = FailingStore(mem_store, fail_on=fail_on)  # type: ignore[assignment]

    result = cli(*args, input=stdin + "\n")

    assert result.exit_code == 5, result.stderr
    assert "simulated" in result.stderr
    assert config_path.read_bytes() == seeded
    assert mem_store.names() == ["p0"]
    assert mem_store.get("p0") == OLD_SECRET


# The same operations in a child whose config write fails after the keyring step.
_CHILD = """
import json, sys
from pathlib import Path
from duoctl.errors import DuoctlError
from duoctl.providers import add_provider, edit_provider, remove_provider
from duoctl.secrets.memory import MemorySecretStore

op, config = sys.argv[1], Path(sys.argv[2])
store = MemorySecretStore()
store.set("p0", "O" * 40)
try:
    if op == "add":
        add_provider(config, store, name="new", endpoint="api-1.duosecurity.com",
                     client_id="DI" + "1" * 18, client_secret="N" * 40)
    elif op == "add-over-stale":
        store.set("new", "S" * 40)  # an orphan secret left by an earlier crash
        add_provider(config, store, name="new", endpoint="api-1.duosecurity.com",
                     client_id="DI" + "1" * 18, client_secret="N" * 40)
    elif op == "rotate":
        # With a config change, so that there is a write to fail (a pure rotation writes
        # nothing to the config).
        edit_provider(config, "p0", store, endpoint="api-2.duosecurity.com", new_secret="N" * 40)
    elif op == "remove":
        remove_provider(config, "p0", store)
    outcome = "ok"
except DuoctlError as exc:
    outcome = f"{type(exc).__name__}: {exc.message}"
print(json.dumps({"outcome": outcome, "secrets": {n: store.get(n) for n in store.names()}}))
"""


@pytest.mark.parametrize(
    ("op", "secrets"),
    [
        ("add", {"p0": OLD_SECRET}),
        ("add-over-stale", {"p0": OLD_SECRET, "new": "S" * 40}),
        ("rotate", {"p0": OLD_SECRET}),
        ("remove", {"p0": OLD_SECRET}),
    ],
)
def test_secret_rolled_back_when_config_write_fails(
    config_path: Path, seeded: bytes, op: str, secrets: dict[str, str]
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, op, str(config_path)],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        check=True,
        preexec_fn=_no_file_writes,
    )
    report = json.loads(result.stdout)
    assert report["outcome"].startswith("ConfigError: cannot write"), report
    assert report["secrets"] == secrets
    assert config_path.read_bytes() == seeded
    # The failed write cleaned up its temp file. The audit trail's append failed first (no
    # record, so no change): its file may exist, empty.
    assert sorted(p.name for p in config_path.parent.iterdir()) == [
        "config.audit.jsonl",
        "config.toml",
        "config.toml.lock",
    ]
    assert (config_path.parent / "config.audit.jsonl").read_bytes() == b""


@pytest.mark.real_keyring
def test_console_script_rolls_back_the_real_keyring(
    real_keyring: Callable[[Path], str], config_path: Path
) -> None:
    service = real_keyring(config_path)
    assert run_duoctl(add_args("p0"), input=OLD_SECRET + "\n").returncode == 0
    before = config_path.read_bytes()

    attempts = {
        "add": (add_args("new"), SECRET),
        "rotate": (
            [
                "provider",
                "edit",
                "p0",
                "--endpoint",
                "api-2.duosecurity.com",
                "--rotate-secret",
                "--client-secret-stdin",
            ],
            SECRET_2,
        ),
        "remove": (["provider", "remove", "p0", "--yes"], ""),
    }
    for what, (args, stdin) in attempts.items():
        result = run_duoctl(args, input=stdin + "\n", preexec_fn=_no_file_writes)
        assert result.returncode == 4, (what, result.stderr)
        assert "cannot write" in result.stderr, what
        assert "Traceback" not in result.stderr
        assert config_path.read_bytes() == before, what
        assert secret_tool_lookup(service, "p0") == OLD_SECRET, what
        assert secret_tool_lookup(service, "new") is None, what


def test_adding_into_an_inline_providers_table(
    cli: Cli, mem_store: MemorySecretStore, config_path: Path
) -> None:
    # A valid file whose providers are an inline table once made tomlkit raise
    # ValueError("Inline tables cannot contain a table") in the fallback edit
    # (config/edit.py, ConfigEdit._apply_with_tomlkit), which reached the user as "internal
    # error (ValueError)", exit 1. Either add the provider or refuse with a ConfigError
    # (exit 4); the secret must follow the outcome.
    text = (
        'schema_version = 1\nproviders = { p0 = { endpoint = "api-1.duosecurity.com", '
        'client_id = "DI000000000000000000" } }\n'
    )
    write_private(config_path, text)
    mem_store.set("p0", OLD_SECRET)

    result = cli(*add_args("new"), input=SECRET + "\n")

    assert "internal error" not in result.stderr
    assert result.exit_code in (0, 4), result.stderr
    providers = tomllib.loads(config_path.read_text())["providers"]
    if result.exit_code == 0:
        assert set(providers) == {"p0", "new"}
        assert mem_store.get("new") == SECRET
    else:
        assert config_path.read_text() == text
        assert mem_store.names() == ["p0"]
