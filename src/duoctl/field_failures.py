"""The failures Duo integrators meet in the field (issue 15), as duoctl names them: what
went wrong, its likely cause and the fix. :mod:`duoctl.duoclient` decides which one a failed
call is; this module words them (and, for a certificate only Duo's pinned bundle refused,
looks at it once more), so the words live in one place for test-login and doctor alike.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from duoctl.deadline import call_with_deadline
from duoctl.endpoint import split_endpoint
from duoctl.errors import (
    DuoctlError,
    DuoProtocolError,
    DuoRateLimited,
    DuoUnreachable,
    ValidationError,
)
from duoctl.httpanswer import HttpAnswer
from duoctl.output import safe_text

# Duo down, or the path to it: what happens to users meanwhile is the platform's failmode.
OUTAGE_HINT = (
    "check https://status.duo.com and the network path to Duo (proxy, load balancer); "
    "until it answers, the platform's failmode decides whether users are locked out "
    "(closed) or let in without a second factor (open)"
)
# Duo's authorize answer (in the browser) to keys it does not serve the Universal Prompt
# for: duo_universal_csharp issues 14 and 45; Duo's fix there: a Web SDK application.
UNAUTHORIZED_OIDC = "unauthorized_request"
NOT_WEB_SDK_CAUSE = (
    "keys from an Auth API or Admin API application are refused, and so is a Web SDK "
    "application whose Universal Prompt is not activated: in the Duo Admin Panel, open "
    "Applications, check that this Client ID's application is of type 'Web SDK' and that "
    "its Universal Prompt is activated"
)


def username_mismatch(username: str | None, action: str) -> DuoProtocolError:
    """Duo matched the login to a user but named it differently (issue 15, row 6).

    Duo finds users case-insensitively and may return its own spelling: lower case, an
    alias's primary name (duo_universal_csharp issue 47), a name without the domain part
    when the application normalises usernames. The SDK compares exactly and keeps the name
    Duo returned to itself, so only the name sent can be shown.
    """
    sent = f"'{safe_text(username, limit=100)}'" if username else "the username duoctl sent"
    bare = username.rpartition("\\")[2].partition("@")[0] if username else "NAME"
    return DuoProtocolError(
        f"Duo's answer names another user than {sent} ({action}): Duo matched the login "
        "to a user it spells differently, and the Duo SDK compares names exactly",
        hint=f"pass --username exactly as the Duo Admin Panel spells the user (case, "
        f"{bare}@domain vs {bare}, DOMAIN\\{bare}, or an alias all find one Duo user, "
        "who comes back under its own name); and check the 'Username normalization' "
        "setting of the application in the Admin Panel, which decides whether a domain "
        "part is dropped",
        data={"cause": "username_mismatch", "username_sent": username},
    )


def not_json_shape(answer: HttpAnswer | None) -> str:
    """What came instead of Duo's JSON, as far as a second look saw it."""
    if answer is not None and 300 <= answer.status < 400:
        # Duo's API never redirects; a portal sends every request to its login page.
        return f"a redirect, HTTP {answer.status}"
    if answer is not None and answer.is_html:
        return "an HTML page"
    return "bad or empty JSON"


def is_json(answer: HttpAnswer) -> bool:
    return answer.content_type == "application/json"


def rate_limited(
    host: str, action: str, answer: HttpAnswer | None, *, duo_body: bool = True
) -> DuoRateLimited:
    retry_after = answer.retry_after if answer is not None else None
    when = (
        f"retry after {retry_after} s"
        if retry_after is not None
        # Duo's published limits are per minute (duo_client_python issue 101, Duo's answer).
        else "no Retry-After given; Duo counts its limits per minute, so retry in a minute"
    )
    return DuoRateLimited(
        f"Duo rate limited {action} on {host} "
        f"(HTTP 429{', 42901 Too Many Requests' if duo_body else ''}): {when}",
        hint="wait, then run it again; if it keeps happening, something else is calling Duo "
        "with this application's Client ID in a loop (Duo's authentication log shows it)",
        data={"http_status": 429, "retry_after_seconds": retry_after},
    )


def classify_page(answer: HttpAnswer, host: str, action: str) -> DuoctlError:
    """A 429 or 5xx answer that is not Duo's JSON (issue 15, row 4)."""
    if answer.status == 429:
        return rate_limited(host, action, answer, duo_body=False)
    what = f"HTTP {answer.status} with {'an HTML page' if answer.is_html else 'no JSON'}"
    return DuoUnreachable(
        f"Duo, or the path to it, is failing: {host} answered {action} with {what}",
        hint=OUTAGE_HINT,
        data={"http_status": answer.status, "content_type": answer.content_type},
    )


_UNTRUSTED_CHAIN = frozenset({2, 18, 19, 20, 21})  # OpenSSL X509_V_ERR_*: no trusted issuer


def pinned_refusal(
    chain: list[BaseException], host: str, action: str, timeout: float, pinned: str
) -> DuoUnreachable | None:
    """Interception, or a pinned bundle older than Duo's CA? None when the chain was not
    refused for want of a trusted issuer (an expired certificate, a wrong name...)."""
    # Imported here: tlschain loads cryptography, which only this rare failure needs.
    from duoctl.tlschain import explain_untrusted, look_at_chain, pinned_bundle_info

    if not any(
        isinstance(e, ssl.SSLCertVerificationError) and e.verify_code in _UNTRUSTED_CHAIN
        for e in chain
    ):
        return None
    try:
        name, port = split_endpoint(host)
        presented = call_with_deadline(
            lambda: look_at_chain(name, port, name, timeout),
            2 * timeout + 0.5,
            TimeoutError,
            name="duo-chain",
        )
    except (ValidationError, TimeoutError):
        presented = None
    detail, fix, data = explain_untrusted(host, presented, pinned_bundle_info(Path(pinned)))
    return DuoUnreachable(f"TLS to {host} failed during {action}: {detail}", hint=fix, data=data)
