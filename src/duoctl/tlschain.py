"""Why a certificate did not chain to Duo's pinned CA bundle: interception, or a stale bundle.

``duo_universal`` verifies Duo against its own ``ca_certs.pem``, not the system's CAs. When
that fails, two causes look alike from the error alone (issue 15, row 3):

- something in the path presents its own certificate (a TLS-inspecting proxy or firewall):
  the issuer is one Duo does not use, and naming it usually names the proxy;
- Duo moved to a certificate authority newer than the SDK's bundle (issue 15 reports a
  change of Duo's CAs in 2026 that failed SDK releases carrying the old bundle; not checked
  from this offline machine): the chain is then valid under this machine's own CAs but not
  under the pinned bundle, and the fix is a newer duo_universal.

A proxy whose CA an administrator installed in the system store also passes the second
test, so that case names the issuer and both readings; only the operator knows whether the
issuer is their proxy. Two extra handshakes, each under the caller's deadline.
"""

from __future__ import annotations

import importlib.metadata
import socket
import ssl
import warnings
from dataclasses import dataclass
from pathlib import Path

from duoctl.output import safe_text

NAME_LIMIT = 200


@dataclass(frozen=True)
class PinnedBundle:
    path: str
    source: str  # "duo_universal 2.3.1"
    newest_ca: str | None  # the latest notBefore among its certificates, as a date

    def describe(self) -> str:
        newest = f", newest CA from {self.newest_ca}" if self.newest_ca else ""
        return f"{self.source}'s {self.path}{newest}"


@dataclass(frozen=True)
class Presented:
    issuer: str  # the leaf's issuer, printable
    system_trusts_it: bool | None  # None: the second look failed


def pinned_bundle_info(path: Path) -> PinnedBundle:
    try:
        source = f"duo_universal {importlib.metadata.version('duo_universal')}"
    except importlib.metadata.PackageNotFoundError:
        source = "duo_universal (version unknown)"
    return PinnedBundle(str(path), source, _newest_not_before(path))


def _newest_not_before(path: Path) -> str | None:
    from cryptography import x509

    try:
        with warnings.catch_warnings():
            # The bundle holds an old root with a negative serial number: cryptography warns
            # about it on every load, to the operator's terminal. It is read, never trusted.
            warnings.simplefilter("ignore")
            certificates = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not certificates:
        return None
    newest = max(c.not_valid_before_utc for c in certificates)
    return newest.date().isoformat()


def _handshake(
    host: str, port: int, address: str, context: ssl.SSLContext, timeout: float
) -> bytes | None:
    with (
        socket.create_connection((address, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        return tls.getpeercert(binary_form=True)


def look_at_chain(host: str, port: int, address: str, timeout: float) -> Presented | None:
    """The presented leaf's issuer, and whether this machine's own CAs (the system store,
    or ``SSL_CERT_FILE``) accept the chain; None when nothing could be read."""
    from cryptography import x509

    blind = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # Only to read what is presented: nothing received here is trusted or used.
    blind.check_hostname = False
    blind.verify_mode = ssl.CERT_NONE
    try:
        der = _handshake(host, port, address, blind, timeout)
        issuer = x509.load_der_x509_certificate(der or b"").issuer.rfc4514_string()
    except (OSError, ValueError):
        return None
    system = ssl.create_default_context()
    # As requests does (see check_tls): no VERIFY_X509_STRICT.
    system.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    try:
        _handshake(host, port, address, system, timeout)
        trusted: bool | None = True
    except ssl.SSLCertVerificationError:
        trusted = False
    except OSError:
        trusted = None
    return Presented(safe_text(issuer, limit=NAME_LIMIT) or "(empty)", trusted)


def explain_untrusted(
    host: str, presented: Presented | None, pinned: PinnedBundle
) -> tuple[str, str, dict[str, object]]:
    """Detail, fix and data for a chain that Duo's pinned bundle refused."""
    data: dict[str, object] = {
        "pinned_bundle": pinned.path,
        "pinned_bundle_source": pinned.source,
        "pinned_bundle_newest_ca": pinned.newest_ca,
    }
    if presented is None:
        return (
            f"the certificate {host} presents is not signed by a CA in Duo's pinned CA bundle "
            f"({pinned.describe()})",
            "a TLS-intercepting proxy or firewall may be in the path (exempt the Duo host), "
            "or the pinned bundle is older than Duo's CA: update duo_universal",
            data,
        )
    data |= {"issuer": presented.issuer, "system_trusts_chain": presented.system_trusts_it}
    if presented.system_trusts_it:
        return (
            f"the certificate {host} presents, issued by {presented.issuer}, is trusted by "
            f"this machine's CAs but not by Duo's pinned CA bundle ({pinned.describe()})",
            f"if {presented.issuer} is one of Duo's certificate authorities, the pinned bundle "
            "predates it: update the Duo SDK (duo_universal; for duoctl, upgrade duoctl). If "
            "it is your organisation's inspection proxy, exempt the Duo host from inspection",
            data,
        )
    return (
        f"the certificate {host} presents is issued by {presented.issuer}, a CA that neither "
        f"Duo's pinned CA bundle ({pinned.describe()}) nor this machine trusts: not one Duo uses",
        f"a TLS-intercepting proxy or firewall ({presented.issuer}) is in the path: exempt the "
        "Duo host from inspection; or the endpoint is not Duo",
        data,
    )
