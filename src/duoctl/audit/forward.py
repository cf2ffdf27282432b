"""The optional copy of each record to syslog or journald (``[audit] syslog = true``).

journald serves /dev/log too, so one datagram reaches either. RFC 5424 framing, facility
authpriv (10), severity notice (5): who changed the MFA of a privileged-access platform is
an authorization matter.
"""

from __future__ import annotations

import json
import socket
from typing import Any

DEFAULT_SOCKET = "/dev/log"
_PRI = 10 * 8 + 5


def syslog_message(record: dict[str, Any]) -> bytes:
    body = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (
        f"<{_PRI}>1 {record.get('time', '-')} {record.get('host') or '-'} duoctl "
        f"{record.get('pid', '-')} audit - {body}"
    ).encode()


def forward(record: dict[str, Any], socket_path: str = DEFAULT_SOCKET) -> None:
    """Send one datagram; OSError when the receiver is absent or refuses it."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.settimeout(1.0)
        sock.connect(socket_path)
        sock.send(syslog_message(record))
