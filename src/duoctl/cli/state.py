"""Per-invocation dependencies, built once in the app callback and handed to commands.

Tests preset ``ctx.obj`` with their own :class:`AppState` (an in-memory secret store,
captured streams), which is the seam that keeps commands free of global state.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duoctl.output import Streams
from duoctl.paths import resolve_config_path

if TYPE_CHECKING:
    from duoctl.duoclient import DuoClient, DuoClientFactory
    from duoctl.secretstore import SecretStore


def _default_secret_store(config_path: Path, streams: Streams) -> SecretStore:
    from duoctl.secretstore import KeyringSecretStore

    return KeyringSecretStore(config_path, warn=streams.warn)


def _official_client(**kwargs: Any) -> DuoClient:
    # Imported on use: duo_universal and requests cost ~0.2 s, and most commands never call Duo.
    from duoctl.duoclient import official_client

    return official_client(**kwargs)


def _stdin_is_terminal() -> bool:
    import sys

    return sys.stdin.isatty()


class AppState:
    # A plain class, not a dataclass: it is built on every command's start-up path.
    def __init__(
        self,
        config_option: Path | None = None,
        streams: Streams | None = None,
        secret_store_factory: Callable[[Path, Streams], SecretStore] = _default_secret_store,
        interactive: Callable[[], bool] = _stdin_is_terminal,
        duo_client_factory: DuoClientFactory = _official_client,
    ) -> None:
        self.config_option = config_option
        self.streams = streams if streams is not None else Streams()
        self.secret_store_factory = secret_store_factory
        # Whether a person can answer a prompt; tests decide it instead of the real stdin.
        self.interactive = interactive
        # How Duo is reached (test-login, doctor); tests may hand in a fake Duo.
        self.duo_client_factory = duo_client_factory
        self._secrets: SecretStore | None = None

    @property
    def config_path(self) -> Path:
        return resolve_config_path(self.config_option)

    def secrets(self) -> SecretStore:
        if self._secrets is None:
            self._secrets = self.secret_store_factory(self.config_path, self.streams)
        return self._secrets
