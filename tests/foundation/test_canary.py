"""A known secret goes in through every path that takes one; it must come out nowhere:
not on stdout or stderr of any command (errors included), not in the config, not in any
other file duoctl writes, not in the argv (it travels by stdin or environment)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from foundation.helpers import add_args, run_duoctl_many


def _canary() -> str:
    value = "Canary" + uuid.uuid4().hex + "zz"
    assert len(value) == 40
    assert value.isalnum()
    return value


def _steps(first: str, second: str) -> list[tuple[list[str], str, dict[str, str]]]:
    """(argv, stdin, extra env) for each command; the secret never appears in argv."""
    rotate = ["provider", "edit", "prod", "--rotate-secret"]
    # Some steps with --json: the envelope says what was stored where, never the secret.
    return [
        (add_args("prod"), first + "\n", {}),
        ([*add_args("envy")[:-1], "--json"], "", {"DUOCTL_CLIENT_SECRET": first}),
        # Error paths with the secret in hand: duplicate, bad client ID, bad secret length.
        ([*add_args("prod"), "--json"], first + "\n", {}),
        (add_args("bad", cid="DI123"), first + "\n", {}),
        (add_args("long"), first + "x\n", {}),
        (add_args("bang"), first[:-1] + "!\n", {}),
        ([*rotate, "--client-secret-stdin"], second + "\n", {}),
        ([*rotate, "--json"], "", {"DUOCTL_CLIENT_SECRET": second}),
        (["provider", "show", "prod"], "", {}),
        (["provider", "show", "prod", "--json"], "", {}),
        (["provider", "list"], "", {}),
        (["provider", "list", "--json"], "", {}),
        (["mfa", "enable", "--yes", "--failmode", "closed"], "", {}),
        (["mfa", "status"], "", {}),
        (["mfa", "status", "--json"], "", {}),
        (["provider", "show", "ghost", "--json"], "", {"DUOCTL_CLIENT_SECRET": first}),
        (["provider", "remove", "envy", "--yes", "--json"], "", {}),
        # prod is now the last enabled provider: --force, as the lockout guard wants.
        (
            ["provider", "disable", "prod", "--force", "--json"],
            "",
            {"DUOCTL_CLIENT_SECRET": second},
        ),
    ]


EXPECTED_CODES = [0, 0, 4, 3, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0]
FAIL = "keyring.backends.fail.Keyring"


def _assert_nowhere(canaries: tuple[str, ...], outputs: list[str], root: Path) -> None:
    for canary in canaries:
        for text in outputs:
            assert canary not in text
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                data = (Path(dirpath) / name).read_bytes()
                assert canary.encode() not in data, Path(dirpath) / name


def test_secret_canary_in_process(cli: Callable[..., Any], tmp_path: Path) -> None:
    first, second = _canary(), _canary()
    outputs = []
    codes = []
    for argv, stdin, env in _steps(first, second):
        assert first not in " ".join(argv)
        assert second not in " ".join(argv)
        result = cli(*argv, input=stdin, env=env or None)
        codes.append(result.exit_code)
        outputs += [result.stdout, result.stderr]
    # The canary really went through the success paths (and the failures failed).
    assert codes == EXPECTED_CODES
    assert cli.store.get("prod") == second  # type: ignore[attr-defined]
    _assert_nowhere((first, second), outputs, tmp_path)


@pytest.mark.real_keyring
def test_secret_canary_console_script(
    real_keyring: Callable[[Path], str], config_path: Path, tmp_path: Path
) -> None:
    real_keyring(config_path)
    first, second = _canary(), _canary()
    steps = _steps(first, second)
    for argv, _stdin, _env in steps:
        assert first not in " ".join(argv)
        assert second not in " ".join(argv)
    # Only the steps where the secret is in duoctl's hands; the read-only ones are covered
    # in-process above, and each process here costs about half a second of CPU.
    keep = [i for i, (_argv, stdin, env) in enumerate(steps) if stdin or env]
    calls = [(steps[i][0], {"input": steps[i][1], "env": steps[i][2]}) for i in keep]
    # A keyring that fails while the secret is in hand: one more error path.
    calls.append(
        (
            ["provider", "edit", "prod", "--rotate-secret"],
            {"env": {"DUOCTL_CLIENT_SECRET": first}, "keyring_backend": FAIL},
        )
    )
    # The two adds first (the rest needs them), then everything else in parallel: the
    # order of the others does not matter for where the secret may show up.
    results = run_duoctl_many(calls[:2]) + run_duoctl_many(calls[2:])

    assert [r.returncode for r in results] == [*(EXPECTED_CODES[i] for i in keep), 5], results
    outputs = [text for r in results for text in (r.stdout, r.stderr)]
    _assert_nowhere((first, second), outputs, tmp_path)
