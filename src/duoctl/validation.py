"""Validation of the values an admin types: provider names, Duo credentials, endpoints.

Each validator returns the normalised value or raises :class:`ValidationError` with a message
that names the field and what is wrong, never echoing a secret.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from duoctl.endpoint import split_endpoint
from duoctl.errors import ValidationError

CLIENT_ID_LENGTH = 20
CLIENT_SECRET_LENGTH = 40

# Patterns, not compiled objects: re compiles each on first use and caches it, so importing
# this module (every command loads the config) compiles only what that command uses.
_NAME_RE = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
_CLIENT_ID_RE = r"[A-Z0-9]{20}"
# An Admin API integration key: "DI" and 18 upper-case letters or digits, the shape of every
# key in Duo's Admin API documentation (https://duo.com/docs/adminapi#first-steps, e.g.
# "DIWJ8X6AEYOR5OMC6TQ1"); duo_client 5.7.0 passes it through unchecked.
_ADMIN_IKEY_RE = r"DI[A-Z0-9]{18}"
_SECRET_RE = r"[A-Za-z0-9]{40}"  # noqa: S105 (a pattern, not a secret)
_LABEL_RE = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
# Dot-separated labels in one match: a config load checks every endpoint, and a match per
# label cost ~4 us a provider (40 ms on 10,000).
_HOST_NAME_RE = rf"(?:{_LABEL_RE}\.)*{_LABEL_RE}"
_DUO_HOST_RE = r"api-[a-z0-9]+(\.test)?\.(duosecurity|duofederal)\.com"


@functools.cache
def _fullmatch(pattern: str) -> Callable[[str], re.Match[str] | None]:
    # Compiled on first use like re.fullmatch(pattern, ...), but found again by one cached
    # call instead of re's own lookup: a load checks three fields of every provider, and
    # on 10,000 that lookup alone costs ~10 ms.
    return re.compile(pattern).fullmatch


def validate_name(name: str) -> str:
    if not _fullmatch(_NAME_RE)(name):
        raise ValidationError(
            f"invalid provider name {name!r}: use 1-64 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit",
        )
    return name


def validate_client_id(client_id: str) -> str:
    return _fixed_key(
        client_id.strip(),
        "Client ID",
        CLIENT_ID_LENGTH,
        _CLIENT_ID_RE,
        "only upper-case letters A-Z and digits 0-9 are allowed",
        "copy the Client ID from the Duo Admin Panel's Web SDK application page",
    )


def validate_client_secret(secret: str) -> str:
    return _fixed_key(
        secret.strip(),
        "Client Secret",
        CLIENT_SECRET_LENGTH,
        _SECRET_RE,
        "only letters and digits are allowed",
        "copy the Client Secret from the Duo Admin Panel's Web SDK application page",
    )


def validate_admin_ikey(ikey: str) -> str:
    return _fixed_key(
        ikey.strip().upper(),
        "Admin API integration key",
        CLIENT_ID_LENGTH,
        _ADMIN_IKEY_RE,
        "it must start with 'DI' and hold only upper-case letters A-Z and digits 0-9",
        "copy the integration key from the Duo Admin Panel's Admin API application page",
    )


def validate_admin_skey(skey: str) -> str:
    return _fixed_key(
        skey.strip(),
        "Admin API secret key",
        CLIENT_SECRET_LENGTH,
        _SECRET_RE,
        "only letters and digits are allowed",
        "copy the secret key from the Duo Admin Panel's Admin API application page",
    )


def _fixed_key(value: str, label: str, length: int, pattern: str, rule: str, hint: str) -> str:
    # The message never includes the value: it may be a real secret with a typo.
    if len(value) != length:
        raise ValidationError(
            f"invalid {label}: it must be exactly {length} characters, got {len(value)}",
            hint=hint,
        )
    if not _fullmatch(pattern)(value):
        raise ValidationError(f"invalid {label}: {rule}", hint=hint)
    return value


def validate_endpoint(endpoint: str) -> str:
    """Accept a host name or IP literal with an optional port; no scheme, no path."""
    value = endpoint.strip()
    if "://" in value or "/" in value:
        raise ValidationError(
            f"invalid endpoint {endpoint!r}: give the API hostname only, without scheme or path",
            hint="for example: api-1234abcd.duosecurity.com",
        )
    if not value:
        raise ValidationError(
            "invalid endpoint: it is empty", hint="e.g. api-1234abcd.duosecurity.com"
        )
    host, _port = split_endpoint(value)
    if len(host) > 253 or not _fullmatch(_HOST_NAME_RE)(host.rstrip(".")):
        # Not a host name (an IPv4 literal passes as one): an IPv6 literal, or invalid.
        # ipaddress is imported only here; loading a config checks every endpoint.
        import ipaddress

        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValidationError(
                f"invalid endpoint {endpoint!r}: {host!r} is not a valid host name",
                hint="for example: api-1234abcd.duosecurity.com",
            ) from None
    return value.lower() if not value.startswith("[") else value


def is_duo_api_host(endpoint: str) -> bool:
    host, _ = split_endpoint(endpoint)
    return bool(_fullmatch(_DUO_HOST_RE)(host.lower()))


def endpoint_warning(endpoint: str) -> str | None:
    if is_duo_api_host(endpoint):
        return None
    return (
        f"endpoint {endpoint!r} does not look like a Duo API hostname "
        "(api-XXXXXXXX.duosecurity.com or api-XXXXXXXX.duofederal.com)"
    )


def normalize_pasted_endpoint(endpoint: str) -> tuple[str, str | None]:
    """Turn what people paste from the Duo Admin Panel into the host; and say so.

    ``https://api-1234abcd.duosecurity.com/`` becomes ``api-1234abcd.duosecurity.com``: a
    leading ``https://`` and one trailing ``/`` are dropped. Anything else (another scheme, a
    path) is left for :func:`validate_endpoint` to refuse: guessing there could store a
    different host from the one meant.
    """
    value = endpoint.strip()
    host = value.removeprefix("https://").removesuffix("/")
    if host == value or "/" in host:
        return value, None
    return host, f"endpoint {endpoint.strip()!r}: stored the host name {host!r}"


def normalize_client_id(client_id: str) -> str:
    """A Client ID typed in lower case or with spaces around it is still that Client ID."""
    return client_id.strip().upper()
