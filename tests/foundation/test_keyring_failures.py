"""An unusable keyring: the real console script with PYTHON_KEYRING_BACKEND pointing at a
failing backend. Each case must end with exit 5, one clear error line (no traceback) and
the config exactly as it was: no provider without its secret, no secret change half-done.
"""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from foundation.helpers import (
    SECRET,
    SECRET_2,
    add_args,
    config_with,
    run_duoctl,
    write_private,
)

FAIL = "keyring.backends.fail.Keyring"
NULL = "keyring.backends.null.Keyring"
LOCKED = "support.keyring_backends.LockedKeyring"
HANGING = "support.keyring_backends.HangingKeyring"
PLAINTEXT = "support.keyring_backends.PlaintextFileKeyring"

# Each command mutates the keyring; each runs on its own copy of a one-provider config.
COMMANDS: dict[str, tuple[list[str], str]] = {
    "add": (add_args("new"), SECRET + "\n"),
    "rotate": (["provider", "edit", "p0", "--rotate-secret", "--client-secret-stdin"], SECRET_2),
    "remove": (["provider", "remove", "p0", "--yes"], ""),
}


def _run_all(
    tmp_path: Path, backend: str, env: dict[str, str], commands: tuple[str, ...]
) -> dict[str, tuple[subprocess.CompletedProcess[str], bytes, Path]]:
    jobs = {}
    for command in commands:
        config = tmp_path / command / "config.toml"
        write_private(config, config_with(1))
        jobs[command] = config
    # In parallel: the hanging case waits out its deadline once per command.
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = {
            command: pool.submit(
                run_duoctl,
                COMMANDS[command][0],
                config=config,
                input=COMMANDS[command][1],
                keyring_backend=backend,
                env=env,
            )
            for command, config in jobs.items()
        }
        return {
            command: (futures[command].result(), config_with(1).encode(), jobs[command])
            for command in jobs
        }


ALL = tuple(COMMANDS)


# null and plaintext pass the same gate as fail (the backend check before any keyring call),
# so "add" alone shows they are refused; the others fail inside the call, per command.
@pytest.mark.parametrize(
    ("backend", "env", "expected", "commands"),
    [
        pytest.param(FAIL, {}, "no usable OS keyring", ALL, id="fail"),
        pytest.param(NULL, {}, "no usable OS keyring", ("add",), id="null"),
        pytest.param(LOCKED, {}, "keyring is locked", ALL, id="locked"),
        pytest.param(
            HANGING,
            {"DUOCTL_KEYRING_TIMEOUT": "1"},
            "did not answer within 1 s",
            ALL,
            id="hanging",
        ),
        pytest.param(
            PLAINTEXT, {}, "stores secrets in plain text", ("add",), id="plaintext-refused"
        ),
    ],
)
def test_unusable_keyring_changes_nothing(
    tmp_path: Path, backend: str, env: dict[str, str], expected: str, commands: tuple[str, ...]
) -> None:
    env = {**env, "DUOCTL_TEST_KEYRING_FILE": str(tmp_path / "plain.json")}
    results = _run_all(tmp_path, backend, env, commands)
    for command, (result, before, config) in results.items():
        where = f"{command}: stderr={result.stderr!r}"
        assert result.returncode == 5, where
        assert "Traceback" not in result.stderr, where
        assert result.stderr.count("error:") == 1, where
        assert expected in result.stderr, where
        assert result.stdout == "", where
        assert config.read_bytes() == before, where
    # Nothing reached the plain-text file either.
    assert not (tmp_path / "plain.json").exists()


def test_plaintext_backend_accepted_with_a_loud_warning(tmp_path: Path, config_path: Path) -> None:
    store = tmp_path / "plain.json"
    env = {"DUOCTL_TEST_KEYRING_FILE": str(store), "DUOCTL_ALLOW_PLAINTEXT_KEYRING": "1"}

    result = run_duoctl(add_args("prod"), input=SECRET + "\n", keyring_backend=PLAINTEXT, env=env)

    assert result.returncode == 0, result.stderr
    # One warning per command (three identical ones read like three problems), and the
    # success line names the plain-text backend instead of "the OS keyring".
    assert result.stderr.count("secrets are stored in PLAIN TEXT") == 1, result.stderr
    assert "secret stored in the PLAIN-TEXT keyring backend support.keyring_backends." in (
        result.stderr
    )
    assert "OS keyring" not in result.stderr
    stored = json.loads(store.read_text())
    # The secret, and the audit trail's fingerprint key (duoctl's own, "_"-named entry).
    assert sorted(key.rpartition("\x00")[2] for key in stored) == ["_audit-fingerprint-key", "prod"]
    assert [v for k, v in stored.items() if k.endswith("\x00prod")] == [SECRET]
    assert "prod" in config_path.read_text()


def test_show_with_a_failing_keyring_degrades_to_unknown(config_path: Path) -> None:
    write_private(config_path, config_with(1))

    result = run_duoctl(["provider", "show", "p0", "--json"], keyring_backend=LOCKED)

    # show is read-only: the provider is still worth showing, with the keyring state unknown.
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)["data"]
    assert data["secret_present"] is None
    assert any("keyring is locked" in w for w in data["warnings"])
    assert "Traceback" not in result.stderr


def test_read_only_commands_never_touch_the_keyring(config_path: Path) -> None:
    write_private(config_path, config_with(2))
    # A keyring that would hang forever: list and mfa status must not even look at it.
    for args in (["provider", "list"], ["mfa", "status"], ["provider", "disable", "p1"]):
        result = run_duoctl(args, keyring_backend=HANGING, timeout=30)
        assert result.returncode == 0, (args, result.stderr)
