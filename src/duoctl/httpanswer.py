"""What answers at Duo's address, at the HTTP level: status, content type, ``Retry-After``.

``duo_universal`` keeps the HTTP response to itself: a 429 reaches duoctl as Duo's JSON body
without its headers, and an HTML page as a bare ``JSONDecodeError`` without its status. To
tell a rate limit from an outage from a captive portal, duoctl looks once more, only after
such a failure: one POST to the health-check URL with no credentials (nothing secret is
sent), not following redirects, under a deadline. Whatever answers the SDK answers this.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Protocol

from duoctl.deadline import call_with_deadline
from duoctl.output import safe_text

HEALTH_CHECK_PATH = "/oauth/v1/health_check"
PROBE_TIMEOUT = 5.0  # seconds: a diagnosis, not the call that failed
# A Retry-After beyond this is not advice a person can act on; it is reported as "later".
MAX_RETRY_AFTER = 24 * 3600


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    content_type: str  # lower-cased media type without parameters ("text/html")
    retry_after: int | None  # seconds, when the answer said (RFC 9110 section 10.2.3)

    @property
    def is_html(self) -> bool:
        return self.content_type in {"text/html", "application/xhtml+xml"}


class AnswerProbe(Protocol):
    """Look at what answers at ``host`` (a seam: tests give canned answers)."""

    def __call__(self, host: str, ca_bundle: str, timeout: float) -> HttpAnswer | None: ...


def media_type(header: str | None) -> str:
    # The network's word, printed in reports: cleaned and cut like any such text.
    return safe_text((header or "").partition(";")[0].strip().lower(), limit=100)


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> int | None:
    """Seconds from a ``Retry-After`` header: delay-seconds or an HTTP-date; None when
    absent, unreadable or beyond :data:`MAX_RETRY_AFTER`."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        seconds = int(text)
    else:
        try:
            seconds = round(parsedate_to_datetime(text).timestamp() - now())
        except (TypeError, ValueError, IndexError):
            return None
        seconds = max(seconds, 0)
    return seconds if seconds <= MAX_RETRY_AFTER else None


def probe_answer(host: str, ca_bundle: str, timeout: float = PROBE_TIMEOUT) -> HttpAnswer | None:
    """One credential-free POST to ``https://host/oauth/v1/health_check``; None when nothing
    answers in time (the caller keeps the diagnosis it had)."""
    import requests

    def look() -> HttpAnswer:
        response = requests.post(
            f"https://{host}{HEALTH_CHECK_PATH}",
            data={},
            verify=ca_bundle,
            timeout=timeout,
            allow_redirects=False,
            stream=True,  # the headers are the answer: leave a large page unread
        )
        with response:
            return HttpAnswer(
                response.status_code,
                media_type(response.headers.get("Content-Type")),
                parse_retry_after(response.headers.get("Retry-After")),
            )

    try:
        return call_with_deadline(look, timeout + 0.5, TimeoutError, name="duo-probe")
    except Exception:  # a failed look changes nothing: the first error stands
        return None
