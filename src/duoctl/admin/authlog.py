"""`duoctl logs`: recent authentication attempts from Duo's authentication log (v2).

Duo's endpoint (GET /admin/v2/logs/authentication, duo_client 5.7.0 admin.py
`get_authentication_log(api_version=2)`) wants a window in milliseconds (``mintime`` and
``maxtime``, at most 180 days back), answers at most ``limit`` records (1 to 1000, default
100) newest first, and a ``metadata.next_offset`` to ask for the next page. Fetching walks the
pages until it has what was asked, bounded in pages and in time, and says so when it stops
short.

Duo makes a record visible about two minutes after the authentication ("There is an
intentional two minute delay in availability of new authentications in the API response":
Admin API docs, "Authentication Logs"); :data:`duoctl.admin.log_delay.LOG_DELAY` is that figure.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from duoctl.admin.fields import items, mapping, seconds, text, utc
from duoctl.admin.session import AdminSession
from duoctl.errors import ValidationError

MAX_AGE = datetime.timedelta(days=180)  # Duo keeps and serves 180 days of records
MAX_PAGE = 1000  # Duo's largest ``limit``
DEFAULT_BUDGET = 60.0  # seconds all the pages of one listing may take

# Duo's reason values (Admin API docs, "Authentication Logs", ``reason``) that support meets,
# with what each means for the user at the prompt. Others are shown as Duo spells them.
REASON_MEANING = {
    "user_approved": "the user approved",
    "valid_passcode": "a valid passcode was entered",
    "bypass_user": "the user is in bypass status: no second factor was asked",
    "allow_unenrolled_user": "not enrolled, let in by the New User Policy",
    "remembered_device": "a remembered device: no prompt",
    "trusted_network": "a trusted network: no prompt",
    "allowed_by_policy": "allowed by policy",
    "user_cancelled": "the user denied the push (or cancelled)",
    "user_marked_fraud": "the user reported the push as fraud",
    "no_response": "the push was not answered in time",
    "locked_out": "the user is locked out (too many failed attempts, or by an admin)",
    "user_disabled": "the user is disabled in Duo",
    "deny_unenrolled_user": "not enrolled, denied by the New User Policy",
    "user_not_enrolled": "the user has not enrolled a device",
    "user_not_in_permitted_group": "the user is not in a group the application permits",
    "denied_by_policy": "a policy denied it (device, location, network...)",
    "invalid_passcode": "a wrong passcode was entered",
    "no_activated_duo_mobile_account": "no activated Duo Mobile to push to",
    "anomalous_push": "Duo held back a push it judged anomalous",
    "frequent_attempts": "too many attempts in a short time",
    "error": "an error at Duo",
}


@dataclass(frozen=True)
class Attempt:
    """One record of Duo's authentication log, as support reads it."""

    time: datetime.datetime | None
    txid: str | None
    user: str | None
    result: str | None
    reason: str | None
    factor: str | None
    access_ip: str | None
    application: str | None  # the integration key (a provider's Client ID)
    application_name: str | None
    device: str | None

    @property
    def meaning(self) -> str:
        return REASON_MEANING.get(self.reason or "", "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": None if self.time is None else self.time.isoformat(),
            "txid": self.txid,
            "user": self.user,
            "result": self.result,
            "reason": self.reason,
            "meaning": self.meaning or None,
            "factor": self.factor,
            "access_device_ip": self.access_ip,
            "application": self.application,
            "application_name": self.application_name,
            "auth_device": self.device,
        }


@dataclass
class Listing:
    """The attempts found, newest first, and whether there may be more than were fetched."""

    attempts: list[Attempt] = field(default_factory=list)
    complete: bool = True  # False: stopped at the limit, the page cap or the time budget
    stopped_because: str | None = None
    pages: int = 0


class LogsResult:
    """`duoctl logs`'s result (duoctl.output.render): a listing and the window it covers."""

    headers = ("Time (UTC)", "User", "Result", "Reason", "Factor", "Access IP", "Txid")
    warnings: tuple[str, ...] = ()

    def __init__(self, listing: Listing, start: datetime.datetime, until: datetime.datetime):
        self.listing = listing
        self.start = start
        self.until = until

    @property
    def empty(self) -> str:
        return (
            f"no authentication attempts since {self.start:%Y-%m-%d %H:%M:%S} UTC (Duo shows "
            "an attempt about 2 minutes after it happens)"
        )

    @property
    def notes(self) -> tuple[str, ...]:
        listing = self.listing
        if listing.complete or not listing.attempts:
            return ()
        return (
            f"showing the newest {len(listing.attempts)}: stopped at "
            f"{listing.stopped_because}; narrow --since or raise --limit",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.start.isoformat(),
            "until": self.until.isoformat(),
            "complete": self.listing.complete,
            "stopped_because": self.listing.stopped_because,
            "attempts": [a.to_dict() for a in self.listing.attempts],
        }

    def rows(self) -> list[tuple[str, ...]]:
        from duoctl.output import safe_text  # every field but the time came from Duo

        return [
            (
                "-" if a.time is None else f"{a.time:%Y-%m-%d %H:%M:%S}",
                *(
                    safe_text(value or "-")
                    for value in (a.user, a.result, a.reason, a.factor, a.access_ip, a.txid)
                ),
            )
            for a in self.listing.attempts
        ]


_SINCE = re.compile(r"(\d+)\s*([smhdw])", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now: datetime.datetime) -> datetime.datetime:
    """``--since``: an age ("90s", "15m", "1h", "2d", "1w") or an ISO 8601 time (UTC unless
    it says otherwise); ValidationError beyond Duo's 180 days or in the future."""
    value = text.strip()
    match = _SINCE.fullmatch(value)
    if match:
        start = now - datetime.timedelta(
            seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        )
    else:
        try:
            start = datetime.datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(
                f"--since {text!r} is neither an age nor a time",
                hint="write an age such as 30m, 2h, 1d, or a time such as 2026-11-30T08:00Z",
            ) from None
        if start.tzinfo is None:
            start = start.replace(tzinfo=datetime.UTC)
    if start > now:
        raise ValidationError(f"--since {text!r} is in the future")
    if now - start > MAX_AGE:
        raise ValidationError(
            f"--since {text!r} reaches back more than 180 days",
            hint="Duo keeps 180 days of authentication records",
        )
    return start


def fetch(
    session: AdminSession,
    *,
    since: datetime.datetime,
    until: datetime.datetime,
    limit: int,
    users: Sequence[str] = (),
    applications: Sequence[str] = (),
    page_size: int = MAX_PAGE,
    max_pages: int = 50,
    budget: float = DEFAULT_BUDGET,
    clock: Callable[[], float] = time.monotonic,
) -> Listing:
    """Up to ``limit`` attempts in [since, until], newest first, following next_offset.

    ``users`` are Duo user IDs and ``applications`` integration keys, as Duo filters them.
    """
    if limit < 1:
        raise ValidationError("--limit must be at least 1")
    listing = Listing()
    started = clock()
    next_offset: list[str] | str | None = None
    while True:
        page = session.authentication_log(
            mintime_ms=_ms(since),
            maxtime_ms=_ms(until),
            limit=max(1, min(page_size, MAX_PAGE, limit - len(listing.attempts))),
            next_offset=next_offset,
            users=users or None,
            applications=applications or None,
        )
        listing.pages += 1
        listing.attempts += [attempt(r) for r in items(page.get("authlogs")) if isinstance(r, dict)]
        next_offset = _next_offset(page)
        if next_offset is None:
            return listing
        stop = None
        if len(listing.attempts) >= limit:
            stop = f"the limit of {limit}"
        elif listing.pages >= max_pages:
            stop = f"{max_pages} pages"
        elif clock() - started > budget:
            stop = f"{budget:.0f} s of paging"
        if stop is not None:
            listing.attempts = listing.attempts[:limit]
            listing.complete = False
            listing.stopped_because = stop
            return listing


def attempt(record: dict[str, Any]) -> Attempt:
    access = mapping(record.get("access_device"))
    app = mapping(record.get("application"))
    auth_device = mapping(record.get("auth_device"))
    user = mapping(record.get("user"))
    return Attempt(
        time=_time(record),
        txid=_text(record.get("txid")),
        user=_text(user.get("name")),
        result=_text(record.get("result")),
        reason=_text(record.get("reason")),
        factor=_text(record.get("factor")),
        access_ip=_text(access.get("ip")),
        application=_text(app.get("key")),
        application_name=_text(app.get("name")),
        device=_text(auth_device.get("name")),
    )


def _next_offset(page: dict[str, Any]) -> list[str] | str | None:
    # Duo returns ["<ms>", "<txid>"] (Admin API docs); duo_client passes a list back as the
    # parameter repeated, a string as is. Anything else ends the walk.
    offset = mapping(page.get("metadata")).get("next_offset")
    if isinstance(offset, list) and offset and all(isinstance(p, str | int) for p in offset):
        return [str(p) for p in offset]
    if isinstance(offset, str) and offset:
        return offset
    return None


def _time(record: dict[str, Any]) -> datetime.datetime | None:
    # v2 records carry ``timestamp`` (Unix seconds) and ``isotimestamp``.
    stamp = seconds(record.get("timestamp"))
    if stamp is not None:
        return utc(stamp)
    iso = record.get("isotimestamp")
    if isinstance(iso, str):
        try:
            parsed = datetime.datetime.fromisoformat(iso)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
    return None


def _ms(moment: datetime.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _text(value: object) -> str | None:
    # A record's strings: an empty one says nothing either.
    return text(value) or None
