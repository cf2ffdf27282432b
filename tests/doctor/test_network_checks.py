"""Per-provider checks against the emulator and real loopback sockets, one per failure mode.

Every connection stays on loopback; names resolve through ``loopback_resolver`` (the CLI
tests use the system resolver, but only ever for ``localhost``).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from duoctl.config.model import Provider
from duoctl.doctor.checks_network import check_health
from duoctl.doctor.model import TITLES, DoctorReport, Status
from duoctl.doctor.render import report_lines
from duoctl.doctor.runner import Timeouts
from duoctl.emulator import Emulator
from duoctl.errors import DuoProtocolError
from duoctl.secrets.memory import MemorySecretStore

from .conftest import emulator_provider, healthy_providers, result_of, write_config

Doctor = Callable[..., DoctorReport]
NETWORK_STEPS = ("dns", "tcp", "tls", "clock", "credentials")


def p(report: DoctorReport, check_id: str, name: str = "prod") -> tuple[Status, str, str | None]:
    result = result_of(report, f"provider:{name}", check_id)
    return result.status, result.detail, result.fix


def assert_skipped_after(report: DoctorReport, cause: str, check_ids: tuple[str, ...]) -> None:
    for check_id in check_ids:
        status, detail, fix = p(report, check_id)
        assert status is Status.SKIPPED, check_id
        # People read titles ("TLS certificate"); the id stays in the data for scripts.
        title = TITLES[cause]
        assert detail == f"skipped: '{title}' failed"
        assert fix == f"fix '{title}' first"
        assert result_of(report, "provider:prod", check_id).data["needs"] == cause


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A loopback port whose kernel completes TCP handshakes but nobody ever answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)  # never accept(): the backlog takes the connections
        yield sock.getsockname()[1]


def test_all_green(emu_config: Path, doctor: Doctor) -> None:
    report = doctor(emu_config)
    assert report.passed(strict=False)
    statuses = {r.id: r.status for r in report.for_scope("provider:prod")}
    # localhost is not a Duo API hostname: the one warning a loopback setup must show.
    assert statuses.pop("endpoint") is Status.WARN
    assert set(statuses.values()) == {Status.OK}, statuses
    assert p(report, "dns")[1] == "localhost -> 127.0.0.1"
    detail = p(report, "tls")[1]
    assert "CN=localhost" in detail
    assert "issued by CN=duoctl emulator throwaway CA" in detail
    assert result_of(report, "provider:prod", "tls").data["days_left"] is not None
    assert p(report, "credentials")[1].startswith("Duo accepted Client ID")


def test_unresolvable_host(config_path: Path, store: MemorySecretStore, doctor: Doctor) -> None:
    write_config(
        config_path,
        {"prod": {"endpoint": "api-nothere.invalid", "client_id": "DIABCDEFGHIJKLMNOPQR"}},
    )
    store.set("prod", "A" * 40)
    report = doctor(config_path)
    status, detail, fix = p(report, "dns")
    assert status is Status.FAIL
    assert "cannot resolve api-nothere.invalid" in detail
    assert fix is not None
    assert "spelling" in fix
    assert "getent hosts api-nothere.invalid" in fix
    assert_skipped_after(report, "dns", ("tcp", "tls", "clock", "credentials"))


def test_hanging_resolver_is_bounded(emu_config: Path, doctor: Doctor) -> None:
    release = threading.Event()

    def hangs(host: str, port: int) -> list[str]:
        release.wait(30)
        return []

    try:
        report = doctor(emu_config, resolver=hangs, timeouts=Timeouts(dns=0.5))
    finally:
        release.set()
    status, detail, _ = p(report, "dns")
    assert status is Status.FAIL
    assert "took longer than 0.5 s" in detail


def test_closed_port(
    config_path: Path, emu: Emulator, store: MemorySecretStore, doctor: Doctor
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    write_config(config_path, {"prod": emulator_provider(emu, endpoint=f"localhost:{port}")})
    store.set("prod", emu.client_secret)
    report = doctor(config_path)
    status, detail, fix = p(report, "tcp")
    assert status is Status.FAIL
    assert f"127.0.0.1:{port}: connection refused" in detail
    assert fix is not None
    assert f"nothing listens on port {port}" in fix
    assert_skipped_after(report, "tcp", ("tls", "clock", "credentials"))


def test_listener_that_never_answers_is_bounded(
    config_path: Path, emu: Emulator, store: MemorySecretStore, black_hole: int, doctor: Doctor
) -> None:
    # Production timeouts: the requirement is a bound on the default configuration (the
    # doctor fixture asserts it). Three providers on the black hole check concurrently, so
    # the bound holds for all of them.
    providers = {
        name: emulator_provider(emu, endpoint=f"localhost:{black_hole}")
        for name in ("prod", "dr", "lab")
    }
    write_config(config_path, providers)
    for name in providers:
        store.set(name, emu.client_secret)
    report = doctor(config_path, timeouts=Timeouts())
    for name in providers:
        assert p(report, "tcp", name)[0] is Status.OK
        status, detail, fix = p(report, "tls", name)
        assert status is Status.FAIL
        assert "completed no TLS handshake" in detail
        assert fix is not None
        assert "something other than Duo answers" in fix
        for check_id in ("clock", "credentials"):
            assert p(report, check_id, name)[0] is Status.SKIPPED


def test_overall_deadline_fails_the_step_it_cuts(
    emu_config: Path, store: MemorySecretStore, doctor: Doctor
) -> None:
    now = [0.0]

    def fake_monotonic() -> float:
        return now[0]

    def slow_resolver(host: str, port: int) -> list[str]:
        now[0] += 100.0  # DNS "took" 100 s of the run's budget
        return ["127.0.0.1"]

    report = doctor(
        emu_config, resolver=slow_resolver, monotonic=fake_monotonic, timeouts=Timeouts()
    )
    assert p(report, "dns")[0] is Status.OK
    status, detail, fix = p(report, "tcp")
    assert status is Status.FAIL
    assert "overall 9 s deadline ran out" in detail
    assert fix is not None
    assert "latency" in fix
    assert_skipped_after(report, "tcp", ("tls", "clock", "credentials"))


def test_certificate_from_another_ca_with_provider_bundle(
    emu_config: Path, emu: Emulator, doctor: Doctor
) -> None:
    emu.faults.wrong_ca = True
    report = doctor(emu_config)
    status, detail, fix = p(report, "tls")
    assert status is Status.FAIL
    assert "not signed by a CA in the provider's CA bundle" in detail
    assert fix is not None
    assert "duoctl provider edit prod --ca-bundle FILE" in fix
    assert_skipped_after(report, "tls", ("clock", "credentials"))


def test_certificate_not_from_duo_with_pinned_bundle(
    config_path: Path, emu: Emulator, store: MemorySecretStore, doctor: Doctor
) -> None:
    # No ca_bundle: verified against duo_universal's pinned CAs, which never signed this.
    write_config(config_path, {"prod": emulator_provider(emu, ca_bundle=None)})
    store.set("prod", emu.client_secret)
    report = doctor(config_path)
    status, detail, fix = p(report, "tls")
    assert status is Status.FAIL
    assert "Duo's pinned CA bundle" in detail
    assert fix is not None
    assert "TLS-intercepting proxy" in fix
    assert_skipped_after(report, "tls", ("clock", "credentials"))


def test_expired_certificate(emu_config: Path, emu: Emulator, doctor: Doctor) -> None:
    emu.faults.expired_cert = True
    report = doctor(emu_config)
    status, detail, fix = p(report, "tls")
    assert status is Status.FAIL
    assert "has expired" in detail
    assert fix is not None
    assert "clock" in fix
    assert result_of(report, "provider:prod", "tls").data["verify_code"] == 10
    assert_skipped_after(report, "tls", ("clock", "credentials"))


def test_certificate_expiring_soon_warns(emu_config: Path, doctor: Doctor) -> None:
    # The emulator's leaf lives 90 days: under a 100-day threshold.
    report = doctor(emu_config, cert_warn_days=100)
    status, detail, fix = p(report, "tls")
    assert status is Status.WARN
    assert "expires in" in detail
    assert fix is not None
    assert "renewed" in fix
    assert report.passed(strict=False)
    assert not report.passed(strict=True)


@contextlib.contextmanager
def serve_tls(ca: trustme.CA, leaf: trustme.LeafCert, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A loopback TLS server presenting ``leaf``; yields its port and ``ca``'s PEM file.

    It completes handshakes for every connection until the block ends (the TCP check
    connects once before the TLS check does).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    bundle = tmp_path / "other-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # the listener was closed: the test is over
            conn.settimeout(5)
            with contextlib.suppress(OSError), context.wrap_socket(conn, server_side=True):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], bundle
    finally:
        # close() alone does not wake a thread blocked in accept() on Linux (each test then
        # waited out the join); shutdown() does, and the thread must be gone, not leaked.
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(5)
        assert not thread.is_alive(), "the TLS test server is still in accept()"


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A TLS server whose certificate (from a CA we hand out) names another host."""
    ca = trustme.CA()
    with serve_tls(ca, ca.issue_cert("elsewhere.example"), tmp_path) as server:
        yield server


# A terminal title change, a bell, a screen clear and a forged line: what a hostile
# certificate could send.
HOSTILE_CN = "\x1b]0;owned\x07\x1b[2Jlocalhost"
HOSTILE_ORG = "Evil\n\x1b[31mCA"


@pytest.fixture
def hostile_tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A TLS server with a valid certificate for localhost whose subject and issuer names
    carry terminal escape sequences."""
    ca = trustme.CA(organization_name=HOSTILE_ORG)
    leaf = ca.issue_cert("localhost", common_name=HOSTILE_CN)
    with serve_tls(ca, leaf, tmp_path) as server:
        yield server


def test_hostname_mismatch(
    config_path: Path, store: MemorySecretStore, doctor: Doctor, tls_server: tuple[int, Path]
) -> None:
    port, bundle = tls_server
    provider = {
        "endpoint": f"localhost:{port}",
        "client_id": "DIABCDEFGHIJKLMNOPQR",
        "ca_bundle": str(bundle),
    }
    write_config(config_path, {"prod": provider})
    store.set("prod", "A" * 40)
    status, detail, fix = p(doctor(config_path), "tls")
    assert status is Status.FAIL
    assert "not for localhost" in detail
    assert fix is not None
    assert "spelling" in fix


def test_wrong_secret(emu_config: Path, store: MemorySecretStore, doctor: Doctor) -> None:
    store.set("prod", "B" * 40)
    report = doctor(emu_config)
    status, detail, fix = p(report, "credentials")
    assert status is Status.FAIL
    assert "invalid_client" in detail
    assert "B" * 40 not in detail
    assert fix is not None
    assert "--rotate-secret" in fix
    assert "clock" in fix
    assert result_of(report, "provider:prod", "credentials").data["error_kind"] == "duo_credentials"
    # Duo's FAIL body still carries its time: the clock is measured from it.
    clock = result_of(report, "provider:prod", "clock")
    assert clock.status is Status.OK
    assert abs(clock.data["skew_seconds"]) < 10


def test_a_skewed_clock_is_named_even_when_credentials_are_rejected(
    emu_config: Path, emu: Emulator, store: MemorySecretStore, doctor: Doctor
) -> None:
    # Skewed clocks make assertions look expired: the likely cause of invalid_client.
    store.set("prod", "B" * 40)
    emu.faults.clock_skew = 600.0
    report = doctor(emu_config)
    assert p(report, "credentials")[0] is Status.FAIL
    status, detail, fix = p(report, "clock")
    assert status is Status.FAIL
    assert "behind" in detail
    assert fix is not None
    assert "NTP" in fix


def test_health_check_server_error_is_not_a_credentials_verdict(
    emu_config: Path, emu: Emulator, doctor: Doctor
) -> None:
    emu.faults.status_5xx = True
    report = doctor(emu_config)
    status, detail, fix = p(report, "credentials")
    assert status is Status.FAIL
    assert detail.startswith("not checked: the health check failed")
    assert result_of(report, "provider:prod", "credentials").data["error_kind"] != "duo_credentials"
    assert fix


def test_health_check_that_never_answers_is_bounded(
    emu_config: Path, emu: Emulator, doctor: Doctor
) -> None:
    emu.faults.latency = 30.0
    report = doctor(emu_config, timeouts=Timeouts(health=1.0))
    status, detail, _ = p(report, "credentials")
    assert status is Status.FAIL
    assert "did not answer the health check within 1 s" in detail
    assert result_of(report, "provider:prod", "credentials").data["error_kind"] == "timeout"


@pytest.mark.parametrize(
    ("skew", "expected", "word"),
    [
        (30.0, Status.WARN, "behind"),
        (-30.0, Status.WARN, "ahead of"),
        (120.0, Status.FAIL, "behind"),
    ],
)
def test_clock_skew(
    emu_config: Path, emu: Emulator, doctor: Doctor, skew: float, expected: Status, word: str
) -> None:
    emu.faults.clock_skew = skew
    report = doctor(emu_config)
    status, detail, fix = p(report, "clock")
    assert status is expected
    assert f"s {word} Duo's" in detail
    assert fix is not None
    assert "NTP" in fix
    assert abs(result_of(report, "provider:prod", "clock").data["skew_seconds"] - skew) < 3
    assert p(report, "credentials")[0] is Status.OK


def test_https_proxy_fails_with_no_proxy_fix(emu_config: Path, doctor: Doctor) -> None:
    environ = {"HTTPS_PROXY": "http://user:hunter2@proxy.corp:3128"}
    report = doctor(emu_config, environ=environ)
    status, detail, fix = p(report, "proxy")
    assert status is Status.FAIL
    assert "HTTPS_PROXY=http://***@proxy.corp:3128" in detail
    assert "hunter2" not in detail
    assert fix is not None
    assert "NO_PROXY" in fix
    assert "localhost" in fix
    # The proxy is reported once; the direct-path checks still run.
    assert p(report, "tls")[0] is Status.OK


def test_no_proxy_covering_the_host_is_ok(emu_config: Path, doctor: Doctor) -> None:
    environ = {"HTTPS_PROXY": "http://proxy.corp:3128", "NO_PROXY": "localhost"}
    assert p(doctor(emu_config, environ=environ), "proxy")[0] is Status.OK


def test_providers_run_concurrently_and_report_in_order(
    config_path: Path, emu: Emulator, store: MemorySecretStore, doctor: Doctor
) -> None:
    write_config(config_path, {"b": emulator_provider(emu), "a": emulator_provider(emu)})
    store.set("a", emu.client_secret)
    report = doctor(config_path)
    assert report.providers == ("b", "a")
    scopes = [r.scope for r in report.results if r.scope != "global"]
    assert scopes == sorted(scopes, key=lambda s: s != "provider:b")
    assert p(report, "credentials", "b")[0] is Status.SKIPPED  # no secret for b
    assert p(report, "credentials", "a")[0] is Status.OK


def test_progress_callback_sees_every_result(emu_config: Path, store: MemorySecretStore) -> None:
    from duoctl.doctor.runner import run_doctor

    from .conftest import make_deps

    seen: list[tuple[str, str, bool]] = []
    report = run_doctor(
        emu_config, make_deps(store), on_progress=lambda s, i, r: seen.append((s, i, r is None))
    )
    finished = [(s, i) for s, i, started in seen if not started]
    assert sorted(finished) == sorted((r.scope, r.id) for r in report.results)
    assert ("provider:prod", "tls", True) in seen


def test_a_bug_in_one_provider_is_contained(
    config_path: Path, emu: Emulator, store: MemorySecretStore, doctor: Doctor
) -> None:
    healthy_providers(config_path, emu, store, "a", "b")

    def factory(**kwargs: Any) -> Any:
        if kwargs["client_secret"] == emu.client_secret and kwargs["host"] == emu.api_host:
            raise RuntimeError(f"boom {kwargs['client_secret']}")  # message must not leak
        raise AssertionError("unreachable")

    report = doctor(config_path, client_factory=factory)
    for name in ("a", "b"):
        status, detail, fix = p(report, "clock", name)
        assert status is Status.FAIL
        assert detail == "internal error (RuntimeError) while checking"
        assert fix is not None
        assert "DUOCTL_DEBUG" in fix
        assert p(report, "credentials", name)[0] is Status.SKIPPED
    assert emu.client_secret not in str([r.to_dict() for r in report.results])


def test_certificate_names_are_cleaned_before_display(
    config_path: Path,
    store: MemorySecretStore,
    doctor: Doctor,
    hostile_tls_server: tuple[int, Path],
) -> None:
    port, bundle = hostile_tls_server
    provider = {
        "endpoint": f"localhost:{port}",
        "client_id": "DIABCDEFGHIJKLMNOPQR",
        "ca_bundle": str(bundle),
    }
    write_config(config_path, {"prod": provider})
    store.set("prod", "A" * 40)
    report = doctor(config_path)
    tls = result_of(report, "provider:prod", "tls")
    assert tls.status is Status.OK, tls.detail
    # The printable text stays; the control characters that made it an escape go.
    assert "CN=]0;owned[2Jlocalhost" in tls.detail
    assert "O=Evil [31mCA" in tls.detail
    printed = "\n".join(report_lines(report, strict=False))
    for text in (tls.detail, tls.data["subject"], tls.data["issuer"]):
        assert "\n" not in text
    for text in (tls.detail, tls.data["subject"], tls.data["issuer"], printed):
        assert "\x1b" not in text
        assert "\x07" not in text


def test_health_check_error_text_is_cleaned() -> None:
    token = "eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    message = f"Duo said \x1b[2J\x1b]0;owned\x07 about {token} " + "x" * 1000

    def factory(**kwargs: Any) -> Any:
        raise DuoProtocolError(message)

    provider = Provider(name="prod", endpoint="localhost:1", client_id="DIABCDEFGHIJKLMNOPQR")
    clock, creds = check_health(
        "provider:prod",
        provider,
        "A" * 40,
        client_factory=factory,
        timeout=1.0,
        clock=time.time,
    )
    assert clock.status is Status.SKIPPED
    assert creds.status is Status.FAIL
    assert creds.detail.startswith("not checked: the health check failed before Duo judged")
    assert "Duo said [2J]0;owned about <redacted token>" in creds.detail
    assert "\x1b" not in creds.detail
    assert "\x07" not in creds.detail
    assert token not in creds.detail
    assert len(creds.detail) < 400  # cut: a server cannot fill the terminal
