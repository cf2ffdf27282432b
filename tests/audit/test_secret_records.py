"""A secret change is recorded before the store call it describes: a failing call leaves the
record voided by a failure record; a process killed inside the call leaves the record."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from duoctl.audit.log import audit_path
from duoctl.audit.view import show_trail, verify_trail
from duoctl.errors import SecretStoreError
from duoctl.providers import add_provider, edit_provider
from duoctl.secrets.memory import MemorySecretStore
from foundation.helpers import CLIENT_ID, ENDPOINT, PROCESS_TIMEOUT_S, SECRET, SECRET_2


class RefusingStore(MemorySecretStore):
    """Refuses to store a provider's secret (duoctl's own entries still work)."""

    def set(self, name: str, secret: str) -> None:
        if not name.startswith("_"):
            raise SecretStoreError("simulated: the store refused the write")
        super().set(name, secret)


def _records(config: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in audit_path(config).read_text().splitlines()]


def test_a_refused_rotation_is_voided_by_its_failure_record(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    store = RefusingStore()
    MemorySecretStore.set(store, "prod", SECRET)
    add_provider(config, MemorySecretStore(), name="prod", endpoint=ENDPOINT,
                 client_id=CLIENT_ID, client_secret=SECRET)  # fmt: skip
    with pytest.raises(SecretStoreError):
        edit_provider(config, "prod", store, new_secret=SECRET_2)
    rotated, failed = _records(config)[-2:]
    assert rotated["secrets"][0]["action"] == "rotated"  # type: ignore[index]
    assert failed["result"] == "secret_store"
    assert failed["voids"] == rotated["seq"]
    shown = show_trail(config).records
    assert shown[-2]["status"] == "not done (secret_store)"
    assert verify_trail(config).incomplete == []


_KILLED_IN_THE_STORE = """
import os, sys
from pathlib import Path
from duoctl.providers import edit_provider
from duoctl.secrets.memory import MemorySecretStore

class Dying(MemorySecretStore):
    def set(self, name, secret):
        if name.startswith("_"):
            return super().set(name, secret)
        os._exit(9)  # killed inside the store call

edit_provider(Path(sys.argv[1]), "prod", Dying(), new_secret="R" * 40)
"""


def test_a_kill_inside_the_store_call_leaves_the_record(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    add_provider(config, MemorySecretStore(), name="prod", endpoint=ENDPOINT,
                 client_id=CLIENT_ID, client_secret=SECRET)  # fmt: skip
    before = len(_records(config))
    child = subprocess.run(
        [sys.executable, "-c", _KILLED_IN_THE_STORE, str(config)],
        timeout=PROCESS_TIMEOUT_S,
        check=False,
    )
    assert child.returncode == 9
    records = _records(config)
    assert len(records) == before + 1
    assert records[-1]["secrets"][0]["action"] == "rotated"  # type: ignore[index]
    assert verify_trail(config).records == before + 1
