"""Scripted users: who the emulator knows and how each one answers a push."""

from __future__ import annotations

import enum
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
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


@dataclass
class EmulatedUser:
    name: str
    outcome: Outcome = Outcome.APPROVE
    delay: float = 0.0  # seconds before the push is "answered"
    factor: str = "duo_push"
    device_name: str = "iOS (XXX-XXX-1234)"

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("an emulated user needs a non-empty name")
        if not isinstance(self.outcome, Outcome):
            raise ValueError(f"outcome must be an Outcome, not {self.outcome!r}")
        # NaN and infinity would make the handler wait forever or not at all.
        if not math.isfinite(self.delay) or self.delay < 0:
            raise ValueError(f"delay must be a finite number >= 0, not {self.delay!r}")


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
    ``device_name``. Unknown keys are errors so a typo does not silently do nothing."""
    with path.open("rb") as fh:
        document = tomllib.load(fh)
    entries = document.get("users")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: expected at least one [[users]] table")
    return [_user_from_table(entry, path, i) for i, entry in enumerate(entries, 1)]


_USER_KEYS = frozenset({"name", "outcome", "delay", "factor", "device_name"})


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
        return EmulatedUser(name, parse_outcome(outcome), float(delay), factor, device)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
