"""keyring's backend for one command: chosen as keyring chooses it, with one D-Bus connection.

keyring 25.7.0 picks its backend in ``keyring.core._detect_backend``: the class named by
``PYTHON_KEYRING_BACKEND``, else the one keyringrc.cfg names (``load_config``), else the
viable backend of highest priority. Its SecretService backend's priority opens and closes a
D-Bus connection each time it is read (``backends/SecretService.py`` ``Keyring.priority``),
and detection reads it about four times (viability in ``backend.get_all_keyring``, the
``max(..., key=by_priority)``, and the chainer's own ``backends`` filter and sort). Each
get/set/delete then opens one more (``get_preferred_collection`` calls
``secretstorage.dbus_init()``).

So when keyring's automatic choice applies, or ``PYTHON_KEYRING_BACKEND`` names exactly its
SecretService backend, duoctl makes that choice itself with a single connection, and keeps it
for the command's calls (:mod:`duoctl.secrets.secret_service`). Whenever anything else
decides (the variable naming another backend, keyringrc.cfg, a backend set in this process,
another backend that could win), keyring's own ``get_keyring()`` decides, exactly as before.
"""

from __future__ import annotations

import os
import threading
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jeepney.io.blocking import DBusConnection  # type: ignore[import-untyped]

    from duoctl.secrets.secret_service import SecretServiceCalls

BACKEND_ENV = "PYTHON_KEYRING_BACKEND"  # keyring.core.load_env
DBUS_KEYRING_CLASS = "keyring.backends.SecretService.Keyring"
_MISSING = object()


@cache
def load_keyring() -> None:
    """Import keyring and its backend plugins, outside any deadline; once a process (the
    installed plugins do not change while it runs, and a repeat still reads every
    package's entry points: ~5 ms).

    That is ~0.17 s of pure CPU that cannot hang; under load (twenty duoctl processes on two
    cores) it alone can outlast the deadline, which is meant for a store that does not
    answer. What stays bounded is backend detection (it talks to D-Bus) and each call.
    """
    import keyring.backend

    load_plugins = getattr(keyring.backend, "_load_plugins", None)  # keyring's own, private
    if callable(load_plugins):
        load_plugins()


def is_secret_service(backend: object) -> bool:
    """Exactly keyring's SecretService backend (a subclass may change what its calls do)."""
    cls = type(backend)
    return (cls.__module__, cls.__qualname__) == ("keyring.backends.SecretService", "Keyring")


def _keyring_decides() -> bool:
    """Whether something other than keyring's priority comparison picks the backend."""
    import keyring.core

    # Set in this process already (keyring.set_keyring, or an earlier get_keyring): keyring
    # returns that one without detecting. Unknown internals: let keyring decide.
    if getattr(keyring.core, "_keyring_backend", _MISSING) is not None:
        return True
    # load_env reads os.environ[...]: set at all, even empty, it decides (or fails).
    if BACKEND_ENV in os.environ:
        return True
    # load_config returns None only when keyringrc.cfg is absent or names no backend; any
    # file at all goes to keyring (it also applies the file's keyring-path).
    config_path = getattr(keyring.core, "_config_path", None)
    return config_path is None or bool(config_path().exists())


def _named_secret_service() -> bool:
    """Whether ``PYTHON_KEYRING_BACKEND`` names exactly keyring's SecretService backend, and
    nothing set earlier in this process overrides it.

    keyring's ``load_env`` wins over keyringrc.cfg and over priorities, and ``load_keyring``
    then builds the class named after reading its ``priority`` once (keyring 25.7.0
    ``core.py``): for this one class that is the viability test below, then ``Keyring()``.
    """
    import keyring.core

    if getattr(keyring.core, "_keyring_backend", _MISSING) is not None:
        return False
    return os.environ.get(BACKEND_ENV) == DBUS_KEYRING_CLASS  # keyring does not strip it


def _another_backend_counts() -> bool:
    """Whether any backend but SecretService has a positive priority (or might have).

    Why this decides keyring's choice: its SecretService backend has priority 5 when viable.
    The chainer has priority 10 when more than one viable backend has a priority above 0
    (``backends/chainer.py``), else -1. So SecretService is keyring's choice exactly when it
    is viable and every other viable backend's priority is at most 0: then the chainer holds
    SecretService alone (-1) and nothing else reaches 5. Any other backend above 0 makes
    either the chainer or that backend win, and keyring decides.
    """
    from keyring.backend import KeyringBackend
    from keyring.backends import SecretService, chainer

    classes: Any = getattr(KeyringBackend, "_classes", None)  # keyring's registry (private)
    if classes is None:
        return True
    others = (c for c in list(classes) if c not in (SecretService.Keyring, chainer.ChainerBackend))
    return any(_positive_priority(cls) for cls in others)


def _positive_priority(cls: Any) -> bool:
    """Whether a backend class is viable with a priority above 0 (or an unknown one)."""
    try:
        priority = cls.priority
    except Exception:
        # Not viable: keyring leaves it out too (backend.KeyringBackend.viable traps any
        # Exception from priority).
        return False
    return not isinstance(priority, int | float) or priority > 0


def _secret_service_connection() -> DBusConnection | None:
    """An open connection when keyring's SecretService backend is viable, else None.

    The same test as its ``priority`` (SecretStorage >= 3.2 importable, a session bus, a
    Secret Service that runs or can be activated), on the connection the calls then use.
    """
    try:
        import secretstorage
    except (ImportError, AttributeError):  # as keyring's own import guard
        return None
    if secretstorage.__version_tuple__ < (3, 2):
        return None
    try:
        connection = secretstorage.dbus_init()
    except Exception:
        return None
    try:
        available = bool(secretstorage.check_service_availability(connection))
    except Exception:
        available = False
    if available:
        return connection
    connection.close()
    return None


def detect() -> tuple[object, DBusConnection | None]:
    """The backend keyring would use, and the connection opened to find out (if any)."""
    import keyring

    load_keyring()  # every backend class registered before any is compared

    if _named_secret_service():
        # keyring would load the class named and check its priority once (a connection of
        # its own, closed again); the same check here keeps the connection for the calls.
        # Not viable: keyring raises its own error for that, as before.
        connection = _secret_service_connection()
        if connection is None:
            return keyring.get_keyring(), None
    elif _keyring_decides() or _another_backend_counts():
        return keyring.get_keyring(), None
    else:
        connection = _secret_service_connection()
    if connection is None:
        # Not viable: keyring's own detection finds what it uses instead (fail, usually).
        return keyring.get_keyring(), None
    from keyring.backends import SecretService

    # Built as keyring builds it: the constructor applies KEYRING_PROPERTY_* (e.g.
    # preferred_collection, scheme) from the environment.
    backend: object = SecretService.Keyring()  # type: ignore[no-untyped-call]
    return backend, connection


class KeyringSession:
    """keyring's backend, detected once per command; on the Secret Service, its calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._backend: object | None = None
        self._calls: SecretServiceCalls | None = None
        self._closed = False

    def backend(self) -> object:
        """The backend (detected on first use: that may talk to D-Bus, so callers bound it)."""
        if self._backend is not None:
            return self._backend
        backend, connection = detect()
        with self._lock:
            # A detection abandoned at its deadline may finish after a retry: the first wins.
            if self._backend is None:
                self._backend = backend
                if is_secret_service(backend):
                    from duoctl.secrets.secret_service import SecretServiceCalls

                    self._calls = SecretServiceCalls(backend, connection)
                    connection = None
                    if self._closed:
                        self._calls.close()
            result = self._backend
        if connection is not None:
            connection.close()
        return result

    @property
    def calls(self) -> SecretServiceCalls | None:
        """The Secret Service calls on one connection; None for any other backend."""
        return self._calls

    def close(self) -> None:
        with self._lock:
            self._closed = True
            calls = self._calls
        if calls is not None:
            calls.close()
