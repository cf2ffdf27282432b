"""Per-invocation dependencies, built once in the app callback and handed to commands.

Tests preset ``ctx.obj`` with their own :class:`AppState` (an in-memory secret store,
captured streams), which is the seam that keeps commands free of global state.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duoctl.output import Streams
from duoctl.paths import RULE_ENV, RULE_OPTION, ConfigLocation, locate_config

EXPLICIT_RULES = (RULE_OPTION, RULE_ENV)

if TYPE_CHECKING:
    from duoctl.admin.client import AdminApiFactory
    from duoctl.admin.session import AdminSession
    from duoctl.duoclient import DuoClient, DuoClientFactory
    from duoctl.errors import ConfigError
    from duoctl.secrets import SecretStore
    from duoctl.secrets.select import StoreSettings


def _official_client(**kwargs: Any) -> DuoClient:
    # Imported on use: duo_universal and requests cost ~0.2 s, and most commands never call Duo.
    from duoctl.duoclient import official_client

    return official_client(**kwargs)


class AppState:
    # A plain class, not a dataclass: it is built on every command's start-up path.
    def __init__(
        self,
        config_option: Path | None = None,
        streams: Streams | None = None,
        secret_store_factory: Callable[[Path, Streams], SecretStore] | None = None,
        duo_client_factory: DuoClientFactory = _official_client,
        admin_api_factory: AdminApiFactory | None = None,
    ) -> None:
        self.config_option = config_option
        self.system = False  # --system
        self.streams = streams if streams is not None else Streams()
        # None: the store the config and environment select (duoctl.secrets.select).
        self.secret_store_factory = secret_store_factory
        # How Duo is reached (test-login, doctor); tests may hand in a fake Duo.
        self.duo_client_factory = duo_client_factory
        # How the Admin API is reached; None: duo_client.Admin (tests may hand in a fake).
        self.admin_api_factory = admin_api_factory
        self._secrets: SecretStore | None = None
        self._other_stores: list[SecretStore] = []  # store_for's, closed with the command
        self.creating: Path | None = None  # an explicitly named config this run creates

    @property
    def location(self) -> ConfigLocation:
        return locate_config(self.config_option, system=self.system)

    @property
    def config_path(self) -> Path:
        """The config to read. A path named explicitly (--config, DUOCTL_CONFIG) must exist:
        a typo must not read as an empty config ("no providers", "MFA disabled")."""
        location = self.location
        if location.rule in EXPLICIT_RULES and not location.path.exists():
            raise missing_config(location)
        return location.path

    @property
    def write_path(self) -> Path:
        """The config to write: an explicitly named one may be created, in an existing
        directory only (a mistyped directory must not appear); the CLI edge says so."""
        location = self.location
        if location.rule in EXPLICIT_RULES and not location.path.exists():
            if not location.path.parent.is_dir():
                raise missing_config(location, writing=True)
            self.creating = location.path
        return location.path

    def secrets(self) -> SecretStore:
        if self._secrets is None:
            if self.secret_store_factory is not None:
                self._secrets = self.secret_store_factory(self.location.path, self.streams)
            else:
                from duoctl.secrets.select import SelectedStore

                self._secrets = SelectedStore(
                    self.store_settings(),
                    warn=self.streams.warn,
                    passphrase=self._store_passphrase,
                )
        return self._secrets

    def admin_session(self) -> AdminSession:
        """The Admin API with this config's stored credential (exit 4 or 5 without one);
        each 429 wait is said on stderr."""
        from duoctl.admin.session import open_session

        return open_session(
            self.config_path,
            self.secrets(),
            notify=self.streams.status,
            factory=self.admin_api_factory,
        )

    def use_one_shot_secret(self, secret: str, source: str) -> None:
        """Serve ``secret`` for this run instead of the configured store (never stored)."""
        from duoctl.secrets.memory import OneShotSecretStore

        self.close()
        self._secrets = OneShotSecretStore(secret, source)

    def close(self) -> None:
        """The command is done with its stores: release what they hold open (a keyring's
        D-Bus connection). Stores without anything to release (files, tests' fakes) have no
        close."""
        stores, self._other_stores = [self._secrets, *self._other_stores], []
        for store in stores:
            close = getattr(store, "close", None)
            if callable(close):
                close()

    def store_for(self, backend: str) -> SecretStore:
        """A concrete backend for this config, whatever the config selects (migrations)."""
        import os

        from duoctl.secrets.select import build

        store = build(
            backend,
            self.store_settings(),
            environ=os.environ,
            warn=self.streams.warn,
            passphrase=self._store_passphrase,
        )
        self._other_stores.append(store)
        return store

    def backend_in_use(self) -> str:
        """The backend this config's secrets are in (chosen, not probed for usability)."""
        from duoctl.secrets.select import SelectedStore

        store = self.secrets()
        if isinstance(store, SelectedStore):
            return store.choice().backend
        return store.backend().backend

    def store_settings(self) -> StoreSettings:
        from duoctl.config.reader import load_config
        from duoctl.secrets.select import StoreSettings

        location = self.location
        settings = StoreSettings(location.path, system=location.system)
        if not _may_name_a_store(location.path):
            return settings  # no [secrets] table: skip a parse of the whole file
        config = load_config(location.path)
        return settings._replace(
            backend=config.secrets_backend, systemd_creds_key=config.systemd_creds_key
        )

    def _store_passphrase(self, confirm: bool) -> str:
        from duoctl.secret_input import read_store_passphrase

        return read_store_passphrase(confirm=confirm, interactive=self.streams.can_prompt())


def _may_name_a_store(path: Path) -> bool:
    """Whether the config may hold a [secrets] table (a cheap text test, no TOML parse)."""
    import os
    import stat

    try:
        # Never open a FIFO or a device here (that could block or never end): the loader
        # reports such a file; this only decides whether a parse is worth it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        return b"secrets" in handle.read(16 << 20)


def missing_config(location: ConfigLocation, *, writing: bool = False) -> ConfigError:
    import difflib

    from duoctl.errors import ConfigError

    path = location.path
    if writing:
        return ConfigError(
            f"the directory of {path} ({location.rule}) does not exist; nothing was created",
            hint=f"check the path, or create the directory first: mkdir -p {path.parent}",
        )
    try:
        nearby = sorted(p.name for p in path.parent.glob("*.toml"))
    except OSError:
        nearby = []
    close = difflib.get_close_matches(path.name, nearby, n=1)
    suggestion = f"did you mean {path.parent / close[0]}? " if close else ""
    return ConfigError(
        f"no config file at {path} (named by {location.rule})",
        hint=f"{suggestion}check the path; 'duoctl provider add', 'duoctl admin login' or "
        "'duoctl mfa enable' creates it",
    )
