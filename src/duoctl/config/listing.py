"""``provider list``'s result: the configured providers, never their secrets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from duoctl.config.model import Config
from duoctl.config.reader import load_config


class ProviderList:
    headers = ("Name", "Enabled", "Endpoint", "Client ID", "CA bundle")
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    # A plain class, not a dataclass: it is built on `provider list`'s start-up path.
    def __init__(self, config: Config) -> None:
        self.config = config

    @property
    def empty(self) -> str:
        return f"no providers in {self.config.path}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": str(self.config.path),
            "providers": [p.to_dict() for p in self.config.providers.values()],
        }

    def rows(self) -> list[tuple[str, ...]]:
        return [
            (p.name, "yes" if p.enabled else "no", p.endpoint, p.client_id, p.ca_bundle or "Duo")
            for p in self.config.providers.values()
        ]


def list_providers(path: Path) -> ProviderList:
    return ProviderList(load_config(path))
