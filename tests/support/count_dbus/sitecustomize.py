"""Loaded by Python at start-up when this directory is on PYTHONPATH: counts D-Bus connections.

With DUOCTL_TEST_DBUS_COUNT_FILE=PATH, every jeepney blocking connection the process opens
(SecretStorage's ``dbus_init``, hence every keyring Secret Service call) appends a line to
PATH, so a test can count the connections one real ``duoctl`` command opens. It counts at
the class, not at ``open_dbus_connection``: SecretStorage imports that function by name.
"""

from __future__ import annotations

import os

_COUNT_FILE = os.environ.get("DUOCTL_TEST_DBUS_COUNT_FILE")

if _COUNT_FILE:
    from jeepney.io import blocking

    _original_init = blocking.DBusConnection.__init__

    def _counting_init(self: blocking.DBusConnection, *args: object, **kwargs: object) -> None:
        with open(_COUNT_FILE, "a", encoding="utf-8") as log:
            log.write("connection\n")
        _original_init(self, *args, **kwargs)  # type: ignore[arg-type]

    blocking.DBusConnection.__init__ = _counting_init  # type: ignore[method-assign]
