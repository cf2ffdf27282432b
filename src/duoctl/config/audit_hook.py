"""Where a config edit meets the audit trail: the record of a change, or of a failed one.

Called by :func:`duoctl.config.edit.edit_config` under the config lock, so records are in
the same order as the changes they describe.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, Any

from duoctl.audit.context import current_command, current_provider
from duoctl.audit.log import append
from duoctl.audit.record import actor, config_digest, field_changes, utc_now
from duoctl.errors import DuoctlError

if TYPE_CHECKING:
    from duoctl.config.edit import ConfigEdit
    from duoctl.config.model import Config


def _base(edit: ConfigEdit) -> dict[str, Any]:
    return {
        "time": utc_now(),
        **actor(),
        "command": current_command.get(),
        "config": str(edit.path),
        "targets": edit.targets(),
    }


def record_change(edit: ConfigEdit, text: str, data: dict[str, Any]) -> dict[str, Any]:
    before = edit.original_data()
    return append(
        edit.path,
        {
            **_base(edit),
            "changes": field_changes(edit.touched(before), edit.touched(data)),
            "secrets": edit.secret_events,
            # Only when there are some: every earlier record keeps its exact shape.
            **({"duo": edit.duo_events} if edit.duo_events else {}),
            "result": "ok",
            "config_before": config_digest(edit.original),
            "config_after": config_digest(text),
        },
    )


def record_failure(edit: ConfigEdit, exc: BaseException) -> None:
    """A refused or failed change, when an audited command was trying one; best effort:
    the error that is already on its way matters more than this record."""
    if isinstance(exc, DuoctlError):
        kind = exc.kind
    elif isinstance(exc, KeyboardInterrupt):
        kind = "interrupted"
    elif isinstance(exc, Exception):
        kind = "internal"
    else:
        return  # SystemExit and the like: not a failure of the change
    digest = config_digest(edit.original)
    named = current_provider.get()
    # The change this edit already recorded did not happen (or not all of it): say so.
    voids = {"voids": edit.recorded["seq"]} if edit.recorded is not None else {}
    with contextlib.suppress(DuoctlError):
        append(
            edit.path,
            {
                **_base(edit),
                "targets": edit.targets() or ([f"provider {named}"] if named else []),
                "changes": [],
                "secrets": [],
                "result": kind,
                "config_before": digest,
                "config_after": digest,
                **voids,
            },
        )


def forward_record(after: Config, record: dict[str, Any]) -> None:
    """The syslog/journald copy, if the config asks for one. The file is the record of
    truth, so a receiver that is down costs a warning, not the change."""
    if not after.audit_syslog:
        return
    from duoctl.audit.forward import DEFAULT_SOCKET, forward

    socket_path = after.audit_syslog_socket or DEFAULT_SOCKET
    try:
        forward(record, socket_path)
    except OSError as exc:
        sys.stderr.write(
            f"warning: the audit record was not forwarded to syslog ({socket_path}: "
            f"{exc.strerror or type(exc).__name__}); it is in the audit trail file\n"
        )
