"""`secrets status`'s result: which store this config uses, why, and what it holds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from duoctl.secrets import BackendInfo, SecretStore


class SecretsStatus:
    headers = None  # "label: value" lines
    empty = ""
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def __init__(self, config: Path, info: BackendInfo, why: str, names: list[str] | None) -> None:
        self.config = config
        self.info = info
        self.why = why
        self.names = names

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": str(self.config),
            "backend": self.info.backend,
            "implementation": self.info.name,
            "location": self.info.location,
            "chosen_by": self.why,
            "stored": self.names,
        }

    def rows(self) -> list[tuple[str, str]]:
        names = self.names
        stored = "unknown (this backend cannot list)" if names is None else ", ".join(names)
        return [
            ("backend", f"{self.info.backend} ({self.info.name})"),
            ("location", self.info.location),
            ("chosen by", self.why),
            ("secrets stored", stored or "none"),
        ]


def secrets_status(config: Path, store: SecretStore) -> SecretsStatus:
    """Ask ``store`` what it is and holds (a listing: one round trip where it can list)."""
    from duoctl.secrets.select import SelectedStore

    why = store.choice().why if isinstance(store, SelectedStore) else "set by the caller"
    return SecretsStatus(config, store.backend(), why, store.names())
