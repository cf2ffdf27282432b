"""``duoctl test-login`` end to end: the installed console script, the emulator over real TLS
on loopback, the Client Secret read from the real Secret Service.

Every test checks three things: the exit code from the documented table, the message a person
reads on stderr, and that the one-time callback port is closed once duoctl has returned.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from duoctl.emulator import EmulatedUser, Emulator, SeenRequest
from duoctl.errors import ExitCode
from duoctl.secrets.keyring_store import KeyringSecretStore
from testlogin.conftest import PROVIDER, USERS, Provider, add_provider_via_cli
from testlogin.helpers import (
    assert_port_closed,
    callback_port_from_prompt,
    free_port,
)

pytestmark = pytest.mark.real_keyring


def test_approve_prints_the_result_and_closes_the_port(provider: Provider) -> None:
    result = provider.test_login()

    assert result.code == ExitCode.OK, result.stderr
    assert "ALLOWED" in result.stdout
    assert "Login Successful" in result.stdout
    assert "alice" in result.stdout
    assert "health check of " + provider.emulator.api_host in result.stderr
    assert_port_closed(callback_port_from_prompt(result.stderr))


def test_json_output_carries_claims_but_no_token(provider: Provider) -> None:
    import json

    result = provider.test_login("--json")

    assert result.code == ExitCode.OK, result.stderr
    document = json.loads(result.stdout)
    assert document["ok"] is True
    assert document["data"]["claims"]["preferred_username"] == "alice"
    assert "eyJ" not in result.stdout  # neither the id_token nor any other JWT
    assert_port_closed(callback_port_from_prompt(result.stderr))


def test_deny_in_the_token_exits_6(provider: Provider) -> None:
    result = provider.test_login(username="bob")

    assert result.code == ExitCode.DUO_DENIED, result.stderr
    assert "DENIED" in result.stdout
    assert "error: Duo denied the login for 'bob'" in result.stderr
    assert_port_closed(callback_port_from_prompt(result.stderr))


@pytest.mark.parametrize(
    ("username", "description"),
    [
        ("fred", "The user reported this login request as fraudulent."),
        ("lou", "The user is locked out."),
    ],
)
def test_access_denied_redirect_exits_6(
    provider: Provider, username: str, description: str
) -> None:
    result = provider.test_login(username=username)

    assert result.code == ExitCode.DUO_DENIED, result.stderr
    assert f"Duo denied the login for {username!r}: {description} (access_denied)" in result.stderr
    assert result.stdout == ""
    assert_port_closed(callback_port_from_prompt(result.stderr))


def test_unanswered_push_times_out_with_exit_9(provider: Provider) -> None:
    result = provider.test_login("--timeout", "2", username="tim")

    assert result.code == ExitCode.TIMEOUT, result.stderr
    # The built-in follower waits on Duo's page: it knows Duo never sent it back.
    assert "Duo never answered within 2 s" in result.stderr
    assert "raise --timeout" in result.stderr
    assert_port_closed(callback_port_from_prompt(result.stderr))


def test_token_for_another_user_is_refused(real_secret_service: None, tmp_path: Path) -> None:
    # Duo may answer a mixed-case username lower-cased (duo_universal_csharp issue 47); the
    # emulator does so on request, and the official client compares usernames exactly.
    with Emulator(USERS, state_dir=tmp_path / "lower", lowercase_preferred_username=True) as emu:
        config = tmp_path / "lower-config" / "config.toml"
        config.parent.mkdir()
        add_provider_via_cli(emu, config)
        try:
            result = Provider(emu, config).test_login(username="Alice")
        finally:
            KeyringSecretStore(config).delete(PROVIDER)

    assert result.code == ExitCode.DUO_PROTOCOL, result.stderr
    flat = " ".join(result.stderr.split())
    assert "Duo's answer names another user than 'Alice' (the code exchange)" in flat
    assert "pass --username exactly as the Duo Admin Panel spells the user" in flat
    assert "'Username normalization' setting" in flat
    assert "case-sensitive" not in flat  # Duo is not: it found alice for Alice
    assert "ALLOWED" not in result.stdout
    assert_port_closed(callback_port_from_prompt(result.stderr))


# Below, duoctl fails before it prints the prompt URL (the health check comes first), so the
# test chooses the callback port itself with --port and checks that one.


def test_emulator_down_exits_7(provider: Provider) -> None:
    provider.emulator.stop()  # the port is now closed; the CA bundle stays in tmp_path
    port = free_port()

    result = provider.test_login("--port", str(port))

    assert result.code == ExitCode.DUO_UNREACHABLE, result.stderr
    assert f"cannot connect to {provider.emulator.api_host} during the health check" in (
        result.stderr
    )
    assert "Duo prompt URL" not in result.stderr
    assert_port_closed(port)


def test_wrong_ca_exits_7(provider: Provider) -> None:
    provider.emulator.faults.wrong_ca = True
    port = free_port()

    result = provider.test_login("--port", str(port))

    assert result.code == ExitCode.DUO_UNREACHABLE, result.stderr
    assert "the certificate could not be verified" in result.stderr
    assert "CA bundle" in result.stderr  # the hint
    assert_port_closed(port)


def test_slow_health_check_past_network_timeout_exits_9(provider: Provider) -> None:
    provider.emulator.faults.latency = 4  # released at once when the emulator stops
    port = free_port()

    result = provider.test_login("--network-timeout", "1", "--port", str(port))

    assert result.code == ExitCode.TIMEOUT, result.stderr
    assert f"{provider.emulator.api_host} did not answer the health check within 1 s" in (
        result.stderr
    )
    assert_port_closed(port)


def test_slow_code_exchange_past_network_timeout_exits_9(
    real_secret_service: None, tmp_path: Path
) -> None:
    # Slow only after the authorize redirect, so the health check passes and the bounded
    # call under test is the code exchange.
    holder: list[Emulator] = []

    def slow_down_after_authorize(seen: SeenRequest) -> None:
        if seen.path == "/oauth/v1/authorize" and seen.status == 302:
            holder[0].faults.latency = 4

    with Emulator(
        [EmulatedUser("alice")],
        state_dir=tmp_path / "emulator",
        on_request=slow_down_after_authorize,
    ) as emu:
        holder.append(emu)
        config = tmp_path / "config" / "config.toml"
        add_provider_via_cli(emu, config)
        result = Provider(emu, config).test_login("--network-timeout", "1")

    assert result.code == ExitCode.TIMEOUT, result.stderr
    assert "did not answer the code exchange within 1 s" in result.stderr
    assert_port_closed(callback_port_from_prompt(result.stderr))


# Ctrl+C mid-wait: test_exit_paths.py::test_ctrl_c_while_waiting_closes_the_open_port.


def test_port_in_use_exits_3_via_the_console_script(provider: Provider) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = provider.test_login("--port", str(port))

    assert result.code == ExitCode.INVALID_INPUT, result.stderr
    assert f"port {port} is already in use" in result.stderr
    assert "choose another --port" in result.stderr
    assert not provider.emulator.requests_seen  # nothing was sent to Duo
