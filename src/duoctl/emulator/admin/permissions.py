"""The Admin API credential's permissions, named as the Admin Panel's check boxes.

Duo grants an Admin API application these, each on or off (Admin Panel, Applications >
Admin API > Permissions; duo_client 5.7.0 admin.py ``create_integration`` has one
``adminapi_*`` flag per box). An endpoint the credential lacks the grant for answers 403.
"""

from __future__ import annotations

from collections.abc import Iterable

READ_INFORMATION = "Grant read information"
APPLICATIONS = "Grant applications"
SETTINGS = "Grant settings"
READ_LOG = "Grant read log"
READ_RESOURCE = "Grant read resource"
WRITE_RESOURCE = "Grant write resource"
ADMINISTRATORS = "Grant administrators"

ALL_PERMISSIONS: tuple[str, ...] = (
    READ_INFORMATION,
    APPLICATIONS,
    SETTINGS,
    READ_LOG,
    READ_RESOURCE,
    WRITE_RESOURCE,
    ADMINISTRATORS,
)


def parse_permissions(names: Iterable[str]) -> set[str]:
    """The set of ``names``, each one of :data:`ALL_PERMISSIONS` (ValueError otherwise).

    Matching ignores case and accepts the name without its "Grant " prefix, so
    ``read log`` and ``Grant read log`` are the same permission.
    """
    by_key = {_key(name): name for name in ALL_PERMISSIONS}
    chosen: set[str] = set()
    for name in names:
        found = by_key.get(_key(name))
        if found is None:
            choices = ", ".join(p.removeprefix("Grant ") for p in ALL_PERMISSIONS)
            raise ValueError(f"unknown Admin API permission {name!r}: choose from {choices}")
        chosen.add(found)
    return chosen


def _key(name: str) -> str:
    folded = " ".join(name.split()).casefold()
    return folded.removeprefix("grant ")
