"""`admin status`: does the credential work, and which permissions does it have?

One read per permission the commands use, each unable to change anything: the account
summary (Grant read information, also the cheapest proof that Duo accepts the credential),
a user lookup by a name nobody has (Grant read resource), one minute of the authentication
log, at most one record (Grant read log), and the lookup of an integration key that cannot
exist (Grant applications: Duo answers 404 with it, 403 without).
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

from duoctl.admin import permissions
from duoctl.admin.session import AdminSession
from duoctl.errors import DuoNotFound, DuoPermissionMissing

# Well-formed (DI + 18) and all zeros: no integration has it (unverified that Duo never
# issues it; a hit would still prove the permission).
_ABSENT_INTEGRATION = "DI" + "0" * 18
_ABSENT_USER = "duoctl-permission-probe"


class AdminStatus(NamedTuple):
    host: str
    ikey: str
    granted: dict[str, bool]  # permission -> whether this credential has it
    summary: dict[str, Any] | None  # the account summary, when readable

    @property
    def missing(self) -> list[str]:
        return [name for name, ok in self.granted.items() if not ok]

    def disabled_commands(self) -> dict[str, tuple[str, ...]]:
        return {name: permissions.COMMANDS_NEEDING.get(name, ()) for name in self.missing}

    # `admin status`'s result (duoctl.output.render): a table of the permissions.
    @property
    def headers(self) -> tuple[str, ...]:
        return ("Permission", "Granted", "Disables")

    @property
    def empty(self) -> str:
        return "no permissions were probed"

    @property
    def notes(self) -> tuple[str, ...]:
        return (f"Duo accepts the Admin API credential {self.ikey} at {self.host}",)

    @property
    def warnings(self) -> tuple[str, ...]:
        return ()  # what is missing is in the table

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "ikey": self.ikey,
            "credential": "accepted",
            "permissions": self.granted,
            "missing": self.missing,
            "disabled_commands": {k: list(v) for k, v in self.disabled_commands().items()},
        }

    def rows(self) -> list[tuple[str, str, str]]:
        disabled = self.disabled_commands()
        return [
            (permission, "yes", "")
            if granted
            else (permission, "MISSING", ", ".join(disabled.get(permission, ())))
            for permission, granted in self.granted.items()
        ]


def _granted(probe: Any) -> bool:
    try:
        probe()
    except DuoPermissionMissing:
        return False
    except DuoNotFound:
        return True  # the permission let Duo look, and it found nothing
    return True


def check(session: AdminSession) -> AdminStatus:
    """Probe each permission; a rejected credential or an unreachable Duo raises (8, 7...)."""
    summary: dict[str, Any] | None = None
    try:
        summary = session.summary()
    except DuoPermissionMissing:
        summary = None
    now_ms = int(time.time() * 1000)
    granted = {
        permissions.READ_INFORMATION: summary is not None,
        permissions.APPLICATIONS: _granted(lambda: session.get_integration(_ABSENT_INTEGRATION)),
        permissions.READ_RESOURCE: _granted(lambda: session.users_by_name(_ABSENT_USER)),
        permissions.READ_LOG: _granted(
            lambda: session.authentication_log(
                mintime_ms=now_ms - 60_000, maxtime_ms=now_ms, limit=1
            )
        ),
    }
    return AdminStatus(session.host, session.credential.ikey, granted, summary)
