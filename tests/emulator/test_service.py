"""``duoctl emulator --json`` as another project's CI runs it: a subprocess, its banner, the
official Python SDK, the control API; reproducible credentials; extra names and apps."""

from __future__ import annotations

import io
import json
import socket
import ssl
import stat
import threading
import time
from pathlib import Path

import jwt
import pytest
import requests

from duoctl import __version__
from duoctl.emulator import foreground
from duoctl.emulator.service import ServiceOptions, is_non_loopback, non_loopback_warning

from .service_process import (
    login,
    names,
    prose_banner,
    run_failing,
    running_emulator,
)

pytestmark = pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")


def _mode(path: str | Path) -> int:
    return stat.S_IMODE(Path(path).stat().st_mode)


def test_json_banner_holds_what_a_ci_script_needs_and_no_secret() -> None:
    with running_emulator("--user", "alice") as emu:
        banner = emu.banner
        assert banner["pid"] == emu.process.pid
        assert banner["duoctl_version"] == __version__
        assert banner["endpoint"] == f"https://{banner['api_host']}"
        assert banner["api_host"] == f"localhost:{banner['port']}"
        assert len(banner["client_id"]) == 20
        assert banner["admin_api"]["ikey"] == banner["admin_ikey"]
        assert _mode(banner["admin_skey_file"]) == 0o600
        assert Path(banner["admin_skey_file"]).read_text().strip() not in json.dumps(banner)
        assert [u["name"] for u in banner["users"]] == ["alice"]
        secret = emu.secret()
        assert secret not in json.dumps(banner)
        for path in (banner["client_secret_file"], banner["control"]["token_file"]):
            assert _mode(path) == 0o600
        assert (
            Path(banner["control"]["token_file"]).read_text().strip()
            == (banner["control"]["token"])
        )
        assert emu.client().health_check()["stat"] == "OK"
        state_dir = Path(banner["state_dir"])
    # Logs went to stderr; the private temp dir (secret included) is gone after the stop.
    assert emu.process.stderr is not None
    assert "Duo emulator running" in emu.process.stderr.read()
    assert not state_dir.exists()


def test_deny_then_approve_scripted_through_the_control_api() -> None:
    """The issue's Python test: script a deny, then an approve, and see what the SDK says."""
    with running_emulator() as emu:
        answer = emu.control("PUT", "users/dana", json={"outcome": "deny"})
        assert answer.status_code == 200, answer.text
        client = emu.client()
        denied = login(client, "dana")
        assert denied["token"]["auth_result"]["status"] == "deny"

        assert emu.control("PUT", "users/dana", json={"outcome": "approve"}).status_code == 200
        approved = login(client, "dana")
        assert approved["token"]["auth_result"]["status"] == "allow"
        assert approved["token"]["preferred_username"] == "dana"

        seen = emu.control("GET", "requests", params={"last": "10"}).json()["requests"]
        decisions = [r["decision"] for r in seen if r["decision"] is not None]
        assert [(d["user"], d["result"], d["reason"]) for d in decisions] == [
            ("dana", "denied", "user_cancelled"),
            ("dana", "success", "user_approved"),
        ]
        txid = approved["token"]["auth_context"]["txid"]
        assert decisions[1]["txid"] == txid
        assert "POST /oauth/v1/token 200" in names(seen)


def test_state_dir_brings_back_the_same_ca_client_id_secret_and_token(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with running_emulator("--state-dir", str(state)) as first:
        before = first.banner
        ca_before = Path(before["ca_bundle"]).read_bytes()
        secret_before = first.secret()
    assert _mode(state) == 0o700
    for name in ("ca-key.pem", "leaf-key.pem", "client_secret", "control_token", "client_id"):
        assert _mode(state / name) == 0o600, name
    with running_emulator("--state-dir", str(state)) as second:
        after = second.banner
        assert Path(after["ca_bundle"]).read_bytes() == ca_before
        assert after["client_id"] == before["client_id"]
        assert second.secret() == secret_before
        assert after["control"]["token"] == before["control"]["token"]
        # A client that trusted the first run's CA file (a copy, as a CI image would keep)
        # still verifies the second run's certificate.
        kept_ca = tmp_path / "trusted-once.pem"
        kept_ca.write_bytes(ca_before)
        client = second.client()
        client._duo_certs = str(kept_ca)
        assert client.health_check()["stat"] == "OK"


def test_client_id_and_secret_file_are_created_then_read_back(tmp_path: Path) -> None:
    secret_file = tmp_path / "duo.secret"
    client_id = "DIABCDEFGHIJ01234567"
    args = ("--client-id", client_id, "--client-secret-file", str(secret_file))
    with running_emulator(*args) as emu:
        assert emu.banner["client_id"] == client_id
        assert emu.banner["client_secret_file"] == str(secret_file)
        assert _mode(secret_file) == 0o600
        created = secret_file.read_text().strip()
        assert len(created) == 40
        assert emu.client().health_check()["stat"] == "OK"
    given = "s" * 20 + "S" * 20
    secret_file.write_text(given + "\n")
    with running_emulator(*args) as emu:
        assert emu.secret() == given
        assert emu.client().health_check()["stat"] == "OK"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--client-id", "diabc"), "20 upper-case"),
        (("--show-secret",), "--show-secret does not apply to --json"),
        (("--hostname", "bad name!"), "not a host name"),
        (("--bind", "localhost.example"), "not an IP address"),
    ],
)
def test_bad_service_options_exit_3_before_any_banner(args: tuple[str, ...], message: str) -> None:
    result = run_failing(*args)
    assert result.returncode == 3, result.stderr
    # Under --json a failure is one error envelope on stdout, as for every command.
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert document["error"]["exit_code"] == 3
    assert message in document["error"]["message"]
    assert message in result.stderr


def test_fault_option_starts_the_console_script_rate_limited() -> None:
    with running_emulator("--fault", "rate-limit=7", "--fault", "latency=0") as emu:
        answer = requests.post(
            f"https://{emu.banner['api_host']}/oauth/v1/health_check", verify=emu.ca, timeout=10
        )
        assert answer.status_code == 429
        assert answer.headers["Retry-After"] == "7"
        assert answer.json()["code"] == 42901
        # The same field the control API shows and clears.
        assert emu.control("GET", "faults").json()["faults"]["rate_limit"] == 7
        emu.control("DELETE", "faults")
        assert emu.client().health_check()["stat"] == "OK"


def test_a_bare_fault_name_switches_it_on() -> None:
    with running_emulator("--fault", "rate-limit", "--fault", "non_json") as emu:
        faults = emu.control("GET", "faults").json()["faults"]
    assert (faults["rate_limit"], faults["non_json"]) == (60, True)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("rate-limt=3", "unknown fault 'rate-limt'"),
        ("rate-limit=-3", "invalid value for fault rate_limit: -3"),
        ("latency", "fault latency needs a value"),
        ("nonce-claim=banana", "invalid value for fault nonce_claim: 'banana'"),
    ],
)
def test_a_bad_fault_option_exits_3_before_any_banner(spec: str, message: str) -> None:
    result = run_failing("--fault", spec)
    assert result.returncode == 3, result.stderr
    assert message in json.loads(result.stdout)["error"]["message"]
    assert "--fault rate-limit=30" in result.stderr  # the hint


def test_a_malformed_secret_file_is_refused_not_replaced(tmp_path: Path) -> None:
    secret_file = tmp_path / "duo.secret"
    secret_file.write_text("too-short\n")
    result = run_failing("--client-secret-file", str(secret_file))
    assert result.returncode == 3
    assert "not 40 letters and digits" in result.stderr
    assert "too-short" not in result.stderr
    assert secret_file.read_text() == "too-short\n"


def test_apps_file_serves_several_applications(tmp_path: Path) -> None:
    apps = tmp_path / "apps.toml"
    apps.write_text(
        '[[apps]]\nname = "web"\nclient_id = "DIWEB0000000000000AA"\n'
        'client_secret_file = "web.secret"\n\n'
        '[[apps]]\nname = "vpn"\nclient_id = "DIVPN0000000000000BB"\n'
    )
    state = tmp_path / "state"
    with running_emulator("--apps", str(apps), "--state-dir", str(state)) as emu:
        listed = {a["name"]: a for a in emu.banner["apps"]}
        assert set(listed) == {"default", "web", "vpn"}
        assert listed["web"]["client_secret_file"] == str(tmp_path / "web.secret")
        assert listed["vpn"]["client_secret_file"] == str(
            state.absolute() / "client_secret.DIVPN0000000000000BB"
        )
        for app in listed.values():
            path = Path(app["client_secret_file"])
            assert _mode(path) == 0o600
            client = emu.client(app["client_id"], path.read_text().strip())
            assert client.health_check()["stat"] == "OK"
            assert login(client, "alice")["token"]["aud"] == app["client_id"]
        # One app's secret does not open another's Client ID.
        web_secret = (tmp_path / "web.secret").read_text().strip()
        wrong = emu.client("DIVPN0000000000000BB", web_secret)
        with pytest.raises(Exception, match="invalid_client"):
            wrong.health_check()


def test_apps_file_errors_name_the_table(tmp_path: Path) -> None:
    apps = tmp_path / "apps.toml"
    apps.write_text('[[apps]]\nclient_id = "DIWEB0000000000000AA"\ncolour = "red"\n')
    result = run_failing("--apps", str(apps))
    assert result.returncode == 3
    assert "apps #1: unknown key(s) colour" in result.stderr


def _handshake(port: int, ca: str, server_name: str) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=ca)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return context.wrap_socket(raw, server_hostname=server_name)


def test_hostname_adds_a_name_the_leaf_certificate_proves(tmp_path: Path) -> None:
    with running_emulator("--hostname", "duo", "--hostname", "duo.ci.test") as emu:
        port, ca = emu.banner["port"], emu.ca
        assert emu.banner["hostnames"] == ["duo", "duo.ci.test"]
        assert emu.banner["api_host"] == f"localhost:{port}"  # names are only added
        with _handshake(port, ca, "duo.ci.test") as tls:
            # A health check addressed to the extra name, as another container would send.
            secret, client_id = emu.secret(), emu.banner["client_id"]
            aud = f"https://duo.ci.test:{port}/oauth/v1/health_check"
            claims = {"iss": client_id, "sub": client_id, "aud": aud, "jti": "j" * 36}
            claims["exp"] = int(time.time()) + 60
            assertion = jwt.encode(claims, secret, algorithm="HS512")
            body = f"client_id={client_id}&client_assertion={assertion}".encode()
            tls.sendall(
                b"POST /oauth/v1/health_check HTTP/1.1\r\n"
                + f"Host: duo.ci.test:{port}\r\n".encode()
                + b"Content-Type: application/x-www-form-urlencoded\r\n"
                + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            answer = b""
            while chunk := tls.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert b'"stat": "OK"' in answer
        with pytest.raises(ssl.SSLCertVerificationError):
            _handshake(port, ca, "not-named.test")


def test_bind_ipv6_loopback_and_no_warning() -> None:
    with running_emulator("--bind", "::1") as emu:
        assert emu.banner["api_host"] == f"[::1]:{emu.banner['port']}"
        assert emu.banner["bind"] == "::1"
        assert emu.client().health_check()["stat"] == "OK"
    assert emu.process.stderr is not None
    assert "warning" not in emu.process.stderr.read()


@pytest.mark.parametrize(
    ("address", "exposed"),
    [
        ("127.0.0.1", False),
        ("::1", False),
        ("localhost", False),
        ("127.0.0.2", False),
        ("0.0.0.0", True),  # classified, never bound
        ("::", True),
        ("192.0.2.7", True),
    ],
)
def test_which_bind_addresses_warn(address: str, exposed: bool) -> None:
    # Tests bind loopback only; the warning's trigger is checked without binding.
    assert is_non_loopback(address) is exposed
    assert "other machines" in non_loopback_warning(address)


def test_control_token_is_never_in_the_prose_banner(tmp_path: Path) -> None:
    state = tmp_path / "state"
    # The prose banner names the token's file, not the token.
    text = prose_banner("--state-dir", str(state))
    token = (state / "control_token").read_text().strip()
    assert token not in text
    assert str(state / "control_token") in text


def test_sigterm_right_after_the_banner_stops_it_cleanly() -> None:
    # A CI script may read the banner and terminate the emulator at once: the SIGTERM handler
    # is in place before the banner is written, so every run exits 0 (running_emulator checks).
    for _ in range(5):
        with running_emulator() as emu:
            assert emu.banner["pid"] == emu.process.pid


def test_a_non_loopback_bind_warns_on_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests never bind beyond loopback, so the classification (tested above) is replaced, as a
    # last resort, to see that a positive one reaches stderr before the banner.
    monkeypatch.setattr(foreground, "is_non_loopback", lambda address: True)
    out, err, stop = io.StringIO(), io.StringIO(), threading.Event()
    options = ServiceOptions(json=True, bind="127.0.0.1")
    thread = threading.Thread(
        target=foreground.run_emulator_foreground,
        args=(None, 0, False, out, err),
        kwargs={"stop": stop, "service": options},
    )
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(30)
    assert json.loads(out.getvalue())["ok"] is True
    assert err.getvalue().startswith("warning: bound to 127.0.0.1, which other machines may reach")
