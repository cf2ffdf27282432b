"""The guard against an MFA lockout: external MFA on, and no provider to do it.

With the platform's "Enable external Multi-Factor Authentication application" switched on,
every login goes through an enabled MFA provider. A change that leaves none (disabling or
removing the last one, or switching MFA on while none is enabled) would lock every user
out at once, including the admin who made it. It is refused unless forced.
"""

from __future__ import annotations

from duoctl.config.model import Config
from duoctl.errors import LockoutRefused


def refuse_lockout(after: Config, *, what: str, force: bool) -> None:
    """Raise LockoutRefused if ``after`` has external MFA on and no enabled provider."""
    if force or not after.external_mfa_enabled or after.enabled_providers():
        return
    raise LockoutRefused(
        f"refusing to {what}: external MFA is enabled and no MFA provider would be left "
        "enabled, so nobody could complete a login",
        hint="enable or add another provider first ('duoctl provider enable NAME' / "
        "'duoctl provider add'), or switch external MFA off ('duoctl mfa disable'); "
        "--force does it anyway",
    )
