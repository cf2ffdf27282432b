"""Line-level config edits: exact where the layout allows, tomlkit where it does not,
and never a file that means something other than the change."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from duoctl.config.edit import edit_config
from duoctl.config.line_edits import LineEditFailed, find_table, remove_table, set_keys
from duoctl.config.model import Provider
from duoctl.errors import ConfigError
from foundation.helpers import CLIENT_ID, ENDPOINT, write_private

PROVIDER = Provider(name="new", endpoint=ENDPOINT, client_id=CLIENT_ID)


def test_missing_enabled_key_goes_after_the_last_key_not_after_the_next_comment() -> None:
    text = (
        "[providers.a]\n"
        f'endpoint = "{ENDPOINT}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        "\n"
        "# b is staging\n"
        "[providers.b]\n"
        f'endpoint = "{ENDPOINT}"\n'
        f'client_id = "{CLIENT_ID}"\n'
    )
    new = set_keys(text, ("providers", "a"), {"enabled": False})
    assert new == text.replace(
        f'client_id = "{CLIENT_ID}"\n\n# b',
        f'client_id = "{CLIENT_ID}"\nenabled = false\n\n# b',
    )


def test_crlf_files_stay_crlf(config_path: Path) -> None:
    text = (
        "schema_version = 1\r\n\r\n[providers.a]\r\n"
        f'endpoint = "{ENDPOINT}"\r\nclient_id = "{CLIENT_ID}"\r\n'
    )
    write_private(config_path, text.encode())
    with edit_config(config_path) as edit:
        edit.update_provider("a", enabled=False)
        edit.add_provider(PROVIDER)
        edit.set_external_mfa(True)
    raw = config_path.read_bytes()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    data = tomllib.loads(raw.decode())
    assert data["providers"]["a"]["enabled"] is False
    assert data["providers"]["new"]["client_id"] == CLIENT_ID
    assert data["external_mfa"] == {"enabled": True}


def test_a_nested_array_line_is_not_mistaken_for_a_table_header() -> None:
    text = (
        "[providers.a]\n"
        f'endpoint = "{ENDPOINT}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        "[meta]\n"
        "matrix = [\n"
        "  [1, 2],\n"
        "]\n"
    )
    span = find_table(text.splitlines(True), ("meta",))
    assert span is not None
    assert (span.header, span.last_key, span.end) == (3, 6, 7)
    assert (
        remove_table(text, ("providers", "a"))
        == text.split("[meta]", 1)[0].split("[providers.a]")[0]
        + "[meta]\nmatrix = [\n  [1, 2],\n]\n"
    )


def test_value_with_hash_and_trailing_comment_keeps_the_comment() -> None:
    text = '[providers.a]\nca_bundle = "/etc/#odd/ca.pem"   # corp CA\n'
    new = set_keys(text, ("providers", "a"), {"ca_bundle": "/etc/ssl/ca.pem"})
    assert new == '[providers.a]\nca_bundle = "/etc/ssl/ca.pem"   # corp CA\n'


def test_removing_an_absent_table_is_refused_by_the_line_editor() -> None:
    with pytest.raises(LineEditFailed):
        remove_table("[providers.a]\nx = 1\n", ("providers", "b"))


def test_dotted_keys_fall_back_to_tomlkit_and_still_mean_the_change(config_path: Path) -> None:
    # No [providers.a] header for the line editor to find: tomlkit does the edit.
    text = (
        f'schema_version = 1\nproviders.a.endpoint = "{ENDPOINT}"\n'
        f'providers.a.client_id = "{CLIENT_ID}"\n'
    )
    write_private(config_path, text)
    with edit_config(config_path) as edit:
        edit.update_provider("a", enabled=False)
    data = tomllib.loads(config_path.read_text())
    assert data["providers"]["a"] == {
        "endpoint": ENDPOINT,
        "client_id": CLIENT_ID,
        "enabled": False,
    }


def test_an_edit_no_path_can_express_is_refused_and_the_file_kept(config_path: Path) -> None:
    text = (
        "schema_version = 1\n"
        f'providers = {{ p0 = {{ endpoint = "{ENDPOINT}", client_id = "{CLIENT_ID}" }} }}\n'
    )
    write_private(config_path, text)
    with pytest.raises(ConfigError, match="cannot edit"), edit_config(config_path) as edit:
        edit.add_provider(PROVIDER)
    assert config_path.read_text() == text
