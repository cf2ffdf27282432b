"""Checks on the path from this machine to one Duo endpoint.

Each function performs one step and returns its :class:`CheckResult` (plus what the next
step needs: addresses, the address that answered). Dependency ordering and the overall
deadline live in :mod:`duoctl.doctor.runner`. Every step that can block runs under a
deadline of its own, because the socket timeout alone does not bound a resolver that hangs
or a server that drips one byte at a time.
"""

from __future__ import annotations

import importlib.util
import math
import socket
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from duoctl.config.model import Provider
from duoctl.deadline import call_with_deadline
from duoctl.doctor.checks_clock import clock_result, skipped_clock
from duoctl.doctor.model import CheckResult, fail, ok, warn
from duoctl.doctor.ntp import NtpStatus, ntp_synchronised
from duoctl.duoclient import (
    CallContext,
    DuoClientFactory,
    Skew,
    health_check,
    proxy_in_use,
)
from duoctl.endpoint import endpoint_host
from duoctl.errors import DuoCredentialsRejected, DuoctlError, ValidationError
from duoctl.field_failures import NOT_WEB_SDK_CAUSE
from duoctl.output import safe_text
from duoctl.tlschain import explain_untrusted, look_at_chain, pinned_bundle_info
from duoctl.validation import is_duo_api_host

Resolver = Callable[[str, int], list[str]]


CERT_WARN_DAYS = 30
# The health check never follows a redirect; the SDK only insists on a non-empty value.
HEALTH_CHECK_REDIRECT_URI = "https://localhost/duoctl-doctor"
# Caps on text that comes from the network (certificate names, TLS and server messages):
# it reaches a terminal through the report, so it is cleaned with safe_text and cut.
NAME_LIMIT = 200
MESSAGE_LIMIT = 300

# OpenSSL X509_V_ERR_* codes worth a specific explanation.
_X509_NOT_YET_VALID = 9
_X509_EXPIRED = 10
_X509_UNTRUSTED = frozenset({2, 18, 19, 20, 21})
_X509_HOSTNAME_MISMATCH = 62


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``getaddrinfo`` gives for ``host``, in its order, without duplicates."""
    addresses: list[str] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def duo_pinned_bundle() -> Path | None:
    """``duo_universal/ca_certs.pem``, located without importing the package (and requests)."""
    spec = importlib.util.find_spec("duo_universal")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "ca_certs.pem"
        if candidate.is_file():
            return candidate
    return None


def too_slow(what: str, timeout: float) -> Callable[[], TimeoutError]:
    """The error :func:`call_with_deadline` raises when ``what`` outlasts its time."""
    return lambda: TimeoutError(f"{what} did not finish within {timeout:g} s")


def check_endpoint(scope: str, provider: Provider) -> CheckResult:
    try:
        looks_right = is_duo_api_host(provider.endpoint)
    except ValidationError:
        looks_right = False
    if looks_right:
        return ok(scope, "endpoint", f"{provider.endpoint} is a Duo API hostname")
    return warn(
        scope,
        "endpoint",
        f"{provider.endpoint} does not look like a Duo API hostname",
        "copy the API hostname from the Duo Admin Panel (api-XXXXXXXX.duosecurity.com); "
        "ignore this for a private test endpoint",
    )


def check_proxy(scope: str, provider: Provider, environ: Mapping[str, str]) -> CheckResult:
    proxy = proxy_in_use(environ, provider.endpoint)
    if proxy is None:
        return ok(scope, "proxy", "no proxy variable applies: Duo traffic goes direct")
    host = endpoint_host(provider.endpoint)
    return fail(
        scope,
        "proxy",
        f"{proxy} would route Duo traffic through a proxy, which Duo logins do not support",
        f"add {host} to NO_PROXY (export NO_PROXY={host},$NO_PROXY), or unset the proxy "
        "variable for duoctl and the platform",
        proxy=proxy,
    )


def check_dns(
    scope: str, host: str, port: int, resolver: Resolver, timeout: float
) -> tuple[CheckResult, list[str]]:
    fix = (
        f"check the endpoint spelling ({host}) and this machine's DNS settings "
        "(/etc/resolv.conf); try: getent hosts " + host
    )
    try:
        addresses = call_with_deadline(
            lambda: resolver(host, port), timeout, too_slow("DNS", timeout)
        )
    except TimeoutError:
        return fail(scope, "dns", f"resolving {host} took longer than {timeout:g} s", fix), []
    except OSError as exc:
        reason = safe_text(exc.strerror or str(exc) or type(exc).__name__, limit=MESSAGE_LIMIT)
        return fail(scope, "dns", f"cannot resolve {host}: {reason}", fix), []
    if not addresses:
        return fail(scope, "dns", f"{host} resolves to no address", fix), []
    return ok(scope, "dns", f"{host} -> {', '.join(addresses)}", addresses=addresses), addresses


def _connect_any(
    addresses: Sequence[str], port: int, timeout: float
) -> tuple[str | None, dict[str, str]]:
    deadline = time.monotonic() + timeout
    errors: dict[str, str] = {}
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            errors[address] = "not tried: time ran out"
            continue
        try:
            with socket.create_connection((address, port), timeout=remaining):
                return address, errors
        except ConnectionRefusedError:
            errors[address] = "connection refused"
        except TimeoutError:
            errors[address] = f"no answer within {timeout:g} s"
        except OSError as exc:
            errors[address] = exc.strerror or type(exc).__name__
    return None, errors


def check_tcp(
    scope: str, port: int, addresses: Sequence[str], timeout: float
) -> tuple[CheckResult, str | None]:
    try:
        address, errors = call_with_deadline(
            lambda: _connect_any(addresses, port, timeout),
            timeout + 0.5,
            too_slow("TCP", timeout + 0.5),
        )
    except TimeoutError:
        address, errors = None, dict.fromkeys(addresses, f"no answer within {timeout:g} s")
    if address is not None:
        return ok(
            scope, "tcp", f"connected to {_hostport(address, port)}", address=address
        ), address
    detail = "; ".join(f"{_hostport(a, port)}: {e}" for a, e in errors.items())
    if all(e == "connection refused" for e in errors.values()):
        fix = (
            f"nothing listens on port {port}: check the port in the endpoint "
            "(Duo serves 443), or that a local firewall does not reject it"
        )
    else:
        fix = f"allow outbound TCP {port} from this machine to Duo in the firewall"
    return fail(scope, "tcp", f"cannot connect: {detail}", fix, errors=errors), None


def _hostport(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _name(rdns: object) -> str:
    """``getpeercert()``'s nested tuples as ``CN=..., O=...``, safe to print: the names are
    whatever the server put in its certificate."""
    parts: list[str] = []
    if isinstance(rdns, tuple):
        for rdn in rdns:
            for key, value in rdn:
                short = {"commonName": "CN", "organizationName": "O", "countryName": "C"}.get(
                    key, key
                )
                parts.append(f"{short}={value}")
    return safe_text(", ".join(parts), limit=NAME_LIMIT) or "(empty)"


def _handshake(
    host: str, port: int, address: str, context: ssl.SSLContext, timeout: float
) -> tuple[dict[str, object], str | None]:
    with (
        socket.create_connection((address, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        cert = tls.getpeercert()
        return dict(cert or {}), tls.version()


def bounded_handshake(
    host: str, port: int, address: str, context: ssl.SSLContext, timeout: float
) -> tuple[dict[str, object], str | None]:
    """:func:`_handshake` under a deadline half a second past its socket timeout: a server
    that trickles bytes resets the socket timeout at every read, the deadline it does not."""
    return call_with_deadline(
        lambda: _handshake(host, port, address, context, timeout),
        timeout + 0.5,
        too_slow("TLS", timeout + 0.5),
    )


def _trust(
    scope: str, ca_bundle: str | None, provider_name: str
) -> tuple[ssl.SSLContext, Path, str] | CheckResult:
    """The context verifying the endpoint, the CA file in it and how to name that file; or
    the failure to build it."""
    if ca_bundle is not None:
        cafile: Path | None = Path(ca_bundle).expanduser()
        ca_label = f"the provider's CA bundle {ca_bundle}"
    else:
        cafile = duo_pinned_bundle()
        ca_label = "Duo's pinned CA bundle"
    if cafile is None:
        return fail(
            scope,
            "tls",
            "cannot find duo_universal/ca_certs.pem (Duo's pinned CA bundle)",
            "reinstall duoctl: its duo_universal dependency is incomplete",
        )
    try:
        context = ssl.create_default_context(cafile=str(cafile))
    except (OSError, ssl.SSLError) as exc:
        return fail(
            scope,
            "tls",
            f"cannot load {ca_label}: {getattr(exc, 'strerror', None) or exc}",
            f"give a readable PEM file: duoctl provider edit {provider_name} --ca-bundle FILE",
        )
    # requests (what the Duo SDK uses) does not set Python 3.13's VERIFY_X509_STRICT; match it,
    # so doctor and test-login never disagree about the same certificate.
    context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    return context, cafile, ca_label


def check_tls(
    scope: str,
    *,
    host: str,
    port: int,
    address: str,
    ca_bundle: str | None,
    provider_name: str,
    timeout: float,
    now: float,
    warn_days: float = CERT_WARN_DAYS,
) -> CheckResult:
    trust = _trust(scope, ca_bundle, provider_name)
    if isinstance(trust, CheckResult):
        return trust
    context, cafile, ca_label = trust
    where = _hostport(address, port)
    try:
        cert, version = bounded_handshake(host, port, address, context, timeout)
    except ssl.SSLCertVerificationError as exc:
        if ca_bundle is None and exc.verify_code in _X509_UNTRUSTED:
            return _pinned_refusal(scope, exc, host, port, address, cafile, timeout)
        return _verify_failure(scope, exc, host, ca_label, ca_bundle, provider_name)
    except TimeoutError:
        return fail(
            scope,
            "tls",
            f"{where} accepted the connection but completed no TLS handshake within {timeout:g} s",
            "something other than Duo answers on that port (a firewall, a proxy, a non-TLS "
            "service): check the endpoint and the network path",
        )
    except ssl.SSLError as exc:
        return fail(
            scope,
            "tls",
            f"TLS handshake with {where} failed: "
            f"{safe_text(exc.reason or exc, limit=MESSAGE_LIMIT)}",
            "a TLS-intercepting proxy or firewall may sit in the path: exempt the Duo host",
        )
    except OSError as exc:
        return fail(
            scope,
            "tls",
            f"TLS handshake with {where} failed: {exc.strerror or type(exc).__name__}",
            "a firewall or proxy may be cutting the connection: check the network path to Duo",
        )
    return _certificate_result(scope, cert, version, cafile, ca_label, ca_bundle, now, warn_days)


def _pinned_refusal(
    scope: str,
    exc: ssl.SSLCertVerificationError,
    host: str,
    port: int,
    address: str,
    cafile: Path,
    timeout: float,
) -> CheckResult:
    """Duo's pinned bundle refused the certificate: interception, or a bundle older than
    Duo's CA? A second look at the chain presented tells which."""
    try:
        presented = call_with_deadline(
            lambda: look_at_chain(host, port, address, timeout),
            2 * timeout + 0.5,
            too_slow("TLS", 2 * timeout + 0.5),
        )
    except TimeoutError:
        presented = None
    detail, fix, extra = explain_untrusted(host, presented, pinned_bundle_info(cafile))
    message = safe_text(exc.verify_message or exc, limit=MESSAGE_LIMIT)
    return fail(
        scope,
        "tls",
        f"{detail} ({message})",
        fix,
        verify_code=exc.verify_code,
        verify_message=message,
        **extra,
    )


def _certificate_result(
    scope: str,
    cert: dict[str, object],
    version: str | None,
    cafile: Path,
    ca_label: str,
    ca_bundle: str | None,
    now: float,
    warn_days: float,
) -> CheckResult:
    """A verified certificate: who it names, who issued it, and how long it has left."""
    subject = _name(cert.get("subject"))
    issuer = _name(cert.get("issuer"))
    not_after_text = safe_text(cert.get("notAfter", ""), limit=NAME_LIMIT)
    try:
        not_after = float(ssl.cert_time_to_seconds(not_after_text))
    except ValueError:
        not_after = math.nan
    days_left = (not_after - now) / 86400
    data = {
        "subject": subject,
        "issuer": issuer,
        "not_after": not_after_text,
        "days_left": None if math.isnan(days_left) else round(days_left, 1),
        "tls_version": version,
        "verified_against": str(cafile),
    }
    if ca_bundle is None:
        pinned = pinned_bundle_info(cafile)
        data |= {"pinned_bundle_source": pinned.source, "pinned_bundle_newest_ca": pinned.newest_ca}
    remaining = _remaining_text(days_left)
    detail = f"{subject}, issued by {issuer}, verified against {ca_label}; {remaining}"
    if not math.isnan(days_left) and days_left < warn_days:
        return warn(
            scope,
            "tls",
            detail,
            "the server's certificate must be renewed soon; if this is Duo, check "
            "this machine's clock, else renew the endpoint's certificate",
            **data,
        )
    return ok(scope, "tls", detail, **data)


def _remaining_text(days_left: float) -> str:
    if math.isnan(days_left):
        return "expiry date unreadable"
    if days_left < 2:
        return f"expires in {max(days_left * 24, 0):.0f} h"
    return f"expires in {days_left:.0f} days"


def _verify_failure(
    scope: str,
    exc: ssl.SSLCertVerificationError,
    host: str,
    ca_label: str,
    ca_bundle: str | None,
    provider_name: str,
) -> CheckResult:
    code = exc.verify_code
    message = safe_text(exc.verify_message or exc, limit=MESSAGE_LIMIT)
    data = {"verify_code": code, "verify_message": message}
    if code == _X509_EXPIRED:
        return fail(
            scope,
            "tls",
            f"the certificate {host} presents has expired ({message})",
            "check this machine's clock (NTP); if it is right, the server is not Duo or a "
            "proxy serves a stale certificate: check the network path",
            **data,
        )
    if code == _X509_NOT_YET_VALID:
        return fail(
            scope,
            "tls",
            f"the certificate {host} presents is not valid yet ({message})",
            "this machine's clock is probably behind: synchronise it (NTP)",
            **data,
        )
    if code == _X509_HOSTNAME_MISMATCH:
        return fail(
            scope,
            "tls",
            f"the certificate is not for {host} ({message})",
            "check the endpoint spelling; something other than Duo answers at that address",
            **data,
        )
    if code in _X509_UNTRUSTED:
        if ca_bundle is None:
            fix = (
                "the certificate does not chain to Duo's CAs: a TLS-intercepting proxy or "
                "firewall is in the path (exempt the Duo host from inspection), or the "
                "endpoint is not Duo"
            )
        else:
            fix = (
                f"give the CA that signs this endpoint: duoctl provider edit {provider_name} "
                "--ca-bundle FILE (or --clear-ca-bundle for a real Duo host)"
            )
        return fail(
            scope,
            "tls",
            f"the certificate {host} presents is not signed by a CA in {ca_label} ({message})",
            fix,
            **data,
        )
    return fail(
        scope,
        "tls",
        f"the certificate {host} presents did not verify against {ca_label} ({message})",
        "check the network path for a TLS-intercepting proxy, and this machine's clock",
        **data,
    )


def check_health(
    scope: str,
    provider: Provider,
    secret: str,
    *,
    client_factory: DuoClientFactory,
    timeout: float,
    clock: Callable[[], float],
    ntp_status: NtpStatus = ntp_synchronised,
) -> tuple[CheckResult, CheckResult]:
    """One health-check call answers two checks: ``clock`` (its timestamp) and
    ``credentials`` (whether Duo accepted the client assertion)."""
    clock_skip_reason = "skipped: needs a successful health check (see 'credentials')"
    started = clock()
    try:
        client = client_factory(
            client_id=provider.client_id,
            client_secret=secret,
            host=provider.endpoint,
            redirect_uri=HEALTH_CHECK_REDIRECT_URI,
            ca_bundle=provider.ca_bundle,
        )
        context = CallContext(provider=provider.name, ca_bundle=provider.ca_bundle)
        result = health_check(
            client, host=provider.endpoint, timeout=timeout, clock=clock, context=context
        )
    except DuoCredentialsRejected as exc:
        creds = fail(
            scope,
            "credentials",
            f"Duo rejected Client ID {provider.client_id} with this Client Secret (invalid_client)",
            "copy both from the Duo Admin Panel's Web SDK application: fix the Client ID with "
            f"'duoctl provider edit {provider.name} --client-id ...' and the secret with "
            f"'... --rotate-secret'. If both match the Admin Panel: {NOT_WEB_SDK_CAUSE}; "
            "or this machine's clock may be minutes off",
            error_kind="duo_credentials",
        )
        # The rejection still carries Duo's time: a clock minutes off makes every assertion
        # look expired, so measuring it here can name the real cause.
        server_time = (exc.data or {}).get("server_time")
        if isinstance(server_time, int | float):
            measured = Skew.measure(server_time, started, clock() - started)
            return clock_result(scope, measured, ntp_status()), creds
        return skipped_clock(scope, clock_skip_reason), creds
    except DuoctlError as exc:
        creds = fail(
            scope,
            "credentials",
            "not checked: the health check failed before Duo judged them: "
            + safe_text(exc.message, limit=MESSAGE_LIMIT),
            exc.hint or "see the checks above; re-run when the endpoint answers",
            error_kind=exc.kind,
        )
        return skipped_clock(scope, clock_skip_reason), creds
    creds = ok(
        scope,
        "credentials",
        f"Duo accepted Client ID {provider.client_id} (health check in {result.elapsed:.2f} s)",
        elapsed=round(result.elapsed, 3),
    )
    return clock_result(scope, result.measured, ntp_status()), creds
