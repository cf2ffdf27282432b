"""duo_client's failures as duoctl's errors, each with its exit code and fix.

duo_client raises a ``RuntimeError`` with ``.status``, ``.reason`` and ``.data`` (the raw
body) for any answer but 200 with ``"stat": "OK"`` (duo_client 5.7.0 client.py
`parse_json_response_and_metadata`), and lets socket, TLS and ``http.client`` errors through
(client.py `_connect`, `_attempt_single_request`). Duo's error body is
``{"stat": "FAIL", "code": NNNNN, "message": ..., "message_detail": ...}``
(https://duo.com/docs/adminapi#response-format).
"""

from __future__ import annotations

import http.client
import json
import ssl
from typing import Any

from duoctl.errors import (
    DuoCredentialsRejected,
    DuoctlError,
    DuoNotFound,
    DuoPermissionMissing,
    DuoProtocolError,
    DuoTimeout,
    DuoUnreachable,
    ValidationError,
)
from duoctl.output import safe_text

# Duo's 401 codes for a request Date it will not accept: 40104 "Missing request timestamp"
# (JohnDuprey/DuoSecurity issue 32, Duo's answer quoted) and 40105 "Bad request timestamp"
# (FreshSupaSulley/Auto-2FA issues 8 and 14, Duo's answers quoted); the same sources as the
# emulator's (docs/emulator-fidelity.md). The message is checked too ("date" or
# "timestamp"), in case another Duo API host words or numbers it differently (unverified).
DATE_CODES = (40104, 40105)
RATE_LIMITED = 429


def duo_body(exc: BaseException) -> dict[str, Any]:
    """Duo's JSON error body, or {} when the answer had none.

    duo_client's ``.data`` is the body already parsed when it was JSON (client.py
    `parse_json_response_and_metadata` rebinds ``data`` before its ``raise_error`` reads it),
    the raw bytes or text otherwise.
    """
    raw = getattr(exc, "data", None)
    if isinstance(raw, dict):
        return raw
    try:
        body = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else str(raw))
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _said(body: dict[str, Any]) -> str:
    message = str(body.get("message", ""))
    detail = body.get("message_detail")
    text = f"{message} ({detail})" if detail else message
    return safe_text(text, limit=200) or "no message"


def is_rate_limited(exc: BaseException) -> bool:
    return isinstance(exc, RuntimeError) and getattr(exc, "status", None) == RATE_LIMITED


def classify(
    exc: BaseException, *, host: str, action: str, permission: str | None = None
) -> DuoctlError:
    """Map an exception from a duo_client call to a domain error.

    ``permission`` is the Admin Panel permission ``action`` needs: Duo's 403 does not name it.
    """
    if isinstance(exc, DuoctlError):
        return exc
    status = getattr(exc, "status", None)
    if isinstance(exc, RuntimeError) and isinstance(status, int):
        return _classify_answer(status, duo_body(exc), host, action, permission)
    if isinstance(exc, TimeoutError):
        return DuoTimeout(
            f"{host} did not answer {action} in time",
            hint="check the network path to Duo (a firewall dropping packets), then try again",
        )
    if isinstance(exc, ssl.SSLCertVerificationError | ssl.CertificateError):
        return DuoUnreachable(
            f"TLS to {host} failed during {action}: the certificate could not be verified",
            hint="check [admin] ca_bundle (or log in again without --ca-bundle to use Duo's "
            "pinned bundle); a TLS-intercepting proxy or firewall breaks Duo; check the clock",
        )
    if isinstance(exc, ssl.SSLError):
        return DuoUnreachable(
            f"TLS to {host} failed during {action} ({safe_text(exc.reason or exc, limit=80)})",
            hint="check [admin] ca_bundle, and that nothing intercepts TLS on the way to Duo",
        )
    if isinstance(exc, OSError):
        import socket

        if isinstance(exc, socket.gaierror):
            return DuoUnreachable(
                f"cannot resolve {host} during {action}",
                hint="check the Admin API hostname ('duoctl admin login --host') and this "
                "machine's DNS",
            )
        if isinstance(exc, FileNotFoundError):
            return DuoUnreachable(
                f"cannot use the CA bundle for {host} during {action}: no such file",
                hint="log in again with an existing --ca-bundle, or without one",
            )
        return DuoUnreachable(
            f"cannot connect to {host} during {action} ({exc.strerror or type(exc).__name__})",
            hint="check the hostname and port, and that a firewall allows outbound HTTPS to Duo",
        )
    if isinstance(exc, http.client.HTTPException):
        return DuoUnreachable(
            f"the connection to {host} broke during {action} ({type(exc).__name__})",
            hint="try again; check that no proxy or firewall cuts HTTPS connections to Duo",
        )
    return DuoProtocolError(f"{action} failed: {type(exc).__name__}")


def _classify_answer(
    status: int, body: dict[str, Any], host: str, action: str, permission: str | None
) -> DuoctlError:
    code = body.get("code")
    said = _said(body)
    if status == 401:
        message = str(body.get("message", "")).lower()
        if code in DATE_CODES or "date" in message or "timestamp" in message:
            return DuoCredentialsRejected(
                f"Duo refused the request's Date during {action}: {said}",
                hint="check this host's clock (NTP: timedatectl status); Duo accepts a small "
                "skew only",
            )
        return DuoCredentialsRejected(
            f"Duo rejected the Admin API credential during {action}: {said}",
            hint="check the integration key and secret key on the Admin API application's "
            "page, then run 'duoctl admin login' again",
        )
    if status == 403:
        needed = permission or "a permission this call needs"
        return DuoPermissionMissing(
            f"the Admin API application lacks the permission {needed!r} ({action}): {said}",
            hint=f"in the Duo Admin Panel, open the Admin API application and tick "
            f"{needed!r}; 'duoctl admin status' lists what is missing",
        )
    if status == 404:
        return DuoNotFound(f"Duo has no such object ({action}): {said}")
    if status == 400:
        return ValidationError(f"Duo refused the request's parameters ({action}): {said}")
    if status == RATE_LIMITED:
        from duoctl.errors import DuoRateLimited

        return DuoRateLimited(
            f"Duo kept answering 429 (rate limited) to {action}",
            hint="wait a minute and try again; other Admin API clients of this account share "
            "its limit",
        )
    if status >= 500:
        return DuoUnreachable(
            f"{host} answered {action} with HTTP {status}: {said}",
            hint="Duo is having trouble: check https://status.duo.com and try again later",
        )
    return DuoProtocolError(f"{host} answered {action} with HTTP {status}: {said}")
