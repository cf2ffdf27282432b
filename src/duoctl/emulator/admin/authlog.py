"""The authentication log: every authorize decision, kept in memory and served as Duo's
Admin API v2 ``/admin/v2/logs/authentication`` shapes it.

Record and query shapes: duo_client 5.7.0 admin.py ``get_authentication_log`` (docstring,
API version 2) and Duo's Admin API docs, "Authentication Logs"; fields the emulator cannot
know (locations, browsers) are empty, as Duo leaves them when it does not know either.
"""

from __future__ import annotations

import collections
import datetime
import hashlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from duoctl.emulator.admin import errors

LOG_LIMIT = 10_000  # records kept; the oldest go first
DEFAULT_PAGE = 100  # Duo's default ``limit`` (Admin API docs)
MAX_PAGE = 1000  # Duo's largest ``limit`` (Admin API docs)
# mintime may reach back this far (Duo answers 400 "mintime must be within the past 180
# days": elastic/integrations PR 11670, observed from Duo).
MAX_AGE_MS = 180 * 86_400 * 1000
_SORTS = {"ts:desc": True, "ts:asc": False}
_EMPTY_LOCATION = {"city": "", "state": "", "country": ""}


def whole_number(text: str) -> int | None:
    """``text`` as a whole number, or None: ASCII digits only (``str.isdigit`` also takes
    "²" and other scripts' digits, which ``int`` refuses) and at most 15 of them (``int``
    refuses over 4,300, and no count or time here needs more)."""
    if not text.isascii() or not text.isdigit() or len(text) > 15:
        return None
    return int(text)


def user_key(name: str) -> str:
    """A stable Duo-style user ID ("DU" + 18 upper-case characters) for a username: the same
    user keeps its key across resets and restarts, as a real account's user does."""
    digest = hashlib.sha256(name.casefold().encode()).hexdigest().upper()
    return "DU" + digest[:18]


@dataclass(frozen=True)
class AuthRecord:
    txid: str
    timestamp: float  # seconds since the epoch, the server's (possibly skewed) time
    username: str
    result: str
    reason: str
    factor: str
    application_key: str
    application_name: str
    access_ip: str
    device_name: str

    @property
    def ms(self) -> int:
        return int(self.timestamp * 1000)

    def to_json(self) -> dict[str, Any]:
        moment = datetime.datetime.fromtimestamp(self.timestamp, datetime.UTC)
        return {
            "access_device": {"ip": self.access_ip, "location": dict(_EMPTY_LOCATION)},
            "application": {"key": self.application_key, "name": self.application_name},
            "auth_device": {
                "ip": None,
                "location": dict(_EMPTY_LOCATION),
                "name": self.device_name or None,
            },
            "event_type": "authentication",
            "factor": self.factor,
            "isotimestamp": moment.isoformat(),
            "reason": self.reason,
            "result": self.result,
            "timestamp": int(self.timestamp),
            "txid": self.txid,
            "user": {"key": user_key(self.username), "name": self.username},
        }


@dataclass(frozen=True)
class LogQuery:
    mintime: int  # ms
    maxtime: int  # ms
    limit: int
    newest_first: bool
    after: tuple[int, str] | None  # next_offset: (ms, txid)
    users: frozenset[str]  # user keys
    applications: frozenset[str]
    results: frozenset[str]
    reasons: frozenset[str]
    factors: frozenset[str]
    event_types: frozenset[str]

    def matches(self, record: AuthRecord) -> bool:
        checks: list[tuple[frozenset[str], str]] = [
            (self.users, user_key(record.username)),
            (self.applications, record.application_key),
            (self.results, record.result),
            (self.reasons, record.reason),
            (self.factors, record.factor),
            (self.event_types, "authentication"),
        ]
        in_time = self.mintime <= record.ms <= self.maxtime
        return in_time and all(not wanted or value in wanted for wanted, value in checks)


class AuthLog:
    """Bounded and thread-safe: handler threads append while others page through it."""

    def __init__(self, limit: int = LOG_LIMIT) -> None:
        self._records: collections.deque[AuthRecord] = collections.deque(maxlen=limit)
        self._lock = threading.Lock()

    def append(self, record: AuthRecord) -> None:
        with self._lock:
            self._records.append(record)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def records(self) -> list[AuthRecord]:
        with self._lock:
            return list(self._records)

    def page(self, query: LogQuery) -> dict[str, Any]:
        """One page of matching records with Duo's ``metadata`` (``next_offset`` is the
        last record's ``[ms, txid]`` while more remain, else None)."""
        # Index breaks ties between records of the same millisecond in arrival order.
        found = [(r.ms, i, r) for i, r in enumerate(self.records()) if query.matches(r)]
        found.sort(key=lambda item: (item[0], item[1]), reverse=query.newest_first)
        total = len(found)  # every match, whichever page this is
        if query.after is not None:
            found = _after(found, query.after, newest_first=query.newest_first)
        page = found[: query.limit]
        more = len(found) > len(page)
        last = page[-1][2] if page else None
        next_offset = [str(last.ms), last.txid] if more and last is not None else None
        return {
            "authlogs": [r.to_json() for _, _, r in page],
            "metadata": {"next_offset": next_offset, "total_objects": total},
        }


def _after(
    found: list[tuple[int, int, AuthRecord]], offset: tuple[int, str], *, newest_first: bool
) -> list[tuple[int, int, AuthRecord]]:
    """The records that come after ``offset`` in this order."""
    ms, txid = offset
    for position, (_, _, record) in enumerate(found):
        if record.txid == txid:
            return found[position + 1 :]
    # The record fell out of the bounded log: continue from its time instead.
    if newest_first:
        return [item for item in found if item[0] < ms]
    return [item for item in found if item[0] > ms]


def parse_query(params: Mapping[str, Sequence[str]], now_ms: int) -> LogQuery:
    """Validate ``/admin/v2/logs/authentication`` parameters (400 naming the bad one)."""
    mintime = _time_param(params, "mintime")
    maxtime = _time_param(params, "maxtime")
    if mintime < now_ms - MAX_AGE_MS:
        raise errors.invalid_parameter("mintime", "must be within the past 180 days")
    if maxtime < mintime:
        raise errors.invalid_parameter("maxtime", "is before mintime")
    limit_text = _single(params, "limit")
    limit = DEFAULT_PAGE
    if limit_text is not None:
        number = whole_number(limit_text)
        if number is None or not 1 <= number <= MAX_PAGE:
            raise errors.invalid_parameter("limit", f"must be 1..{MAX_PAGE}")
        limit = number
    sort = _single(params, "sort") or "ts:desc"
    if sort not in _SORTS:
        raise errors.invalid_parameter("sort", "must be ts:desc or ts:asc")
    return LogQuery(
        mintime=mintime,
        maxtime=maxtime,
        limit=limit,
        newest_first=_SORTS[sort],
        after=_next_offset(params.get("next_offset", ())),
        users=_set(params, "users"),
        applications=_set(params, "applications"),
        results=_set(params, "results"),
        reasons=_set(params, "reasons"),
        factors=_set(params, "factors"),
        event_types=_set(params, "event_types"),
    )


def _single(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name, ())
    if len(values) > 1:
        raise errors.invalid_parameter(name, "given more than once")
    return values[0] if values else None


def _time_param(params: Mapping[str, Sequence[str]], name: str) -> int:
    text = _single(params, name)
    if text is None:
        raise errors.invalid_parameter(name, "is required")
    number = whole_number(text)
    if number is None:
        raise errors.invalid_parameter(name, "must be a Unix time in milliseconds")
    return number


def _next_offset(values: Sequence[str]) -> tuple[int, str] | None:
    """``next_offset`` as Duo documents it ("ms,txid") or as duo_client sends the list it
    was given (the parameter twice: ``next_offset=ms&next_offset=txid``)."""
    if not values:
        return None
    parts = values[0].split(",") if len(values) == 1 else list(values)
    ms = whole_number(parts[0]) if len(parts) == 2 else None
    if ms is None or not parts[1]:
        raise errors.invalid_parameter("next_offset", "must be the ms,txid pair Duo returned")
    return ms, parts[1]


def _set(params: Mapping[str, Sequence[str]], name: str) -> frozenset[str]:
    # Each value may itself be a comma-separated list.
    return frozenset(v for value in params.get(name, ()) for v in value.split(",") if v)
