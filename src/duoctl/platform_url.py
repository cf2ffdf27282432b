"""The platform's "URL Application" parameter: where Duo sends users' browsers back.

Duo rejects IP literals in redirect URIs and the browser must trust the certificate, so the
value is an https URL with a DNS name, no userinfo, no path but ``/``, an optional port; an
internationalised name is stored as punycode.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from duoctl.errors import ValidationError

_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_HINT = "give the instance's https URL with its DNS name, e.g. https://pam.example.com"
UNSET_WARNING = (
    "the platform's URL Application parameter is not set: Duo cannot send users back to the "
    "platform (set it with 'duoctl platform url set https://NAME')"
)


def _ascii_host(host: str) -> str:
    try:
        # The stdlib codec (IDNA 2003) does what the platform's name needs: lower-case
        # labels, xn-- for non-ASCII ones; no new dependency.
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValidationError(f"invalid host name {host!r}", hint=_HINT) from None


def validate_platform_url(value: str) -> str:
    """The normal form (``https://host[:port]``), or ValidationError saying what is wrong."""
    text = value.strip()
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise ValidationError("the URL contains spaces or control characters", hint=_HINT)
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"invalid URL {value!r}: {exc}", hint=_HINT) from None
    if parts.scheme.lower() != "https":
        raise ValidationError(
            f"the URL must use https, got {parts.scheme or 'no scheme'!r}", hint=_HINT
        )
    if parts.username is not None or "@" in parts.netloc:
        raise ValidationError("the URL must not contain a user name or password", hint=_HINT)
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValidationError(
            "the URL must be the instance's root: no path, query or fragment", hint=_HINT
        )
    host = parts.hostname or ""
    if not host:
        raise ValidationError("the URL has no host name", hint=_HINT)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise ValidationError(
            f"{host} is an IP address: Duo rejects IP literals in redirect URIs", hint=_HINT
        )
    ascii_host = _ascii_host(host.rstrip("."))
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValidationError(f"invalid host name {host!r}", hint=_HINT)
    if len(labels) < 2 or labels[-1].isdigit():
        raise ValidationError(f"{host!r} is not a fully qualified DNS name", hint=_HINT)
    if port == 0:
        raise ValidationError("port 0 is not a valid port", hint=_HINT)
    return f"https://{ascii_host}" + (f":{port}" if port not in (None, 443) else "")


@dataclass(frozen=True)
class PlatformUrl:
    url: str | None
    ca_bundle: str | None
    changed: bool = True

    headers = None  # `platform url show` is "label: value" lines
    empty = ""
    notes: ClassVar[tuple[str, ...]] = ()

    @property
    def warnings(self) -> tuple[str, ...]:
        return () if self.url else (UNSET_WARNING,)

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "ca_bundle": self.ca_bundle}

    def rows(self) -> list[tuple[str, str]]:
        url = ("url", self.url or "(not set)")
        return [url, ("ca_bundle", self.ca_bundle)] if self.ca_bundle else [url]

    @property
    def host(self) -> str | None:
        return urllib.parse.urlsplit(self.url).hostname if self.url else None

    @property
    def port(self) -> int:
        return (urllib.parse.urlsplit(self.url).port or 443) if self.url else 443


def show_platform_url(path: Path) -> PlatformUrl:
    from duoctl.config.reader import load_config

    config = load_config(path)
    return PlatformUrl(config.platform_url, config.platform_ca_bundle)


def set_platform_url(path: Path, url: str, *, ca_bundle: str | None = None) -> PlatformUrl:
    from duoctl.config.edit import edit_config
    from duoctl.providers import validate_ca_bundle

    value = validate_platform_url(url)
    bundle = validate_ca_bundle(ca_bundle) if ca_bundle is not None else None
    with edit_config(path) as edit:
        before = edit.before
        wanted = (value, bundle if ca_bundle is not None else before.platform_ca_bundle)
        changed = (before.platform_url, before.platform_ca_bundle) != wanted
        if changed:
            edit.set_table("platform", url=wanted[0], ca_bundle=wanted[1])
    return PlatformUrl(*wanted, changed=changed)


def unset_platform_url(path: Path) -> PlatformUrl:
    from duoctl.config.edit import edit_config

    with edit_config(path) as edit:
        before = edit.before
        changed = before.platform_url is not None or before.platform_ca_bundle is not None
        if changed:
            edit.set_table("platform", url=None, ca_bundle=None)
    return PlatformUrl(None, None, changed=changed)


# Duo's limit on a redirect URI's length (the emulator enforces the same, emulator.tokens).
REDIRECT_URI_MAX = 256


def redirect_uri_for(url: str) -> str:
    """The redirect URI the platform sends Duo: its URL Application parameter, at the root."""
    return url.rstrip("/") + "/"


def redirect_uri_problem(uri: str) -> str | None:
    """Why Duo would refuse ``uri`` as a redirect URI (the rules the emulator enforces, see
    ``duoctl.emulator.tokens.is_acceptable_redirect_uri``), or None."""
    if not 1 <= len(uri) <= REDIRECT_URI_MAX:
        return f"it is {len(uri)} characters long; Duo accepts 1-{REDIRECT_URI_MAX}"
    try:
        parts = urllib.parse.urlsplit(uri)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        return "it is not a valid URL"
    if parts.scheme != "https":
        return "it is not https"
    if not host:
        return "it has no host name"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    return "its host is an IP address"
