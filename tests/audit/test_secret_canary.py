"""Secret changes are in the trail as an action and a keyed fingerprint, never the secret;
the fingerprint key lives in the secret store, not in any file."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from duoctl.audit.log import audit_path
from duoctl.audit.record import FINGERPRINT_KEY_NAME
from foundation.helpers import add_args, run_duoctl, secret_tool_lookup


def _canary() -> str:
    value = "Canary" + uuid.uuid4().hex + "zz"
    assert len(value) == 40
    return value


@pytest.mark.real_keyring
def test_secret_canary_appears_nowhere_in_the_trail(
    real_keyring: Callable[[Path], str], tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    service = real_keyring(config)
    first, second = _canary(), _canary()
    steps = [
        (add_args("prod"), first),
        (add_args("dup"), first),
        (["provider", "edit", "prod", "--rotate-secret", "--client-secret-stdin"], second),
        (["provider", "edit", "prod", "--rotate-secret", "--client-secret-stdin"], first),
        (["provider", "remove", "prod", "--yes"], ""),
    ]
    outputs = []
    for argv, secret in steps:
        result = run_duoctl(argv, config=config, input=secret + "\n" if secret else "")
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
    shown = run_duoctl(["audit", "--json"], config=config)
    outputs.append(shown.stdout + shown.stderr)

    key = secret_tool_lookup(service, FINGERPRINT_KEY_NAME)
    assert key, "the fingerprint key must be in the secret store"
    for value in (first, second, key):
        for text in outputs:
            assert value not in text
        for dirpath, _dirs, files in os.walk(tmp_path):
            for name in files:
                assert value.encode() not in (Path(dirpath) / name).read_bytes(), name

    records = [json.loads(line) for line in audit_path(config).read_text().splitlines()]
    events = [event for r in records for event in r["secrets"]]
    assert [e["action"] for e in events] == ["stored", "stored", "rotated", "rotated", "deleted"]
    prints = [e.get("fingerprint") for e in events]
    assert all(p.startswith("hmac-sha256:") and len(p) == 28 for p in prints[:4])
    # The same secret, the same fingerprint: records compare without revealing anything.
    assert prints[0] == prints[1] == prints[3] != prints[2]
    assert prints[4] is None  # a deletion names no fingerprint: the store call is saved
