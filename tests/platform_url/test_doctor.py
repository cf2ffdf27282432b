"""doctor's checks of the URL Application parameter against loopback TLS servers with
trustme certificates; a resolver seam maps the test names to 127.0.0.1 (no real DNS)."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from doctor.conftest import FAST, loopback_resolver, write_config
from duoctl.doctor.checks_platform import IDS
from duoctl.doctor.model import GLOBAL_SCOPE, DoctorReport, Status
from duoctl.doctor.runner import DoctorDeps, run_doctor
from duoctl.secrets.memory import MemorySecretStore

NAME = "pam.example.test"


def resolver(host: str, port: int) -> list[str]:
    if host in (NAME, "other.example.test"):
        return ["127.0.0.1"]
    return loopback_resolver(host, port)


class TlsServer:
    """Accepts on 127.0.0.1, completes handshakes with ``cert``, closes; until stopped."""

    def __init__(self, ca: trustme.CA, *names: str, not_after: datetime.datetime | None = None):
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*names, not_after=not_after).configure_cert(self.context)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(2)
            try:
                with self.context.wrap_socket(conn, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def servers() -> Iterator[Callable[..., TlsServer]]:
    started: list[TlsServer] = []

    def start(ca: trustme.CA, *names: str, **kwargs: datetime.datetime) -> TlsServer:
        started.append(TlsServer(ca, *names, **kwargs))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def _doctor(tmp_path: Path, platform: str | None) -> DoctorReport:
    config = write_config(tmp_path / "config.toml", {}, mfa=False)
    if platform is not None:
        config.write_text(config.read_text() + "\n[platform]\n" + platform)
    deps = DoctorDeps(secrets=MemorySecretStore(), resolver=resolver, environ={}, timeouts=FAST)
    return run_doctor(config, deps, mfa_disabled_expected=True)


def _platform(report: DoctorReport) -> dict[str, tuple[Status, str]]:
    return {
        r.id: (r.status, r.detail)
        for r in report.for_scope(GLOBAL_SCOPE)
        if r.id.startswith("platform.")
    }


def _trusting(ca: trustme.CA, tmp_path: Path, port: int) -> str:
    """The [platform] keys for NAME on ``port``, trusting ``ca`` through a bundle file."""
    bundle = tmp_path / "platform-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return f'url = "https://{NAME}:{port}"\nca_bundle = "{bundle}"\n'


def test_unset_skips_every_check_with_the_reason(tmp_path: Path) -> None:
    got = _platform(_doctor(tmp_path, None))
    assert list(got) == list(IDS)
    assert all(status is Status.SKIPPED for status, _ in got.values())
    assert "not set" in got["platform.url"][1]


def test_a_good_platform_passes(
    tmp_path: Path, ca: trustme.CA, servers: Callable[..., TlsServer]
) -> None:
    server = servers(ca, NAME)
    url = f"https://{NAME}:{server.port}"
    got = _platform(_doctor(tmp_path, _trusting(ca, tmp_path, server.port)))
    assert {k: s for k, (s, _) in got.items()} == dict.fromkeys(IDS, Status.OK), got
    assert "127.0.0.1" in got["platform.dns"][1]
    assert "expires in" in got["platform.tls"][1]
    assert f"{url}/ passes" in got["platform.redirect"][1]


def test_untrusted_chain_fails(
    tmp_path: Path, ca: trustme.CA, servers: Callable[..., TlsServer]
) -> None:
    server = servers(ca, NAME)
    # Without the private CA the system CAs do not trust it.
    got = _platform(_doctor(tmp_path, f'url = "https://{NAME}:{server.port}"\n'))
    assert got["platform.tls"][0] is Status.FAIL
    assert "system's trusted CAs" in got["platform.tls"][1]


def test_a_certificate_for_another_name_fails(
    tmp_path: Path, ca: trustme.CA, servers: Callable[..., TlsServer]
) -> None:
    server = servers(ca, "other.example.test")
    got = _platform(_doctor(tmp_path, _trusting(ca, tmp_path, server.port)))
    assert got["platform.tls"][0] is Status.FAIL
    assert "not valid" in got["platform.tls"][1]


def test_expiry_within_30_days_warns(
    tmp_path: Path, ca: trustme.CA, servers: Callable[..., TlsServer]
) -> None:
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=10)
    server = servers(ca, NAME, not_after=soon)
    got = _platform(_doctor(tmp_path, _trusting(ca, tmp_path, server.port)))
    assert got["platform.tls"][0] is Status.WARN
    assert "expires in" in got["platform.tls"][1]


def test_unresolvable_name_fails_dns_and_skips_the_rest(tmp_path: Path) -> None:
    got = _platform(_doctor(tmp_path, 'url = "https://nowhere.example.test"\n'))
    assert got["platform.dns"][0] is Status.FAIL
    assert got["platform.tcp"][0] is Status.SKIPPED
    assert got["platform.tls"][0] is Status.SKIPPED


def test_closed_port_fails_tcp(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    got = _platform(_doctor(tmp_path, f'url = "https://{NAME}:{port}"\n'))
    assert got["platform.tcp"][0] is Status.FAIL
    assert got["platform.tls"][0] is Status.SKIPPED


def test_doctor_console_script_shows_the_platform_rows(tmp_path: Path) -> None:
    from foundation.helpers import run_duoctl

    config = write_config(tmp_path / "config.toml", {}, mfa=False)
    result = run_duoctl(["doctor", "--json"], config=config, env={"NO_COLOR": "1"})
    import json

    checks = {c["id"]: c for c in json.loads(result.stdout)["data"]["checks"]}
    assert checks["platform.url"]["status"] == "skipped"
    assert checks["platform.url"]["title"] == "Platform URL parameter"
