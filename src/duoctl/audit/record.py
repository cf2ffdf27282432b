"""What one audit record holds: who did what, when, to which fields, and the result.

Never a secret: a secret change is recorded as an action ("rotated", "stored", "deleted")
with a short keyed fingerprint (HMAC-SHA256 under a random per-config key that lives in the
secret store, never in a file), so two records can be compared without revealing anything.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from duoctl.secrets import SecretStore

# Not a valid provider name (those start with a letter or digit): it cannot collide with one.
FINGERPRINT_KEY_NAME = "_audit-fingerprint-key"
FINGERPRINT_HEX = 16  # 64 bits: enough to tell secrets apart, far too short to test guesses


def utc_now() -> str:
    return (
        datetime.datetime.now(datetime.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def actor() -> dict[str, Any]:
    import pwd  # the account, not $USER/$LOGNAME: those are whatever the caller set

    try:
        user = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        user = str(os.getuid())
    return {
        "user": user,
        "uid": os.getuid(),
        "sudo_user": os.environ.get("SUDO_USER") or None,
        "host": os.uname().nodename,
        "pid": os.getpid(),
    }


def fingerprint(store: SecretStore, secret: str) -> str:
    """A short keyed fingerprint of ``secret``; creates this config's key on first use.

    Call under the config lock: two first writers must not each create a key.
    """
    key = store.get(FINGERPRINT_KEY_NAME)
    if key is None:
        key = os.urandom(20).hex()  # 40 characters, the shape every store accepts
        store.set(FINGERPRINT_KEY_NAME, key)
    digest = hmac.new(key.encode(), secret.encode(), hashlib.sha256).hexdigest()
    return "hmac-sha256:" + digest[:FINGERPRINT_HEX]


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every changed key as ``{"field", "before", "after"}`` (None: absent on that side)."""
    old, new = _flatten(before), _flatten(after)
    return [
        {"field": key, "before": old.get(key), "after": new.get(key)}
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    ]


def config_digest(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()
