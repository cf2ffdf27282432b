"""Unit tests of the support core (duoctl.admin.users, .authlog, .explain) against a fake
duo_client.Admin: odd shapes from Duo, paging and its bounds, and explain's waiting."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest

from admin.fakes import CREDENTIAL, FakeAdmin
from duoctl.admin import authlog, explain, users
from duoctl.admin.session import AdminSession
from duoctl.errors import ValidationError
from duoctl.output import Streams, render

NOW = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)


def session(fake: FakeAdmin) -> AdminSession:
    return AdminSession(fake, CREDENTIAL, notify=lambda _m: None, sleep=lambda _s: None)


def record(txid: str, user: str, ts: int, reason: str = "user_cancelled") -> dict[str, Any]:
    return {
        "txid": txid,
        "timestamp": ts,
        "user": {"name": user, "key": "DU" + user.upper()},
        "result": "denied",
        "reason": reason,
        "factor": "duo_push",
        "access_device": {"ip": "192.0.2.7"},
        "application": {"key": "DIAPP", "name": "PAM"},
        "auth_device": {"name": "iPhone"},
    }


def page(*records: dict[str, Any], next_offset: Any = None) -> dict[str, Any]:
    return {"authlogs": list(records), "metadata": {"next_offset": next_offset}}


# -- users ----------------------------------------------------------------------------------


def test_user_view_tolerates_missing_and_mistyped_fields() -> None:
    view = users.user_view(
        "alice",
        {
            "username": "alice",
            "status": 7,
            "is_enrolled": "yes",
            "last_login": "yesterday",
            "groups": [{"name": "ops"}, "junk", {"name": None}],
            "phones": [{"capabilities": ["push"], "activated": False}, "junk", {"name": "desk"}],
            "aliases": {"alias2": "al", "alias1": "a.l", "alias3": ""},
        },
    )
    assert (view.status, view.enrolled, view.last_login) == (None, None, None)
    assert view.groups == ("ops",)
    assert view.aliases == ("a.l", "al")
    # Push needs the capability and an activated Duo Mobile.
    assert [(p.name, p.push, p.platform) for p in view.phones] == [
        ("-", False, "unknown"),
        ("desk", False, "unknown"),
    ]


def test_unknown_status_is_shown_as_such() -> None:
    view = users.user_view("x", {"status": "pending deletion", "is_enrolled": True, "phones": []})
    assert view.findings()[0].startswith("status 'pending deletion': Duo denies every login")
    assert users.user_view("x", {"status": "new-thing"}).findings() == [
        "status 'new-thing': not a status duoctl knows"
    ]


def test_lookup_of_nobody_is_not_found() -> None:
    fake = FakeAdmin()
    fake.answer("get_users_by_name", [])
    view = users.lookup(session(fake), "ghost")
    assert (view.found, view.to_dict()["exists"]) == (False, False)
    assert fake.calls == [("get_users_by_name", ("ghost",), {})]


def _shown(view: users.UserView) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    render(Streams(out=out, err=err), "user show", view, json_output=False)
    return out.getvalue(), err.getvalue()


def test_user_show_text_is_the_fields_then_the_phones_in_a_pipe() -> None:
    view = users.user_view(
        "Al",
        {
            "username": "al\x1b[2J",
            "status": "active",
            "is_enrolled": True,
            "last_login": 1790000000,
            "phones": [
                {"name": "iPhone", "platform": "iOS", "capabilities": ["push"], "activated": True}
            ],
            "aliases": {"alias1": "a.l"},
        },
    )
    out, err = _shown(view)
    assert out.splitlines() == [
        " Field        Value",
        "\u2500" * 38,
        " User         al[2J",  # Duo's text, without its control characters
        " Status       active",
        " Enrolled     yes",
        " Last login   2026-09-21 14:13:20 UTC",
        " Groups       -",
        " Aliases      a.l",
        "",
        " Phone    Platform   Push   Activated   Capabilities",
        "\u2500" * 53,
        " iPhone   iOS        yes    yes         push",
    ]
    assert err == ""


def test_user_show_without_phones_or_user_says_so_on_stderr() -> None:
    out, err = _shown(users.user_view("nora", {"username": "nora", "is_enrolled": False}))
    assert " Enrolled     no" in out.splitlines()
    assert err.splitlines() == [
        "no phones",
        "warning: not enrolled: Duo shows enrollment (or denies, per the New User Policy) "
        "instead of a push",
    ]
    out, err = _shown(users.UserView(asked="ghost", found=False))
    assert out == ""
    assert err.startswith("Duo has no user 'ghost'\nwarning: Duo has no user 'ghost' (nor")


# -- authlog --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", NOW - datetime.timedelta(seconds=90)),
        ("15m", NOW - datetime.timedelta(minutes=15)),
        ("2H", NOW - datetime.timedelta(hours=2)),
        ("3d", NOW - datetime.timedelta(days=3)),
        ("1w", NOW - datetime.timedelta(weeks=1)),
        ("180d", NOW - datetime.timedelta(days=180)),
        ("2026-11-30T08:00", datetime.datetime(2026, 11, 30, 8, 0, tzinfo=datetime.UTC)),
        (
            "2026-11-30T09:00+01:00",
            datetime.datetime(2026, 11, 30, 8, 0, tzinfo=datetime.UTC),
        ),
    ],
)
def test_parse_since(text: str, expected: datetime.datetime) -> None:
    assert authlog.parse_since(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("181d", "180 days"),
        ("2026-12-01T00:00Z", "future"),
        ("soon", "neither an age nor a time"),
        ("5", "neither an age nor a time"),
        ("-5m", "neither an age nor a time"),
    ],
)
def test_parse_since_refuses(text: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        authlog.parse_since(text, NOW)


def test_fetch_follows_next_offset_and_passes_the_filters() -> None:
    fake = FakeAdmin()
    fake.answer(
        "get_authentication_log",
        page(record("t3", "a", 30), record("t2", "a", 20), next_offset=["20000", "t2"]),
        page(record("t1", "a", 10)),
    )
    listing = authlog.fetch(
        session(fake),
        since=NOW - datetime.timedelta(hours=1),
        until=NOW,
        limit=10,
        users=["DUA"],
        applications=["DIAPP"],
        page_size=2,
    )
    assert [a.txid for a in listing.attempts] == ["t3", "t2", "t1"]
    assert (listing.complete, listing.pages) == (True, 2)
    first, second = (kwargs for _, _, kwargs in fake.calls)
    assert first["mintime"] == int((NOW - datetime.timedelta(hours=1)).timestamp() * 1000)
    assert first["maxtime"] == int(NOW.timestamp() * 1000)
    assert (first["limit"], first["users"], first["applications"]) == ("2", ["DUA"], ["DIAPP"])
    assert "next_offset" not in first
    assert second["next_offset"] == "20000,t2"


@pytest.mark.parametrize(
    ("limit", "max_pages", "budget", "stopped"),
    [(2, 50, 60.0, "the limit of 2"), (10, 1, 60.0, "1 pages"), (10, 50, 0.0, "0 s of paging")],
)
def test_fetch_stops_at_its_bounds_and_says_which(
    limit: int, max_pages: int, budget: float, stopped: str
) -> None:
    fake = FakeAdmin()
    fake.answer(
        "get_authentication_log",
        lambda: page(record("t", "a", 1), record("u", "a", 1), next_offset=["1", "u"]),
    )
    ticks = iter(range(100))
    listing = authlog.fetch(
        session(fake),
        since=NOW - datetime.timedelta(hours=1),
        until=NOW,
        limit=limit,
        page_size=2,
        max_pages=max_pages,
        budget=budget,
        clock=lambda: float(next(ticks)),
    )
    assert (listing.complete, listing.stopped_because) == (False, stopped)
    assert len(listing.attempts) <= limit


def test_attempt_reads_an_isotimestamp_and_ignores_junk() -> None:
    found = authlog.attempt(
        {"isotimestamp": "2026-11-30T11:59:00", "user": "not-a-dict", "reason": "frequent_attempts"}
    )
    assert found.time == datetime.datetime(2026, 11, 30, 11, 59, tzinfo=datetime.UTC)
    assert (found.user, found.txid, found.meaning) == (
        None,
        None,
        "too many attempts in a short time",
    )
    assert authlog.attempt({"timestamp": True}).time is None


# -- explain --------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = NOW.timestamp()
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def run_explain(fake: FakeAdmin, clock: Clock, txid: str | None = None, wait: float = 150):
    said: list[str] = []
    found = explain.explain(
        session(fake),
        username="Dan",
        application="DIAPP",
        started=NOW - datetime.timedelta(seconds=5),
        txid=txid,
        wait=wait,
        poll=10,
        notify=said.append,
        clock=clock,
        sleep=clock.sleep,
    )
    return found, said


def test_explain_matches_the_newest_record_of_the_user_in_any_case() -> None:
    fake = FakeAdmin()
    fake.answer(
        "get_authentication_log",
        page(record("new", "dan", 300), record("other", "eve", 400), record("old", "dan", 100)),
    )
    found, said = run_explain(fake, Clock())
    assert found.attempt is not None
    assert (found.attempt.txid, found.matched_by) == ("new", "user and time")
    assert said == []
    assert "reason user_cancelled: the user denied the push" in found.lines()[0]
    assert fake.calls[0][2]["applications"] == ["DIAPP"]


def test_explain_prefers_the_txid_when_it_has_one() -> None:
    fake = FakeAdmin()
    fake.answer("get_authentication_log", page(record("new", "dan", 300), record("old", "dan", 1)))
    found, _ = run_explain(fake, Clock(), txid="old")
    assert found.attempt is not None
    assert (found.attempt.txid, found.matched_by) == ("old", "txid")


def test_explain_polls_until_duo_shows_the_record_and_says_it_waits_once() -> None:
    fake = FakeAdmin()
    fake.answer("get_authentication_log", page(), page(), page(record("t", "dan", 1)))
    clock = Clock()
    found, said = run_explain(fake, clock)
    assert found.attempt is not None
    assert clock.slept == [10, 10]
    assert len(said) == 1
    assert "about 2 minutes" in said[0]


def test_explain_gives_up_within_its_wait() -> None:
    fake = FakeAdmin()
    fake.answer("get_authentication_log", lambda: page(record("t", "eve", 1)))
    clock = Clock()
    found, _ = run_explain(fake, clock, wait=35)
    assert found.attempt is None
    assert sum(clock.slept) <= 35
    assert "duoctl logs --user Dan" in found.lines()[1]
    assert found.to_dict()["found"] is False
