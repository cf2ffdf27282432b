"""The platform's "Enable external Multi-Factor Authentication application" parameter."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from duoctl.config.reader import load_config

if TYPE_CHECKING:
    from duoctl.config.model import Config

SAMESITE_CAUTION = (
    "Enabling external MFA relaxes the session cookie's SameSite attribute from Strict to Lax. "
    "A firewall must deny unauthorized access to the server."
)
NO_PROVIDER_WARNING = (
    "no MFA provider is enabled: users cannot complete an external MFA login "
    "(add one with 'duoctl provider add' or enable one with 'duoctl provider enable')"
)


# Failmode: what the platform does with a login while Duo cannot be reached (issue 15, row
# 7; Duo's own integrations call it "fail mode": "safe" lets users in, "secure" locks them
# out, e.g. https://duo.com/docs/duounix#fail-mode).
FAILMODE_CONSEQUENCE = {
    "closed": "while Duo cannot be reached, nobody can log in (users are locked out)",
    "open": "while Duo cannot be reached, users log in with their password alone, without "
    "a second factor",
}
FAILMODE_OPEN_WARNING = f"failmode is open: {FAILMODE_CONSEQUENCE['open']}"
FAILMODE_UNSET_WARNING = (
    "failmode is not set: decide what happens to logins while Duo cannot be reached "
    "('duoctl mfa failmode closed' or 'open')"
)


@dataclass(frozen=True)
class MfaStatus:
    enabled: bool
    same_site: str
    enabled_providers: tuple[str, ...]
    warnings: tuple[str, ...]
    failmode: str | None = None

    headers = None  # text is "label: value" lines
    empty = ""
    notes: ClassVar[tuple[str, ...]] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "session_cookie_samesite": self.same_site,
            "failmode": self.failmode,
            "enabled_providers": list(self.enabled_providers),
            "warnings": list(self.warnings),
        }

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("external MFA", "enabled" if self.enabled else "disabled"),
            ("session cookie SameSite", self.same_site),
            ("failmode", self.failmode or "not set"),
            ("enabled providers", ", ".join(self.enabled_providers) or "none"),
        ]


def same_site_for(enabled: bool) -> str:
    return "Lax" if enabled else "Strict"


def status_of(config: Config) -> MfaStatus:
    enabled = config.external_mfa_enabled
    providers = tuple(p.name for p in config.enabled_providers())
    failmode = config.external_mfa_failmode
    warnings: list[str] = []
    if enabled:
        warnings.append(SAMESITE_CAUTION)
        if not providers:
            warnings.append(NO_PROVIDER_WARNING)
        if failmode is None:
            warnings.append(FAILMODE_UNSET_WARNING)
    if failmode == "open":
        warnings.append(FAILMODE_OPEN_WARNING)
    return MfaStatus(enabled, same_site_for(enabled), providers, tuple(warnings), failmode)


def mfa_status(path: Path) -> MfaStatus:
    return status_of(load_config(path))


def set_external_mfa(
    path: Path, enabled: bool, *, force: bool = False, failmode: str | None = None
) -> MfaStatus:
    """Switch external MFA; ``failmode`` too when given (one locked, audited edit)."""
    from duoctl.config.edit import edit_config  # writers only: keeps `mfa status` light
    from duoctl.lockout import refuse_lockout

    with edit_config(path) as edit:
        if edit.before.external_mfa_enabled != enabled or not edit.before.exists:
            edit.set_external_mfa(enabled)
            refuse_lockout(edit.after(), what="enable external MFA", force=force)
        if failmode is not None and failmode != edit.before.external_mfa_failmode:
            edit.set_failmode(failmode)
        after = edit.after()
    return status_of(after)


def set_failmode(path: Path, failmode: str) -> tuple[MfaStatus, bool]:
    """Set the failmode alone (a locked, audited edit; nothing written when unchanged);
    returns the status after it and whether it changed."""
    from duoctl.config.edit import edit_config

    with edit_config(path) as edit:
        changed = failmode != edit.before.external_mfa_failmode
        if changed:
            edit.set_failmode(failmode)
        after = edit.after()
    return status_of(after), changed
