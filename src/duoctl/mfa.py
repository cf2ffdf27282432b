"""The platform's "Enable external Multi-Factor Authentication application" parameter."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from duoctl.config.store import load_config

SAMESITE_CAUTION = (
    "Enabling external MFA relaxes the session cookie's SameSite attribute from Strict to Lax. "
    "A firewall must deny unauthorized access to the server."
)
NO_PROVIDER_WARNING = (
    "no MFA provider is enabled: users cannot complete an external MFA login "
    "(add one with 'duoctl provider add' or enable one with 'duoctl provider enable')"
)


@dataclass(frozen=True)
class MfaStatus:
    enabled: bool
    same_site: str
    enabled_providers: tuple[str, ...]
    warnings: tuple[str, ...]


def same_site_for(enabled: bool) -> str:
    return "Lax" if enabled else "Strict"


def _status(enabled: bool, enabled_providers: tuple[str, ...]) -> MfaStatus:
    warnings: list[str] = []
    if enabled:
        warnings.append(SAMESITE_CAUTION)
        if not enabled_providers:
            warnings.append(NO_PROVIDER_WARNING)
    return MfaStatus(enabled, same_site_for(enabled), enabled_providers, tuple(warnings))


def mfa_status(path: Path) -> MfaStatus:
    config = load_config(path)
    names = tuple(p.name for p in config.enabled_providers())
    return _status(config.external_mfa_enabled, names)


def set_external_mfa(path: Path, enabled: bool, *, force: bool = False) -> MfaStatus:
    from duoctl.config.edit import edit_config  # writers only: keeps `mfa status` light
    from duoctl.lockout import refuse_lockout

    with edit_config(path) as edit:
        if edit.before.external_mfa_enabled != enabled or not edit.before.exists:
            edit.set_external_mfa(enabled)
            refuse_lockout(edit.after(), what="enable external MFA", force=force)
        names = tuple(p.name for p in edit.before.enabled_providers())
    return _status(enabled, names)
