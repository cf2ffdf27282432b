"""The write commands' --json through the real `duoctl` console script, the secret in the
real Secret Service: one envelope on stdout saying what was stored where, the status lines
on stderr as in text mode, and the error envelope when a command fails."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from foundation.helpers import (
    CLIENT_ID,
    SECRET,
    SECRET_2,
    add_args,
    run_duoctl,
    secret_tool_lookup,
)

pytestmark = pytest.mark.real_keyring

NEW_ID = "DIZYXWVUTSRQPONMLKJI"


def _ok(command: str, *args: str, input: str | None = None) -> tuple[dict[str, Any], str]:
    """Run `duoctl COMMAND ARGS --json`: its envelope's data (exit 0, one envelope, nothing
    else on stdout) and its stderr."""
    got = run_duoctl([*command.split(), *args, "--json"], input=input)
    assert got.returncode == 0, got.stderr
    envelope = json.loads(got.stdout)
    assert set(envelope) == {"duoctl", "command", "ok", "data"}
    assert (envelope["duoctl"], envelope["command"], envelope["ok"]) == (1, command, True)
    return envelope["data"], got.stderr


def _shown(name: str) -> dict[str, Any]:
    data, _ = _ok("provider show", name)
    return data


def _failed(args: list[str], code: int, kind: str) -> dict[str, Any]:
    got = run_duoctl([*args, "--json"])
    assert got.returncode == code, got.stderr
    envelope = json.loads(got.stdout)
    assert envelope["ok"] is False
    assert (envelope["error"]["exit_code"], envelope["error"]["kind"]) == (code, kind)
    assert f"error: {envelope['error']['message']}\n" in got.stderr
    return envelope


@pytest.fixture
def keyring_service(real_keyring: Callable[[Path], str], config_path: Path) -> str:
    return real_keyring(config_path)


def test_provider_writes_say_what_was_stored_where(keyring_service: str, config_path: Path) -> None:
    added, said = _ok("provider add", *add_args("prod")[2:], input=SECRET + "\n")
    shown = _shown("prod")
    # The provider exactly as `provider show --json` shows it, its store named.
    assert added == {"changed": True, "provider": shown}
    assert shown["secret_present"] is True
    assert shown["secret_backend"] == "keyring"
    store = shown["secret_store"]
    assert store.startswith("the OS keyring")
    assert said.splitlines() == [
        f"added provider 'prod' (enabled); secret stored in {store}",
        f"created {config_path}",  # the first write made the file
    ]
    assert secret_tool_lookup(keyring_service, "prod") == SECRET

    edited, said = _ok(
        "provider edit",
        "prod",
        "--client-id",
        NEW_ID,
        "--rotate-secret",
        "--client-secret-stdin",
        input=SECRET_2 + "\n",
    )
    assert edited == {
        "changed": True,
        "changed_fields": ["client_id"],
        "secret_rotated": True,
        "provider": _shown("prod"),
    }
    assert edited["provider"]["client_id"] == NEW_ID
    assert said == f"updated provider 'prod'; secret rotated in {store}\n"
    assert secret_tool_lookup(keyring_service, "prod") == SECRET_2

    unchanged, said = _ok("provider edit", "prod", "--client-id", NEW_ID)
    assert (unchanged["changed"], unchanged["changed_fields"]) == (False, [])
    assert said == "provider 'prod' already had those values; nothing changed\n"

    # enable/disable do not ask the store: its fields are null, the rest is show's.
    not_asked = {"secret_present": None, "secret_store": None, "secret_backend": None}
    disabled, said = _ok("provider disable", "prod")
    assert disabled == {"changed": True, "provider": {**_shown("prod"), **not_asked}}
    assert disabled["provider"]["enabled"] is False
    assert said == "provider 'prod' is disabled\n"
    again, said = _ok("provider disable", "prod")
    assert again["changed"] is False
    assert said == "provider 'prod' is disabled (it already was disabled)\n"

    removed, said = _ok("provider remove", "prod", "--yes")
    assert removed == {
        "changed": True,
        "provider": {
            **shown,
            "client_id": NEW_ID,
            "enabled": False,
            "secret_present": False,
        },
        "secret_deleted": True,
        "secret_kept": False,
        "duo_application": None,
    }
    assert said == f"removed provider 'prod' and its secret from {store}\n"
    assert secret_tool_lookup(keyring_service, "prod") is None


def test_text_mode_says_the_same_on_stderr_and_nothing_on_stdout(keyring_service: str) -> None:
    assert run_duoctl(add_args("prod"), input=SECRET + "\n").returncode == 0
    text = run_duoctl(["provider", "enable", "prod"])
    _, said = _ok("provider enable", "prod")
    assert (text.returncode, text.stdout) == (0, "")
    assert text.stderr == said == "provider 'prod' is enabled (it already was enabled)\n"


def test_mfa_writes_give_the_state_after_them(keyring_service: str) -> None:
    assert run_duoctl(add_args("prod"), input=SECRET + "\n").returncode == 0
    status = {"enabled_providers": ["prod"], "failmode": "closed"}

    enabled, said = _ok("mfa enable", "--yes", "--failmode", "closed")
    after, _ = _ok("mfa status")
    assert enabled == {"changed": True, "mfa": after}
    assert {**after, **status, "enabled": True} == after
    assert said.splitlines()[1:] == [
        "external MFA is enabled; session cookie SameSite is now Lax (was Strict); failmode closed",
        "warning: the platform's URL Application parameter is not set: Duo cannot send users "
        "back to the platform (set it with 'duoctl platform url set https://NAME')",
    ]
    assert said.startswith("CAUTION: ")

    already, said = _ok("mfa enable", "--yes")
    assert already == {"changed": False, "mfa": after}
    assert said == "external MFA is already enabled; nothing changed\n"

    opened, said = _ok("mfa failmode", "open", "--yes")
    assert opened["changed"] is True
    assert opened["mfa"]["failmode"] == "open"
    assert said.splitlines() == [
        "failmode is open: while Duo cannot be reached, users log in with their password "
        "alone, without a second factor",
        "warning: failmode is open: while Duo cannot be reached, users log in with their "
        "password alone, without a second factor",
    ]
    shown, said = _ok("mfa failmode")
    assert shown == {
        "failmode": "open",
        "consequence": "while Duo cannot be reached, users log in with their password "
        "alone, without a second factor",
    }
    assert said == ""

    disabled, said = _ok("mfa disable", "--yes")
    assert disabled == {"changed": True, "mfa": _ok("mfa status")[0]}
    assert (disabled["mfa"]["enabled"], disabled["mfa"]["session_cookie_samesite"]) == (
        False,
        "Strict",
    )
    assert said == "external MFA is disabled; session cookie SameSite is Strict\n"


def test_failures_under_json_are_the_error_envelope_and_change_nothing(
    keyring_service: str, config_path: Path
) -> None:
    assert run_duoctl(add_args("prod"), input=SECRET + "\n").returncode == 0
    before = config_path.read_bytes()

    got = run_duoctl([*add_args("prod", cid=NEW_ID), "--json"], input=SECRET_2 + "\n")
    assert got.returncode == 4
    assert json.loads(got.stdout) == {
        "duoctl": 1,
        "command": "provider add",
        "ok": False,
        "error": {
            "kind": "config",
            "exit_code": 4,
            "message": f"a provider named 'prod' already exists in {config_path}",
            "hint": "choose another name, or use 'duoctl provider edit'",
        },
    }
    # No terminal and no --yes: the question cannot be answered (exit 2), nothing removed.
    _failed(["provider", "remove", "prod"], 2, "usage")
    _failed(["mfa", "enable", "--yes"], 2, "usage")  # no failmode, nobody to ask
    _failed(["provider", "disable", "ghost"], 4, "provider_not_found")
    assert config_path.read_bytes() == before
    assert secret_tool_lookup(keyring_service, "prod") == SECRET
    assert _shown("prod")["client_id"] == CLIENT_ID
