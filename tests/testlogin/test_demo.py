"""``duoctl demo``: the whole flow against a built-in emulator, through the installed console
script. It needs no keyring and no config: nothing here touches the Secret Service."""

from __future__ import annotations

import json
import socket

import pytest

from duoctl.errors import ExitCode
from testlogin.helpers import (
    assert_port_closed,
    callback_port_from_prompt,
    duoctl_env,
    run_duoctl,
)


def test_demo_needs_no_keyring_approve() -> None:
    result = run_duoctl("demo", "--delay", "0")

    assert result.code == ExitCode.OK, result.stderr
    assert "ALLOWED" in result.stdout
    assert "Login Successful" in result.stdout
    assert "demo finished" in result.stderr
    assert_port_closed(callback_port_from_prompt(result.stderr))


def test_demo_deny_exits_6() -> None:
    result = run_duoctl("demo", "--delay", "0", "--outcome", "deny")

    assert result.code == ExitCode.DUO_DENIED, result.stderr
    assert "DENIED" in result.stdout
    assert "Duo denied the login for 'alice'" in result.stderr
    assert_port_closed(callback_port_from_prompt(result.stderr))


def test_demo_json_is_one_document_without_tokens() -> None:
    result = run_duoctl("demo", "--delay", "0", "--json")

    assert result.code == ExitCode.OK, result.stderr
    document = json.loads(result.stdout)  # the whole of stdout: exactly one document
    assert document["command"] == "demo"
    assert document["ok"] is True
    claims = document["data"]["claims"]
    assert claims["auth_result"]["status"] == "allow"
    assert "eyJ" not in result.stdout
    assert "duo_code" not in result.stdout
    assert_port_closed(callback_port_from_prompt(result.stderr))


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"])
def test_demo_ignores_a_proxy_variable_left_in_the_environment(variable: str) -> None:
    # A server's years-old `export HTTPS_PROXY=...` must not break the README's main command:
    # the emulator is on loopback. The "proxy" is a loopback listener that never answers;
    # had the login gone through it, the health check would hang there and fail.
    with socket.create_server(("127.0.0.1", 0)) as proxy:
        proxy_url = f"http://127.0.0.1:{proxy.getsockname()[1]}"
        result = run_duoctl("demo", "--delay", "0", env=duoctl_env(**{variable: proxy_url}))
        proxy.setblocking(False)
        with pytest.raises(BlockingIOError):
            proxy.accept()  # nobody connected to it

    assert result.code == ExitCode.OK, result.stderr
    assert "ALLOWED" in result.stdout
