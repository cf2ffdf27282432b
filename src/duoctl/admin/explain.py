"""`test-login --explain`: after a deny or a timeout, Duo's own record of why.

The record is found in Duo's authentication log (:mod:`duoctl.admin.authlog`) by its txid
when the login got one (a token that says deny carries ``auth_context.txid``), else as the
newest record of that user in that application since the login began. Duo shows a record
about two minutes after the authentication (:data:`~duoctl.admin.log_delay.LOG_DELAY`), so
this polls, saying so, for up to ``wait`` seconds.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from duoctl.admin import authlog
from duoctl.admin.log_delay import EXPLAIN_WAIT
from duoctl.admin.session import AdminSession

DEFAULT_WAIT = EXPLAIN_WAIT
POLL_EVERY = 10.0
# Duo stamps a record with its own clock: look a little before the login began, so a host
# clock a few seconds ahead of Duo's does not hide the record.
_CLOCK_SLACK = datetime.timedelta(seconds=30)


@dataclass(frozen=True)
class Explanation:
    attempt: authlog.Attempt | None
    matched_by: str | None  # "txid", "user and time", or None when nothing was found
    waited: float
    username: str
    application: str

    def lines(self) -> list[str]:
        found = self.attempt
        if found is None:
            return [
                f"Duo's authentication log has no record of this login for {self.username!r} "
                f"yet (waited {self.waited:.0f} s).",
                "Duo shows a record about 2 minutes after the attempt, later when Duo is "
                f"slow; try: duoctl logs --user {self.username} --since 15m",
            ]
        when = "-" if found.time is None else found.time.strftime("%Y-%m-%d %H:%M:%S UTC")
        reason = found.reason or "no reason given"
        meaning = f": {found.meaning}" if found.meaning else ""
        return [
            f"Duo's record (matched by {self.matched_by}): {found.result or '?'}, "
            f"reason {reason}{meaning}",
            f"  at {when}, txid {found.txid or '-'}, factor {found.factor or '-'}, "
            f"access device {found.access_ip or '-'}",
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "found": self.attempt is not None,
            "matched_by": self.matched_by,
            "waited_seconds": round(self.waited, 1),
            "record": None if self.attempt is None else self.attempt.to_dict(),
        }


def preflight(session: AdminSession, *, clock: Callable[[], float] = time.time) -> None:
    """Prove, before a login, that its explanation can be read: Duo accepts the credential
    and it may read the log (one record of the last minute: the cheapest log read). Raises
    the Admin API's error (8, 14, 7...) so the operator fixes it before a push is sent."""
    now_ms = int(clock() * 1000)
    session.authentication_log(mintime_ms=now_ms - 60_000, maxtime_ms=now_ms, limit=1)


def explain(
    session: AdminSession,
    *,
    username: str,
    application: str,
    started: datetime.datetime,
    txid: str | None,
    wait: float = DEFAULT_WAIT,
    poll: float = POLL_EVERY,
    notify: Callable[[str], None],
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Explanation:
    """Duo's record of the login ``username`` began at ``started`` in ``application``."""
    begun = clock()
    said_waiting = False
    while True:
        now = datetime.datetime.fromtimestamp(clock(), datetime.UTC)
        listing = authlog.fetch(
            session,
            since=started - _CLOCK_SLACK,
            until=now,
            limit=authlog.MAX_PAGE,
            applications=(application,),
        )
        found, how = _match(listing.attempts, username=username, txid=txid)
        waited = clock() - begun
        if found is not None or waited + poll > wait:
            return Explanation(found, how, waited, username, application)
        if not said_waiting:
            notify(
                "Duo's authentication log shows an attempt about 2 minutes after it "
                f"happens: waiting up to {wait:.0f} s for this one (Ctrl+C stops)"
            )
            said_waiting = True
        sleep(poll)


def _match(
    attempts: list[authlog.Attempt], *, username: str, txid: str | None
) -> tuple[authlog.Attempt | None, str | None]:
    if txid is not None:
        for attempt in attempts:
            if attempt.txid == txid:
                return attempt, "txid"
        return None, None
    # Duo's usernames are not case-sensitive (Admin API docs, "Users"); the log names the
    # user as Duo stores them. Newest first, as Duo sorts them by default.
    wanted = username.casefold()
    mine = [a for a in attempts if a.user is not None and a.user.casefold() == wanted]
    if not mine:
        return None, None
    newest = max(mine, key=lambda a: a.time or datetime.datetime.min.replace(tzinfo=datetime.UTC))
    return newest, "user and time"
