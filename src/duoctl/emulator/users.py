"""Scripted users: who the emulator knows and how each one answers a push."""

from __future__ import annotations

import enum
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class Outcome(enum.Enum):
    APPROVE = "approve"
    DENY = "deny"
    FRAUD = "fraud"
    LOCKOUT = "lockout"
    POLICY_DENY = "policy_deny"
    TIMEOUT = "timeout"
    NOT_ENROLLED = "not_enrolled"


class NewUserPolicy(enum.Enum):
    """What Duo does with a user it has never seen (Admin Panel: Policies > New User Policy).

    ``enroll`` ("Require enrollment") is Duo's default; ``allow`` lets the user through with
    no second factor; ``deny`` refuses them.
    """

    ENROLL = "enroll"
    ALLOW = "allow"
    DENY = "deny"


def parse_new_user_policy(text: str) -> NewUserPolicy:
    try:
        return NewUserPolicy(text.strip().lower())
    except ValueError:
        choices = ", ".join(p.value for p in NewUserPolicy)
        raise ValueError(f"unknown new user policy {text!r}: choose one of {choices}") from None


def find_user(users: Mapping[str, EmulatedUser], name: str) -> EmulatedUser | None:
    """The user called ``name``, compared case-insensitively as Duo does (usernames are
    not case-sensitive there: duo_universal_csharp issue 47). An exact match wins."""
    exact = users.get(name)
    if exact is not None:
        return exact
    folded = name.casefold()
    # A scan, not an index: users may be added at runtime and lists are short.
    return next((u for u in list(users.values()) if u.name.casefold() == folded), None)


# A user's status as the Admin API spells it (duo_client 5.7.0 admin.py USER_STATUS_*).
USER_STATUSES = ("active", "bypass", "disabled", "locked out")
# What a phone can do, in the Admin API's words (Duo Admin API docs, "Phones": capabilities).
PHONE_CAPABILITIES = ("auto", "push", "sms", "phone", "mobile_otp")


@dataclass(frozen=True)
class Phone:
    """One of a user's phones as the Admin API reports it (Duo Admin API docs, "Phones")."""

    number: str = "+15555551234"
    platform: str = "Apple iOS"
    capabilities: tuple[str, ...] = PHONE_CAPABILITIES
    name: str = ""
    model: str = "iPhone"
    activated: bool = True

    def __post_init__(self) -> None:
        unknown = sorted(set(self.capabilities) - set(PHONE_CAPABILITIES))
        if unknown:
            choices = ", ".join(PHONE_CAPABILITIES)
            raise ValueError(f"unknown phone capability {unknown[0]!r}: choose from {choices}")


@dataclass
class EmulatedUser:
    name: str
    outcome: Outcome = Outcome.APPROVE
    delay: float = 0.0  # seconds before the push is "answered"
    factor: str = "duo_push"
    device_name: str = "iOS (XXX-XXX-1234)"
    # What the Admin API reports (and the authorize flow honours: status).
    status: str = "active"
    phones: tuple[Phone, ...] = field(default_factory=lambda: (Phone(),))
    groups: tuple[str, ...] = ()
    is_enrolled: bool = True
    last_login: float | None = None  # seconds since the epoch; None: never

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("an emulated user needs a non-empty name")
        if not isinstance(self.outcome, Outcome):
            raise ValueError(f"outcome must be an Outcome, not {self.outcome!r}")
        # NaN and infinity would make the handler wait forever or not at all.
        if not math.isfinite(self.delay) or self.delay < 0:
            raise ValueError(f"delay must be a finite number >= 0, not {self.delay!r}")
        if self.status not in USER_STATUSES:
            choices = ", ".join(repr(s) for s in USER_STATUSES)
            raise ValueError(f"unknown status {self.status!r}: choose one of {choices}")
        if not all(isinstance(p, Phone) for p in self.phones):
            raise ValueError("phones must be Phone values")


def parse_outcome(text: str) -> Outcome:
    normalised = text.strip().lower().replace("-", "_")
    try:
        return Outcome(normalised)
    except ValueError:
        choices = ", ".join(o.value for o in Outcome)
        raise ValueError(f"unknown outcome {text!r}: choose one of {choices}") from None


def parse_user_spec(spec: str) -> EmulatedUser:
    """Parse ``NAME[:OUTCOME[:DELAY]]`` as given to ``duoctl emulator --user``."""
    parts = spec.split(":")
    if len(parts) > 3 or not parts[0]:
        raise ValueError(f"invalid user {spec!r}: expected NAME[:OUTCOME[:DELAY]]")
    outcome = parse_outcome(parts[1]) if len(parts) > 1 and parts[1] else Outcome.APPROVE
    delay = 0.0
    if len(parts) == 3:
        try:
            delay = float(parts[2])
        except ValueError:
            raise ValueError(f"invalid delay in {spec!r}: expected seconds") from None
    return EmulatedUser(parts[0], outcome, delay)


def load_users_toml(path: Path) -> list[EmulatedUser]:
    """Read ``[[users]]`` tables: ``name`` (required), ``outcome``, ``delay``, ``factor``,
    ``device_name``, and what the Admin API reports: ``status``, ``groups`` (strings),
    ``is_enrolled``, ``last_login`` (Unix seconds) and ``[[users.phones]]`` tables (``number``,
    ``platform``, ``capabilities``, ``name``, ``model``, ``activated``). Unknown keys are
    errors so a typo does not silently do nothing."""
    with path.open("rb") as fh:
        document = tomllib.load(fh)
    entries = document.get("users")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: expected at least one [[users]] table")
    return [_user_from_table(entry, path, i) for i, entry in enumerate(entries, 1)]


_USER_KEYS = frozenset(
    {
        "name",
        "outcome",
        "delay",
        "factor",
        "device_name",
        "status",
        "phones",
        "groups",
        "is_enrolled",
        "last_login",
    }
)
_PHONE_KEYS = frozenset({"number", "platform", "capabilities", "name", "model", "activated"})


def _user_from_table(entry: Any, path: Path, index: int) -> EmulatedUser:
    where = f"{path}: users #{index}"
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where}: expected a table")
    unknown = set(entry) - _USER_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}: 'name' must be a non-empty string")
    outcome = entry.get("outcome", Outcome.APPROVE.value)
    delay = entry.get("delay", 0.0)
    factor = entry.get("factor", "duo_push")
    device = entry.get("device_name", "iOS (XXX-XXX-1234)")
    if not isinstance(outcome, str):
        raise ValueError(f"{where}: 'outcome' must be a string")
    if isinstance(delay, bool) or not isinstance(delay, int | float):
        raise ValueError(f"{where}: 'delay' must be a number of seconds")
    if not isinstance(factor, str) or not isinstance(device, str):
        raise ValueError(f"{where}: 'factor' and 'device_name' must be strings")
    try:
        user = EmulatedUser(name, parse_outcome(outcome), float(delay), factor, device)
        return _with_admin_fields(user, entry, where)
    except ValueError as exc:
        message = str(exc)
        raise ValueError(message if message.startswith(where) else f"{where}: {message}") from None


def _with_admin_fields(user: EmulatedUser, entry: Mapping[str, Any], where: str) -> EmulatedUser:
    status = entry.get("status", "active")
    groups = entry.get("groups", [])
    enrolled = entry.get("is_enrolled", True)
    last_login = entry.get("last_login")
    if not isinstance(status, str):
        raise ValueError(f"{where}: 'status' must be a string")
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise ValueError(f"{where}: 'groups' must be a list of strings")
    if not isinstance(enrolled, bool):
        raise ValueError(f"{where}: 'is_enrolled' must be true or false")
    if last_login is not None and (isinstance(last_login, bool) or not isinstance(last_login, int)):
        raise ValueError(f"{where}: 'last_login' must be Unix seconds (an integer)")
    phones = entry.get("phones")
    if phones is None:
        phone_list = list(user.phones) if enrolled else []
    elif isinstance(phones, list):
        phone_list = [_phone(p, f"{where} phones #{i}") for i, p in enumerate(phones, 1)]
    else:
        raise ValueError(f"{where}: 'phones' must be [[users.phones]] tables")
    return EmulatedUser(
        user.name,
        user.outcome,
        user.delay,
        user.factor,
        user.device_name,
        status=status,
        phones=tuple(phone_list),
        groups=tuple(groups),
        is_enrolled=enrolled,
        last_login=None if last_login is None else float(last_login),
    )


def _phone(entry: Any, where: str) -> Phone:
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where}: expected a table")
    unknown = set(entry) - _PHONE_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    text = {k: entry[k] for k in ("number", "platform", "name", "model") if k in entry}
    if not all(isinstance(v, str) for v in text.values()):
        raise ValueError(f"{where}: number, platform, name and model must be strings")
    capabilities = entry.get("capabilities", list(PHONE_CAPABILITIES))
    if not isinstance(capabilities, list) or not all(isinstance(c, str) for c in capabilities):
        raise ValueError(f"{where}: 'capabilities' must be a list of strings")
    activated = entry.get("activated", True)
    if not isinstance(activated, bool):
        raise ValueError(f"{where}: 'activated' must be true or false")
    try:
        return Phone(capabilities=tuple(capabilities), activated=activated, **text)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
