"""Duo's request signature (HMAC over a canonical request), checked as Duo checks it.

A client signs ``Date``, method, host, path and parameters with its secret key and sends
``Authorization: Basic base64(ikey:hex(hmac))`` (Duo Admin API docs, "Authentication";
duo_client 5.7.0 client.py ``canonicalize`` and ``sign``). The request does not say which
signature version it used, so each one a client can send is tried:

- 2: date, METHOD, host, path, canonical parameters (query, or urlencoded form body)
- 4: version 2 plus the SHA-512 of the body (JSON bodies; query parameters canonical)
- 5: version 4 plus the SHA-512 of the ``X-Duo-*`` headers; duo_client's default

HMAC-SHA512 for 4 and 5 (duo_client forces it), HMAC-SHA512 or HMAC-SHA1 for 2 (duo_client
lets the caller choose ``digestmod``; Duo's docs show SHA1 for version 2).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import email.utils
import hashlib
import hmac
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from duoctl.emulator.admin import errors

# Seconds a request's Date may differ from the server's time. Duo's figure is unverified
# (docs/emulator-fidelity.md); 300 s is what clients with an NTP-synchronised clock never
# come near, and what Duo's answer to a skewed clock (40105) is tested against.
DATE_WINDOW = 300.0
_MAX_AUTHORIZATION = 512  # "Basic " + base64 of a 20-char ikey, ":" and 128 hex digits


@dataclass(frozen=True)
class SignedRequest:
    """What a signature covers, as the server received it."""

    method: str
    path: str
    params: Sequence[tuple[str, str]]  # query, or urlencoded form body; decoded
    body: bytes  # the raw body (hashed by versions 4 and 5)
    date: str | None
    authorizations: Sequence[str]  # every Authorization header
    duo_headers: Sequence[tuple[str, str]]  # every X-Duo-* header, as sent


def canon_params(params: Iterable[tuple[str, str]]) -> str:
    """Parameters as Duo canonicalises them: names and values percent-encoded (only
    ``~`` kept besides the unreserved set), sorted by name, then by value."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for name, value in params:
        grouped[quote(name, "~")].append(quote(value, "~"))
    return "&".join(
        f"{name}={value}" for name in sorted(grouped) for value in sorted(grouped[name])
    )


def canon_duo_headers(headers: Sequence[tuple[str, str]]) -> str | None:
    """The SHA-512 (hex) of the ``X-Duo-*`` headers, names lower-cased and sorted, names and
    values joined by NUL; None when a name repeats (the client refuses to sign that)."""
    lowered = [(name.lower(), value) for name, value in headers]
    names = [name for name, _ in lowered]
    if len(set(names)) != len(names):
        return None
    parts: list[str] = []
    for name, value in sorted(lowered):
        parts += [name, value]
    return hashlib.sha512("\x00".join(parts).encode()).hexdigest()


def canonical_strings(request: SignedRequest, host: str) -> list[tuple[str, bool]]:
    """Each canonical string a client could have signed for ``request`` at ``host``, with
    whether it may be signed with SHA1 (version 2 only)."""
    date = request.date or ""
    head = [date, request.method.upper(), host.lower(), request.path]
    v2 = "\n".join([*head, canon_params(request.params)])
    body_hash = hashlib.sha512(request.body).hexdigest()
    # Versions 4 and 5 put a JSON body in the hash, not in the parameters.
    v4 = "\n".join([*head, canon_params(request.params), body_hash])
    candidates = [(v2, True), (v4, False)]
    duo_headers = canon_duo_headers(request.duo_headers)
    if duo_headers is not None:
        candidates.append(
            ("\n".join([*head, canon_params(request.params), body_hash, duo_headers]), False)
        )
    return candidates


def parse_authorization(authorizations: Sequence[str]) -> tuple[str, str]:
    """``(ikey, signature hex)`` from the one ``Authorization: Basic`` header."""
    if not authorizations:
        raise errors.missing_credentials("no Authorization header")
    if len(authorizations) > 1:
        raise errors.missing_credentials("several Authorization headers")
    header = authorizations[0].strip()
    if len(header) > _MAX_AUTHORIZATION:
        raise errors.missing_credentials("Authorization header too long")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise errors.missing_credentials("Authorization is not Basic credentials")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("ascii")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        raise errors.missing_credentials("Authorization is not base64 of ASCII") from None
    ikey, sep, signature = decoded.partition(":")
    if not sep or not ikey or not signature:
        raise errors.missing_credentials("Authorization is not ikey:signature")
    return ikey, signature


def verify(
    request: SignedRequest,
    *,
    secret_for: Callable[[str], str | None],
    hosts: Iterable[str],
    now: float,
) -> str:
    """Check ``request``'s signature and Date; return its ikey, or raise :class:`AdminError`."""
    ikey, given = parse_authorization(request.authorizations)
    secret = secret_for(ikey)
    if secret is None:
        raise errors.invalid_identity("unknown integration key")
    if not request.date:
        raise errors.missing_timestamp()
    given_bytes = given.lower().encode("ascii", "replace")
    key = secret.encode()
    matched = False
    # Every candidate is computed and compared, so the time taken says nothing about
    # which part of the request was wrong.
    for host in hosts:
        for canonical, sha1_allowed in canonical_strings(request, host):
            digests = [hashlib.sha512] + ([hashlib.sha1] if sha1_allowed else [])
            for digest in digests:
                expected = hmac.new(key, canonical.encode(), digest).hexdigest().encode()
                matched |= hmac.compare_digest(expected, given_bytes)
    if not matched:
        raise errors.invalid_signature("signature does not match any canonical request")
    check_date(request.date, now)
    return ikey


def check_date(date: str, now: float) -> None:
    try:
        sent = email.utils.parsedate_to_datetime(date)
    except (TypeError, ValueError):
        raise errors.bad_timestamp("Date header is not an RFC 2822 date") from None
    if sent.tzinfo is None:
        # "-0000" (what duo_client's email.utils.formatdate() writes) parses as naive:
        # RFC 2822 section 3.3 calls it UTC with no statement about the local zone.
        sent = sent.replace(tzinfo=datetime.UTC)
    skew = sent.timestamp() - now
    if abs(skew) > DATE_WINDOW:
        raise errors.bad_timestamp(f"Date is {skew:+.0f} s from the server's time")


def duo_headers_of(items: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in items if name.lower().startswith("x-duo-")]
