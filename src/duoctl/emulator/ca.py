"""A throwaway CA and the server certificates it signs, built fresh at every start.

The server's key is RSA-2048 by default, as Duo's is: an EC key would offer clients only
ECDHE-ECDSA suites, which some TLS stacks configured for Duo do not enable. ``"ec"`` (P-256)
remains an option. The good and the expired certificate share one leaf key, and the
impostor's (wrong-CA fault) is made on first use; a process generates each key once (see
``leaf_key``), so only its first start pays for an RSA key generation (tens of ms). The CA
keeps a P-256 key: a CA's key type only decides the signature clients verify, which every
stack accepts, and it costs about a millisecond.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import os
import re
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from duoctl.fileio import replace_atomically, write_private_new

KeyType = Literal["rsa", "ec"]
LeafKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

SERVER_NAMES = ("localhost",)
SERVER_IPS = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
# Backdated a little so a client whose clock runs slightly behind still accepts the leaf.
_BACKDATE = dt.timedelta(minutes=5)
# The key is thrown away when the emulator stops, so a long life costs nothing; 90 days keeps
# doctor's "expires within 30 days" warning for real certificates quiet against the emulator.
_LIFETIME = dt.timedelta(days=90)
# A kept CA is trusted once by a CI image: ten years, as mkcert's development CA; replaced
# when it has less than a day left.
_KEPT_CA_LIFETIME = dt.timedelta(days=3650)
_KEPT_CA_RENEW = dt.timedelta(days=1)
_DNS_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


@dataclass(frozen=True)
class IssuedCertificate:
    cert_pem: bytes
    key_pem: bytes


class ThrowawayCA:
    def __init__(
        self,
        common_name: str,
        *,
        key: ec.EllipticCurvePrivateKey | None = None,
        certificate: x509.Certificate | None = None,
        lifetime: dt.timedelta = _LIFETIME,
    ) -> None:
        if key is not None and certificate is not None:
            # A CA kept in a state dir (``duoctl emulator --state-dir``): trusted once, reused.
            self._key = key
            self.certificate = certificate
            return
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        public_key = self._key.public_key()
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(now + lifetime)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .sign(self._key, hashes.SHA256())
        )

    @property
    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return _private_pem(self._key)

    def issue_server_certificate(
        self, key: LeafKey, *, expired: bool = False, extra_names: Sequence[str] = ()
    ) -> IssuedCertificate:
        """A leaf for localhost, 127.0.0.1, ::1 and ``extra_names`` (DNS names or IP
        literals); ``expired`` makes one that ended yesterday."""
        now = dt.datetime.now(dt.UTC)
        if expired:
            not_before, not_after = now - 2 * _LIFETIME, now - _LIFETIME
        else:
            not_before, not_after = now - _BACKDATE, now + _LIFETIME
        san: list[x509.GeneralName] = [x509.DNSName(n) for n in SERVER_NAMES]
        san += [x509.IPAddress(ip) for ip in SERVER_IPS]
        san += [_general_name(name) for name in extra_names]
        ca_public = self._key.public_key()
        # AKI, SKI and a critical basicConstraints are what strict verifiers (Python 3.13's
        # VERIFY_X509_STRICT default) insist on; include them so newer clients accept us.
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public), critical=False
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(self._key, hashes.SHA256())
        )
        return IssuedCertificate(cert.public_bytes(serialization.Encoding.PEM), _private_pem(key))


def _private_pem(key: LeafKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def validate_hostname(name: str) -> str:
    """``name`` if a certificate can carry it (a DNS name or an IP literal); ValueError."""
    try:
        ipaddress.ip_address(name)
        return name
    except ValueError:
        pass
    labels = name.rstrip(".").split(".")
    if len(name) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"{name!r} is not a host name (letters, digits, '-', dots)")
    return name.rstrip(".").lower()


def server_context(leaf: IssuedCertificate, scratch_dir: Path) -> ssl.SSLContext:
    """An SSLContext serving ``leaf``.

    ``load_cert_chain`` only reads files, so the key passes through a 0600 file in the
    (private) scratch dir that is unlinked as soon as it is loaded.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    path = scratch_dir / f"leaf-{os.urandom(8).hex()}.pem"
    try:
        write_private_new(path, leaf.cert_pem + leaf.key_pem)
        context.load_cert_chain(path)
    finally:
        path.unlink(missing_ok=True)
    return context


class TlsContexts:
    """The three certificates the emulator can serve, picked per connection.

    The impostor's leaf (wrong-CA fault) is built on first use, with a key of its own: an
    impostor does not hold the real server's key, and a client that pins the key (Chromium's
    --ignore-certificate-errors-spki-list, say) must see the fault too. Built lazily because
    that second key generation costs as much as the first, and few runs use the fault.
    """

    def __init__(
        self,
        ca: ThrowawayCA,
        key: LeafKey,
        key_type: KeyType,
        scratch_dir: Path,
        extra_names: Sequence[str] = (),
    ) -> None:
        self.ca_pem = ca.cert_pem
        good = ca.issue_server_certificate(key, extra_names=extra_names)
        expired = ca.issue_server_certificate(key, expired=True, extra_names=extra_names)
        self.good = server_context(good, scratch_dir)
        self.expired = server_context(expired, scratch_dir)
        self._key_type = key_type
        self._scratch_dir = scratch_dir
        self._wrong_ca: ssl.SSLContext | None = None
        self._lock = threading.Lock()

    @property
    def wrong_ca(self) -> ssl.SSLContext:
        with self._lock:
            if self._wrong_ca is None:
                impostor = ThrowawayCA(f"duoctl emulator impostor CA {os.urandom(4).hex()}")
                leaf = impostor.issue_server_certificate(leaf_key(self._key_type, "impostor"))
                self._wrong_ca = server_context(leaf, self._scratch_dir)
            return self._wrong_ca


def generate_leaf_key(key_type: KeyType) -> LeafKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


@functools.cache
def leaf_key(key_type: KeyType, role: str) -> LeafKey:
    """One key per type and role ("server", "impostor") for the whole process.

    An RSA-2048 key costs ~50 ms to generate, and a test suite starts hundreds of emulators.
    Sharing is harmless: the key never leaves this process's memory (its file is unlinked
    as soon as it is loaded), each emulator still has its own CA and certificates, and the
    impostor keeps a key distinct from the server's.
    """
    return generate_leaf_key(key_type)


def build_tls_contexts(
    scratch_dir: Path,
    key_type: KeyType = "rsa",
    *,
    extra_names: Sequence[str] = (),
    keep: bool = False,
) -> TlsContexts:
    """The emulator's TLS: a fresh CA per start, or with ``keep`` the CA and leaf key kept in
    ``scratch_dir`` (created there, 0600, on the first start; read back on later ones), so a
    CI image can trust the CA once. Leaf certificates are issued anew at every start."""
    if keep:
        ca, key = _kept_identity(scratch_dir, key_type)
        return TlsContexts(ca, key, key_type, scratch_dir, extra_names)
    # A name of its own per start: a client trusting several emulators' CAs in one bundle
    # (or store) looks issuers up by name, and Node's (OpenSSL's) lookup stops at the first
    # certificate with the right name, whose key then fails to verify the leaf.
    ca = ThrowawayCA(f"duoctl emulator throwaway CA {os.urandom(4).hex()}")
    return TlsContexts(ca, leaf_key(key_type, "server"), key_type, scratch_dir, extra_names)


CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
LEAF_KEY_FILE = "leaf-key.pem"


def _kept_identity(state_dir: Path, key_type: KeyType) -> tuple[ThrowawayCA, LeafKey]:
    ca_cert, ca_key = state_dir / CA_CERT_FILE, state_dir / CA_KEY_FILE
    ca: ThrowawayCA | None = None
    if ca_cert.is_file() and ca_key.is_file():
        loaded = serialization.load_pem_private_key(ca_key.read_bytes(), password=None)
        if isinstance(loaded, ec.EllipticCurvePrivateKey):
            certificate = x509.load_pem_x509_certificate(ca_cert.read_bytes())
            if certificate.not_valid_after_utc > dt.datetime.now(dt.UTC) + _KEPT_CA_RENEW:
                ca = ThrowawayCA("", key=loaded, certificate=certificate)
    if ca is None:
        ca = ThrowawayCA(f"duoctl emulator CA {os.urandom(4).hex()}", lifetime=_KEPT_CA_LIFETIME)
        replace_atomically(ca_key, ca.key_pem)
        replace_atomically(ca_cert, ca.cert_pem)
    leaf_path = state_dir / LEAF_KEY_FILE
    key: LeafKey | None = None
    if leaf_path.is_file():
        candidate = serialization.load_pem_private_key(leaf_path.read_bytes(), password=None)
        wanted = rsa.RSAPrivateKey if key_type == "rsa" else ec.EllipticCurvePrivateKey
        if isinstance(candidate, wanted):
            key = candidate
    if key is None:
        key = generate_leaf_key(key_type)
        replace_atomically(leaf_path, _private_pem(key))
    return ca, key
