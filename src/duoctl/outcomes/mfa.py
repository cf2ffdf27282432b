"""The results of `mfa enable`, `mfa disable` and `mfa failmode MODE`.

"mfa" in each is the state after the command, as `mfa status --json` shows it. Plain
classes, not dataclasses, as in outcomes/provider.py: cheaper to define at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from duoctl.mfa import FAILMODE_CONSEQUENCE, FAILMODE_OPEN_WARNING

if TYPE_CHECKING:
    from duoctl.mfa import MfaStatus


class MfaChanged:
    __slots__ = ("changed", "sentence", "status", "warnings")
    headers = None
    empty = ""
    notes: tuple[str, ...] = ()
    remarks_first = False

    def __init__(
        self, status: MfaStatus, changed: bool, sentence: str, warnings: tuple[str, ...] = ()
    ) -> None:
        self.status = status
        self.changed = changed
        self.sentence = sentence
        # Said after the sentence: what the new state risks (failmode open, no platform
        # URL). Not the status's own warnings: those are `mfa status`'s, and the caution
        # was said before the question.
        self.warnings = warnings

    def to_dict(self) -> dict[str, Any]:
        return {"changed": self.changed, "mfa": self.status.to_dict()}

    def rows(self) -> list[tuple[str]]:
        return [(self.sentence,)]


def _open(status: MfaStatus) -> tuple[str, ...]:
    return (FAILMODE_OPEN_WARNING,) if status.failmode == "open" else ()


def unchanged(status: MfaStatus) -> MfaChanged:
    word = "enabled" if status.enabled else "disabled"
    return MfaChanged(status, False, f"external MFA is already {word}; nothing changed")


def enabled(after: MfaStatus, *, platform_url_set: bool) -> MfaChanged:
    from duoctl.platform_url import UNSET_WARNING

    return MfaChanged(
        after,
        True,
        f"external MFA is enabled; session cookie SameSite is now {after.same_site} (was "
        f"Strict); failmode {after.failmode}",
        _open(after) + (() if platform_url_set else (UNSET_WARNING,)),
    )


def failmode_while_enabled(after: MfaStatus) -> MfaChanged:
    """`mfa enable --failmode MODE` when MFA is on already with another failmode."""
    return MfaChanged(
        after,
        True,
        f"external MFA is already enabled; failmode is now {after.failmode}",
        _open(after),
    )


def disabled(after: MfaStatus) -> MfaChanged:
    return MfaChanged(
        after, True, f"external MFA is disabled; session cookie SameSite is {after.same_site}"
    )


def failmode_set(after: MfaStatus, changed: bool) -> MfaChanged:
    mode = str(after.failmode)
    return MfaChanged(
        after, changed, f"failmode is {mode}: {FAILMODE_CONSEQUENCE[mode]}", _open(after)
    )


class FailmodeShown:
    """`mfa failmode` without a mode: a read, its line on stdout."""

    __slots__ = ("failmode",)
    headers = None
    empty = ""
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def __init__(self, failmode: str | None) -> None:
        self.failmode = failmode

    def to_dict(self) -> dict[str, Any]:
        consequence = FAILMODE_CONSEQUENCE[self.failmode] if self.failmode else None
        return {"failmode": self.failmode, "consequence": consequence}

    def rows(self) -> list[tuple[str, str]]:
        mode = self.failmode
        return [("failmode", f"{mode}: {FAILMODE_CONSEQUENCE[mode]}" if mode else "not set")]
