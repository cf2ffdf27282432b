"""`duoctl user show`: one Duo user as support needs to see them after "I got no push".

Fields and values follow Duo's user object (Admin API docs, "Users": ``status`` is "active",
"bypass", "disabled", "locked out" or "pending deletion"; ``phones[].capabilities`` lists
"push", "sms", "phone", "mobile_otp", "auto"; ``last_login`` is Unix seconds or null; duo_client
5.7.0 admin.py module docstring, "USERS"). Anything else Duo sends is ignored; anything
missing or of the wrong type is shown as unknown rather than guessed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, ClassVar

from duoctl.admin.fields import flag, items, seconds, text, utc
from duoctl.admin.session import AdminSession
from duoctl.errors import ValidationError
from duoctl.output import safe_text

# What each status means for the next login through a Duo-protected application (Admin API
# docs, "Users": "bypass" skips the second factor, "disabled" and "locked out" deny).
STATUS_MEANING = {
    "active": "Duo prompts for a second factor as usual",
    "bypass": "Duo lets them in WITHOUT a second factor",
    "disabled": "Duo denies every login",
    "locked out": "Duo denies every login until an administrator unlocks the user",
    "pending deletion": "Duo denies every login: the user is about to be deleted",
}


@dataclass(frozen=True)
class PhoneView:
    name: str
    platform: str
    model: str
    push: bool  # "push" in capabilities and the Duo Mobile app activated
    activated: bool | None
    capabilities: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "platform": self.platform,
            "model": self.model,
            "push_capable": self.push,
            "activated": self.activated,
            "capabilities": list(self.capabilities),
        }


@dataclass(frozen=True)
class UserView:
    """What Duo holds for the name looked up; ``found`` False: Duo has no such user."""

    asked: str
    found: bool
    username: str | None = None
    user_id: str | None = None  # Duo's key for the user: what log filters take
    status: str | None = None
    enrolled: bool | None = None
    phones: tuple[PhoneView, ...] = ()
    last_login: datetime.datetime | None = None
    groups: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    def findings(self) -> list[str]:
        """Why a login of this user would not end in a push being approved, plainly."""
        if not self.found:
            return [
                f"Duo has no user {self.asked!r} (nor an alias of that name): on first login "
                "the application's New User Policy decides (Duo's default: enrollment)"
            ]
        found: list[str] = []
        if self.status is not None and self.status != "active":
            meaning = STATUS_MEANING.get(self.status, "not a status duoctl knows")
            found.append(f"status {self.status!r}: {meaning}")
        if self.enrolled is False:
            found.append(
                "not enrolled: Duo shows enrollment (or denies, per the New User Policy) "
                "instead of a push"
            )
        if self.enrolled and not any(p.push for p in self.phones):
            found.append(
                "no phone can receive a push (Duo Mobile not activated, or no smartphone): "
                "the user needs a passcode, a call or another factor"
            )
        return found

    # `user show`'s result (duoctl.output.render): the fields, then the phones' table.
    headers = ("Field", "Value")
    notes: ClassVar[tuple[str, ...]] = ()

    @property
    def empty(self) -> str:
        return f"Duo has no user {safe_text(self.asked)!r}"

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(self.findings())

    def rows(self) -> list[tuple[str, str]]:
        if not self.found:
            return []
        last = "never" if self.last_login is None else f"{self.last_login:%Y-%m-%d %H:%M:%S} UTC"
        # Every value but the time came from Duo.
        rows = [
            ("User", safe_text(self.username or self.asked)),
            ("Status", safe_text(self.status or "unknown")),
            ("Enrolled", _yes_no(self.enrolled)),
            ("Last login", last),
            ("Groups", safe_text(", ".join(self.groups)) or "-"),
        ]
        if self.aliases:
            rows.append(("Aliases", safe_text(", ".join(self.aliases))))
        return rows

    @property
    def then(self) -> PhonesTable | None:
        return PhonesTable(self.phones) if self.found else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "username": self.asked,
            "exists": self.found,
            "duo_username": self.username,
            "status": self.status,
            "enrolled": self.enrolled,
            "phones": [p.to_dict() for p in self.phones],
            "last_login": None if self.last_login is None else self.last_login.isoformat(),
            "groups": list(self.groups),
            "aliases": list(self.aliases),
            "findings": self.findings(),
        }


@dataclass(frozen=True)
class PhonesTable:
    """The phones' table under `user show`'s fields (duoctl.output.Block: the JSON has the
    phones in the user's data)."""

    phones: tuple[PhoneView, ...]

    headers = ("Phone", "Platform", "Push", "Activated", "Capabilities")
    empty = "no phones"

    def rows(self) -> list[tuple[str, ...]]:
        return [
            (
                safe_text(p.name),
                safe_text(p.platform),
                "yes" if p.push else "no",
                _yes_no(p.activated),
                safe_text(", ".join(p.capabilities)) or "-",
            )
            for p in self.phones
        ]


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def lookup(session: AdminSession, username: str) -> UserView:
    """The user ``username`` as Duo has them. Duo matches usernames (and aliases)
    case-insensitively (Admin API docs, "Retrieve Users": ``username``), so no folding
    here: what Duo answers is the truth."""
    if not username.strip():
        # Refused here, never sent: what Duo does with an empty `username` filter is
        # unverified (a filter it ignores would list every user, and the first would be
        # shown as this one). `--user "$NAME"` with NAME unset lands here.
        raise ValidationError(
            "the username is empty", hint="give the user's Duo username, e.g. alice"
        )
    users = session.users_by_name(username)
    if not users:
        return UserView(asked=username, found=False)
    return user_view(username, users[0])


def user_view(asked: str, user: dict[str, Any]) -> UserView:
    return UserView(
        asked=asked,
        found=True,
        username=text(user.get("username")),
        user_id=text(user.get("user_id")),
        status=text(user.get("status")),
        enrolled=flag(user.get("is_enrolled")),
        phones=tuple(_phone(p) for p in items(user.get("phones")) if isinstance(p, dict)),
        last_login=_when(user.get("last_login")),
        groups=tuple(
            name
            for g in items(user.get("groups"))
            if isinstance(g, dict) and (name := text(g.get("name"))) is not None
        ),
        aliases=_aliases(user.get("aliases")),
    )


def _phone(phone: dict[str, Any]) -> PhoneView:
    capabilities = tuple(c for c in items(phone.get("capabilities")) if isinstance(c, str))
    activated = flag(phone.get("activated"))
    return PhoneView(
        name=text(phone.get("name")) or text(phone.get("number")) or "-",
        platform=text(phone.get("platform")) or "unknown",
        model=text(phone.get("model")) or "",
        # Duo sends a push only to an activated Duo Mobile (Admin API docs, "Phones":
        # "activated ... Duo Mobile app is activated"; "push" in capabilities).
        push="push" in capabilities and activated is not False,
        activated=activated,
        capabilities=capabilities,
    )


def _aliases(value: object) -> tuple[str, ...]:
    # Duo's "aliases" is an object {"alias1": "...", ...}; older answers use alias1..4 keys.
    if isinstance(value, dict):
        return tuple(v for _, v in sorted(value.items()) if isinstance(v, str) and v)
    return ()


def _when(value: object) -> datetime.datetime | None:
    stamp = seconds(value)
    return None if stamp is None else utc(stamp)
