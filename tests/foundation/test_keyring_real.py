"""The keyring layer against the real Secret Service, read back by libsecret's secret-tool.

Locally these skip without tests/support/secret_service.sh; under DUOCTL_REQUIRE_REAL=1 they
fail instead. secret-tool is the independent witness: it shares no code with duoctl or the
python keyring library, so "stored" means stored in gnome-keyring, not in a cache.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from duoctl.secrets.keyring_store import KeyringSecretStore
from foundation.helpers import (
    SECRET,
    SECRET_2,
    add_args,
    config_with,
    run_duoctl,
    run_duoctl_many,
    secret_tool_lookup,
    write_private,
)

pytestmark = pytest.mark.real_keyring

ServiceOf = Callable[[Path], str]


def test_store_round_trip_is_visible_to_secret_tool(
    real_keyring: ServiceOf, config_path: Path
) -> None:
    service = real_keyring(config_path)
    store = KeyringSecretStore(config_path)
    # keyring resolves its backend once per process; anything but SecretService here means
    # this test would not be testing gnome-keyring at all.
    assert store.backend().name == "keyring.backends.SecretService.Keyring"
    assert store.backend().kind == "secure"

    store.set("prod", SECRET)
    assert secret_tool_lookup(service, "prod") == SECRET
    assert store.get("prod") == SECRET
    assert store.names() == ["prod"]

    store.set("prod", SECRET_2)
    assert secret_tool_lookup(service, "prod") == SECRET_2

    assert store.delete("prod") is True
    assert secret_tool_lookup(service, "prod") is None
    assert store.get("prod") is None
    assert store.delete("prod") is False
    assert store.names() == []


def test_service_is_keyed_by_resolved_config_path(
    real_keyring: ServiceOf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "a" / "config.toml"
    real.parent.mkdir()
    service = real_keyring(real)
    assert service == f"duoctl:{real.resolve()}"
    # The same file reached through a relative path shares the entry.
    monkeypatch.chdir(tmp_path)
    KeyringSecretStore(Path("a/config.toml")).set("prod", SECRET)
    assert secret_tool_lookup(service, "prod") == SECRET
    assert KeyringSecretStore(real).get("prod") == SECRET


def test_console_script_lifecycle(real_keyring: ServiceOf, config_path: Path) -> None:
    service = real_keyring(config_path)

    added = run_duoctl(add_args("prod"), input=SECRET + "\n")
    assert added.returncode == 0, added.stderr
    assert secret_tool_lookup(service, "prod") == SECRET

    shown = run_duoctl(["provider", "show", "prod", "--json"])
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["data"]["secret_present"] is True

    rotated = run_duoctl(
        ["provider", "edit", "prod", "--rotate-secret", "--client-secret-stdin"],
        input=SECRET_2 + "\n",
    )
    assert rotated.returncode == 0, rotated.stderr
    assert secret_tool_lookup(service, "prod") == SECRET_2

    removed = run_duoctl(["provider", "remove", "prod", "--yes"])
    assert removed.returncode == 0, removed.stderr
    assert secret_tool_lookup(service, "prod") is None
    shown = run_duoctl(["provider", "show", "prod"])
    assert shown.returncode == 4


def test_show_reports_a_secret_deleted_behind_duoctls_back(
    real_keyring: ServiceOf, config_path: Path
) -> None:
    service = real_keyring(config_path)
    write_private(config_path, config_with(1))
    # Set up in-process; only the show under test runs as a separate process.
    KeyringSecretStore(config_path).set("p0", SECRET)
    KeyringSecretStore(config_path).delete("p0")
    assert secret_tool_lookup(service, "p0") is None

    shown = run_duoctl(["provider", "show", "p0"])
    assert shown.returncode == 0, shown.stderr
    assert "MISSING" in shown.stdout


def test_two_config_files_do_not_collide(real_keyring: ServiceOf, tmp_path: Path) -> None:
    first, second = tmp_path / "one" / "config.toml", tmp_path / "two" / "config.toml"
    first.parent.mkdir()
    second.parent.mkdir()
    service_1, service_2 = real_keyring(first), real_keyring(second)

    results = run_duoctl_many(
        [
            (add_args("prod"), {"config": first, "input": SECRET + "\n"}),
            (add_args("prod"), {"config": second, "input": SECRET_2 + "\n"}),
        ]
    )
    assert [r.returncode for r in results] == [0, 0], results

    assert service_1 != service_2
    assert secret_tool_lookup(service_1, "prod") == SECRET
    assert secret_tool_lookup(service_2, "prod") == SECRET_2

    assert run_duoctl(["provider", "remove", "prod", "--yes"], config=first).returncode == 0
    assert secret_tool_lookup(service_1, "prod") is None
    assert secret_tool_lookup(service_2, "prod") == SECRET_2
