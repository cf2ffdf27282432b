"""Loaded by Python at start-up when this directory is on PYTHONPATH: counts D-Bus connections.

With DUOCTL_TEST_DBUS_COUNT_FILE=PATH, every jeepney blocking connection the process opens
(SecretStorage's ``dbus_init``, hence every keyring Secret Service call) appends a line to
PATH, so a test can count the connections one real ``duoctl`` command opens. It counts at
the class, not at ``open_dbus_connection``: SecretStorage imports that function by name.
"""

from __future__ import annotations

import os
from typing import Any


def _count_connections(count_file: str) -> None:
    from jeepney.io import blocking  # type: ignore[import-untyped]

    original_init: Any = blocking.DBusConnection.__init__

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        with open(count_file, "a", encoding="utf-8") as log:
            log.write("connection\n")
        original_init(self, *args, **kwargs)

    blocking.DBusConnection.__init__ = counting_init


_COUNT_FILE = os.environ.get("DUOCTL_TEST_DBUS_COUNT_FILE")
if _COUNT_FILE:
    _count_connections(_COUNT_FILE)
