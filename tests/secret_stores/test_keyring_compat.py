"""Items duoctl stores on its own D-Bus connection (duoctl.secrets.secret_service) are the
items keyring stores: each side reads, lists and deletes what the other wrote, and libsecret's
``secret-tool`` sees the same label and attributes on both. Real Secret Service throughout.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends import SecretService

from duoctl.errors import SecretStoreError
from duoctl.secrets.keyring_store import KeyringSecretStore
from support.real_components import require_real, secret_service_available

pytestmark = pytest.mark.real_keyring

SECRET = "Sb3cretSecretSecretSecretSecretSecret001"
SECRET_2 = "Rotated0Rotated0Rotated0Rotated0Rotated0"


@pytest.fixture
def secret_tool() -> str:
    require_real("Secret Service", *secret_service_available())
    path = shutil.which("secret-tool")
    require_real("secret-tool", path is not None, "secret-tool not found (libsecret-tools)")
    assert path is not None
    return path


@pytest.fixture
def store(tmp_path: Path, secret_tool: str) -> Iterator[KeyringSecretStore]:
    store = KeyringSecretStore(tmp_path / "config.toml", timeout=10)
    assert store.backend().name == "keyring.backends.SecretService.Keyring"
    assert store._session.calls is not None  # the one-connection path is the one under test
    yield store
    for name in ("by-keyring", "by-duoctl"):
        store.delete(name)
    store.close()


def _keyring() -> SecretService.Keyring:
    return SecretService.Keyring()  # type: ignore[no-untyped-call]


def _lookup(secret_tool: str, *attributes: str) -> str:
    """The secret ``secret-tool lookup`` finds for these attribute/value pairs."""
    return subprocess.run(
        [secret_tool, "lookup", *attributes], capture_output=True, text=True, timeout=10, check=True
    ).stdout


def _search(secret_tool: str, service: str, username: str) -> dict[str, str]:
    """secret-tool's view of the one item for service/username: label, secret, attributes."""
    proc = subprocess.run(
        [secret_tool, "search", "--all", "service", service, "username", username],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    # Each item is a "[path]" line, then "key = value" lines (attributes on stderr).
    lines = (proc.stdout + proc.stderr).splitlines()
    assert sum(line.startswith("[") for line in lines) == 1, lines
    fields = dict(line.split(" = ", 1) for line in lines if " = " in line)
    # Not compared: the times, and the "schema" line, which secret-tool shows for keyring's
    # own items on some runs and not on others (neither client stores an xdg:schema).
    return {k: v for k, v in fields.items() if k not in ("created", "modified", "schema")}


def test_duoctl_reads_lists_and_deletes_what_keyring_stored(store: KeyringSecretStore) -> None:
    _keyring().set_password(store.service, "by-keyring", SECRET)

    assert store.get("by-keyring") == SECRET
    assert store.get_many(["by-keyring", "absent"]) == {"by-keyring": SECRET, "absent": None}
    assert store.names() == ["by-keyring"]
    assert store.delete("by-keyring") is True
    assert _keyring().get_password(store.service, "by-keyring") is None
    assert store.delete("by-keyring") is False


def test_keyring_and_secret_tool_read_what_duoctl_stored(
    store: KeyringSecretStore, secret_tool: str
) -> None:
    store.set("by-duoctl", SECRET)
    store.set("by-duoctl", SECRET_2)  # replaces the item, as keyring's set_password does

    assert _keyring().get_password(store.service, "by-duoctl") == SECRET_2
    assert _lookup(secret_tool, "service", store.service, "username", "by-duoctl") == SECRET_2


def test_an_item_of_the_service_without_a_username_is_no_provider(
    store: KeyringSecretStore, secret_tool: str
) -> None:
    # Another client may file an item under the service alone (keyring never does): it is
    # not a provider named "", and reading the providers' secrets passes over it.
    subprocess.run(
        [secret_tool, "store", "--label", "not duoctl's", "service", store.service],
        input=SECRET_2,
        text=True,
        timeout=10,
        check=True,
    )
    try:
        store.set("by-duoctl", SECRET)
        assert store.names() == ["by-duoctl"]
        assert store.get_many(["by-duoctl"]) == {"by-duoctl": SECRET}
    finally:
        subprocess.run([secret_tool, "clear", "service", store.service], timeout=10, check=True)


def test_an_item_looks_the_same_whoever_stored_it(
    store: KeyringSecretStore, secret_tool: str
) -> None:
    store.set("by-duoctl", SECRET)
    _keyring().set_password(store.service, "by-keyring", SECRET)

    mine = _search(secret_tool, store.service, "by-duoctl")
    theirs = _search(secret_tool, store.service, "by-keyring")
    assert mine == {
        "label": f"Password for 'by-duoctl' on '{store.service}'",
        "secret": SECRET,
        "attribute.application": "Python keyring library",
        "attribute.service": store.service,
        "attribute.username": "by-duoctl",
    }
    assert {k: v.replace("by-keyring", "by-duoctl") for k, v in theirs.items()} == mine


def test_keyrings_property_variables_apply(
    tmp_path: Path, secret_tool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # KEYRING_PROPERTY_SCHEME=KeePassXC: keyring names the attributes Title and UserName
    # (backend.SchemeSelectable); duoctl's calls use the backend keyring configured.
    monkeypatch.setenv("KEYRING_PROPERTY_SCHEME", "KeePassXC")
    store = KeyringSecretStore(tmp_path / "config.toml", timeout=10)
    store.set("by-duoctl", SECRET)
    try:
        assert _keyring().get_password(store.service, "by-duoctl") == SECRET
        assert store.names() == ["by-duoctl"]
        assert _lookup(secret_tool, "Title", store.service, "UserName", "by-duoctl") == SECRET
    finally:
        assert store.delete("by-duoctl") is True
        store.close()


def test_keyrings_preferred_collection_applies(
    tmp_path: Path, secret_tool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A preferred collection that does not exist: keyring fails to create it rather than
    # fall back to the default one, and so must duoctl (a secret in the wrong collection
    # would be one keyring never finds).
    from keyring.errors import InitError

    missing = "/org/freedesktop/secrets/collection/none"
    monkeypatch.setenv("KEYRING_PROPERTY_PREFERRED_COLLECTION", missing)
    store = KeyringSecretStore(tmp_path / "config.toml", timeout=10)
    with pytest.raises(SecretStoreError) as mine:
        store.set("by-duoctl", SECRET)
    store.close()
    with pytest.raises(InitError) as theirs:
        _keyring().set_password(store.service, "by-duoctl", SECRET)
    assert mine.value.message == (
        f"the OS keyring failed to store the client secret: InitError: {theirs.value}"
    )
