"""test-login as support staff meet it in the field (issue 9): a provider tested before it is
enabled, a CA bundle that went missing, a proxy in the environment, no browser, a timeout that
says which side went quiet, the username named, and ``--debug``.

Everything runs through the installed console script against the emulator over real TLS on
loopback. The proxies are loopback listeners too: one port that refuses, one that says 403.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from duoctl.emulator import EmulatedUser, Emulator, SeenRequest
from duoctl.emulator.endpoints import DuoEndpoints, Response
from duoctl.errors import DuoctlError, ExitCode
from testlogin.conftest import PROVIDER, USERS, Provider, add_provider_via_cli
from testlogin.helpers import (
    SUBPROCESS_TIMEOUT,
    Run,
    assert_port_closed,
    callback_port_from_prompt,
    duoctl_env,
    forbidding_proxy,
    free_port,
    read_to_end,
    run_duoctl,
    start_test_login,
    stderr_lines,
)

pytestmark = pytest.mark.real_keyring


def _doctor_fix(provider: Provider, check: str, env: dict[str, str] | None = None) -> str:
    """The fix ``duoctl doctor --json`` gives for one of the provider's checks."""
    result = run_duoctl("--config", provider.config, "doctor", "--json", env=env)
    report = json.loads(result.stdout)
    checks = report.get("data", report)["checks"]
    found = [c for c in checks if c["id"] == check and provider.name in c["scope"]]
    assert found, f"doctor reported no {check!r} check for {provider.name}: {checks}"
    fix = found[0]["fix"]
    assert isinstance(fix, str)
    return fix


def _forget(config: Path) -> None:
    """Leave no item in the shared keyring (best effort), as the conftest fixture does."""
    from duoctl.secrets.keyring_store import KeyringSecretStore

    with contextlib.suppress(DuoctlError):
        KeyringSecretStore(config).delete(PROVIDER)


def _error(run: Run) -> dict[str, Any]:
    envelope = json.loads(run.stdout)
    assert envelope["ok"] is False
    error: dict[str, Any] = envelope["error"]
    error["data"] = envelope.get("data")
    return error


# ---- a disabled provider, named explicitly --------------------------------------------------


@pytest.fixture
def disabled(real_secret_service: None, emulator: Emulator, tmp_path: Path) -> Iterator[Provider]:
    config = tmp_path / "config" / "config.toml"
    add_provider_via_cli(emulator, config, PROVIDER, "--disabled")
    yield Provider(emulator, config)
    _forget(config)


def test_a_disabled_provider_named_explicitly_is_tested_with_a_note(disabled: Provider) -> None:
    result = disabled.test_login()

    assert result.code == ExitCode.OK, result.stderr
    assert "ALLOWED" in result.stdout
    assert (
        f"note: provider {PROVIDER!r} is disabled: testing it anyway; the platform does not use "
        f"it until 'duoctl provider enable {PROVIDER}'" in result.stderr
    )
    # Testing it changed nothing: it is still disabled.
    listed = run_duoctl("--config", disabled.config, "provider", "show", PROVIDER, "--json")
    assert json.loads(listed.stdout)["data"]["enabled"] is False


def test_the_note_is_on_stderr_with_json_too(disabled: Provider) -> None:
    result = disabled.test_login("--json")

    assert result.code == ExitCode.OK, result.stderr
    assert json.loads(result.stdout)["data"]["allowed"] is True
    assert "is disabled: testing it anyway" in result.stderr


def test_without_a_name_the_pick_stays_enabled_only(disabled: Provider) -> None:
    result = run_duoctl(
        "--config", disabled.config, "test-login", "--username", "alice", "--browser", "follow"
    )

    assert result.code == ExitCode.CONFIG, result.stderr
    assert "no enabled provider" in result.stderr
    assert "Duo prompt URL" not in result.stderr


# ---- a CA bundle that cannot be used ----------------------------------------------------------


@pytest.fixture
def own_ca(real_secret_service: None, emulator: Emulator, tmp_path: Path) -> Iterator[Provider]:
    """A provider whose CA bundle is a copy the test may delete or spoil."""
    bundle = tmp_path / "ca" / "duo-ca.pem"
    bundle.parent.mkdir()
    shutil.copyfile(emulator.ca_bundle, bundle)
    config = tmp_path / "config" / "config.toml"
    add_provider_via_cli(emulator, config)
    edited = run_duoctl("--config", config, "provider", "edit", PROVIDER, "--ca-bundle", bundle)
    assert edited.code == 0, edited.stderr
    yield Provider(emulator, config)
    _forget(config)


def _bundle(provider: Provider) -> Path:
    shown = run_duoctl("--config", provider.config, "provider", "show", PROVIDER, "--json")
    return Path(json.loads(shown.stdout)["data"]["ca_bundle"])


def test_a_missing_ca_bundle_is_unreachable_with_doctors_fix(own_ca: Provider) -> None:
    bundle = _bundle(own_ca)
    bundle.unlink()
    port = free_port()

    result = own_ca.test_login("--port", str(port), "--json")

    assert result.code == ExitCode.DUO_UNREACHABLE, result.stderr
    error = _error(result)
    assert error["kind"] == "duo_unreachable"
    assert error["message"] == (
        f"cannot use the CA bundle {bundle} for {own_ca.emulator.api_host} during the health "
        "check: no such file"
    )
    assert (
        error["hint"]
        == f"give a readable PEM file: duoctl provider edit {PROVIDER} --ca-bundle FILE"
    )
    assert error["hint"] == _doctor_fix(own_ca, "tls")
    assert "OSError" not in result.stderr
    assert_port_closed(port)


def test_a_ca_bundle_without_a_certificate_is_unreachable(own_ca: Provider) -> None:
    _bundle(own_ca).write_text("this is not a PEM certificate\n")

    result = own_ca.test_login("--port", str(free_port()))

    assert result.code == ExitCode.DUO_UNREACHABLE, result.stderr
    assert "it holds no PEM certificate" in result.stderr
    assert f"fix: give a readable PEM file: duoctl provider edit {PROVIDER}" in result.stderr


# ---- a proxy in the environment ----------------------------------------------------------------


PROXY_PASSWORD = "ProxyCanary0123456789"


@pytest.mark.parametrize("proxy", ["refusing", "forbidding"])
def test_a_proxy_is_unreachable_with_doctors_fix(provider: Provider, proxy: str) -> None:
    with contextlib.ExitStack() as stack:
        port = stack.enter_context(forbidding_proxy()) if proxy == "forbidding" else free_port()
        env = duoctl_env(HTTPS_PROXY=f"http://support:{PROXY_PASSWORD}@127.0.0.1:{port}")

        result = provider.test_login("--port", str(free_port()), "--json", "--debug", env=env)
        doctor_fix = _doctor_fix(provider, "proxy", env=env)

    assert result.code == ExitCode.DUO_UNREACHABLE, result.stderr
    error = _error(result)
    host = provider.emulator.api_host
    reason = (
        "the proxy refused the connection"
        if proxy == "refusing"
        else "the proxy answered 403 Forbidden"
    )
    assert (
        error["message"]
        == f"cannot reach {host} through the proxy during the health check: {reason}"
    )
    assert error["hint"] == doctor_fix
    assert error["hint"].startswith("add localhost to NO_PROXY")
    assert "ProxyError" not in error["message"]
    # The start-up warning, and the debug lines, never carry the proxy's password.
    assert "HTTPS_PROXY=http://***@127.0.0.1" in result.stderr
    assert "debug: ! failed: ProxyError > MaxRetryError > ProxyError" in result.stderr
    assert PROXY_PASSWORD not in result.stderr + result.stdout


# ---- no terminal, no $BROWSER: say so at once ---------------------------------------------------


def test_without_a_browser_the_url_is_said_to_need_one_while_duoctl_waits(
    provider: Provider,
) -> None:
    # duoctl_env() removes BROWSER, DISPLAY and WAYLAND_DISPLAY; stdin is /dev/null and
    # stderr a pipe: no terminal. The last --browser wins: auto.
    proc = start_test_login(provider.config, provider.name, "--browser", "auto", "--timeout", "120")
    lines = stderr_lines(proc)
    seen: list[str] = []
    try:
        while not any("No browser was opened" in line for line in seen):
            line = lines.get(timeout=SUBPROCESS_TIMEOUT)
            assert line is not None, "duoctl ended before saying no browser opened:\n" + "".join(
                seen
            )
            seen.append(line)
        # Said while it waits, long before --timeout: nothing has ended yet.
        assert proc.poll() is None, "".join(seen)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=SUBPROCESS_TIMEOUT)
        read_to_end(lines, seen)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = "".join(seen)

    assert code == ExitCode.INTERRUPTED, stderr
    assert (
        "No browser was opened (no display and no $BROWSER): the login completes only once the "
        "URL above is opened in a browser and the push is approved." in stderr
    )
    port = callback_port_from_prompt(stderr)
    assert f"ssh -L {port}:localhost:{port}" in stderr
    # The order a reader needs: the URL, then what to do with it.
    assert stderr.index("/oauth/v1/authorize?") < stderr.index("No browser was opened")


# ---- which side went quiet -----------------------------------------------------------------------


def test_a_prompt_still_waiting_at_duo_is_duo_never_answering(provider: Provider) -> None:
    # tim's push is never answered: the built-in follower sits on Duo's page.
    result = provider.test_login("--timeout", "2", "--json", username="tim")

    assert result.code == ExitCode.TIMEOUT, result.stderr
    error = _error(result)
    assert error["message"] == (
        "Duo never answered within 2 s: its prompt was still waiting for the push to be "
        "approved or denied"
    )
    assert error["data"]["cause"] == "duo_never_answered"
    assert error["data"]["browser"] == "follow"
    assert_port_closed(callback_port_from_prompt(result.stderr))


def test_nothing_back_at_the_listener_is_the_browser_never_coming_back(
    provider: Provider,
) -> None:
    # Nobody opens the URL: no request reaches the listener.
    result = provider.test_login("--timeout", "2", "--json", browser="none")

    assert result.code == ExitCode.TIMEOUT, result.stderr
    port = callback_port_from_prompt(result.stderr)
    error = _error(result)
    assert error["message"] == (
        f"the browser never came back to the listener on port {port} within 2 s"
    )
    assert f"could not reach http://localhost:{port}" in error["hint"]
    assert f"ssh -L {port}:localhost:{port}" in error["hint"]
    assert error["data"] == {
        "cause": "browser_never_came_back",
        "waited_seconds": 2.0,
        "listener_port": port,
        "requests_refused_by_listener": 0,
        "refused_by_reason": {},
        "browser": "none",
    }
    assert_port_closed(port)


# ---- the username, named -------------------------------------------------------------------------


def test_a_stuck_prompt_names_the_username(real_secret_service: None, tmp_path: Path) -> None:
    def fail_after_health_check(seen: SeenRequest) -> None:
        # The health check passes; the prompt page then answers 503, and the follower stops.
        if seen.path == "/oauth/v1/health_check" and holder:
            holder[0].faults.status_5xx = True

    holder: list[Emulator] = []
    with Emulator(
        USERS, state_dir=tmp_path / "emulator", on_request=fail_after_health_check
    ) as emu:
        holder.append(emu)
        config = tmp_path / "config" / "config.toml"
        add_provider_via_cli(emu, config)
        try:
            result = Provider(emu, config).test_login(username="bob")
        finally:
            emu.faults.reset()
            _forget(config)

    assert result.code == ExitCode.DUO_PROTOCOL, result.stderr
    assert "the Duo prompt page answered HTTP 503" in result.stderr
    assert "fix: check the username 'bob'" in result.stderr


# ---- --debug -------------------------------------------------------------------------------------


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """What the emulator's token endpoint received and issued: the values --debug must hide.

    A wrapper around the in-process emulator's handler (it changes nothing it answers).
    """
    seen: dict[str, list[str]] = {"codes": [], "assertions": [], "id_tokens": []}
    original = DuoEndpoints.token

    def token(self: DuoEndpoints, params: Any, host: str | None) -> Response:
        seen["codes"].append(params.get("code", ""))
        seen["assertions"].append(params.get("client_assertion", ""))
        response = original(self, params, host)
        with contextlib.suppress(ValueError, KeyError):
            seen["id_tokens"].append(json.loads(response.body)["id_token"])
        return response

    monkeypatch.setattr(DuoEndpoints, "token", token)
    return seen


CANARY = "DebugCanary0123456789abcdefghijklmnopqrs"


@pytest.fixture
def canary_provider(real_secret_service: None, tmp_path: Path) -> Iterator[Provider]:
    """A provider whose Client Secret is a canary that the emulator really signs with."""
    assert len(CANARY) == 40
    with Emulator(
        [EmulatedUser("alice")], client_secret=CANARY, state_dir=tmp_path / "emulator"
    ) as emu:
        config = tmp_path / "config" / "config.toml"
        add_provider_via_cli(emu, config)
        yield Provider(emu, config)
        _forget(config)


def _debug_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("debug: ")]


@pytest.mark.parametrize("how", ["--debug", "DUOCTL_DEBUG=1"])
def test_debug_shows_the_exchanges_with_everything_secret_redacted(
    canary_provider: Provider, recorded: dict[str, list[str]], how: str
) -> None:
    extra = ["--debug"] if how == "--debug" else []
    env = duoctl_env(DUOCTL_DEBUG="1") if how != "--debug" else None

    result = canary_provider.test_login(*extra, env=env)

    assert result.code == ExitCode.OK, result.stderr
    host = canary_provider.emulator.api_host
    debug = _debug_lines(result.stderr)
    shown = "\n".join(debug)
    assert f"debug: > POST https://{host}/oauth/v1/health_check" in debug
    assert f"debug: > POST https://{host}/oauth/v1/token" in debug
    assert "client_assertion=<redacted>" in shown
    assert "code=<redacted>" in shown
    assert '"id_token":"<redacted>"' in shown
    assert "debug: < 200 OK" in shown
    assert '"stat":"OK"' in shown  # the health check's answer is shown
    # What must never print: the secret, what was sent to Duo, what Duo issued.
    secrets = [CANARY, *recorded["codes"], *recorded["assertions"], *recorded["id_tokens"]]
    assert len(recorded["codes"]) == 1
    assert all(secrets)
    for secret in secrets:
        assert secret not in result.stderr
        assert secret not in result.stdout
    assert "eyJ" not in shown  # nothing shaped like a JWT in the debug lines


def test_without_debug_no_exchange_is_shown(canary_provider: Provider) -> None:
    result = canary_provider.test_login()

    assert result.code == ExitCode.OK, result.stderr
    assert _debug_lines(result.stderr) == []
