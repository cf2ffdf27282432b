"""Bad input is refused with a message that says where and what, a distinct exit code, and
the file exactly as it was."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from foundation.helpers import (
    SECRET,
    add_args,
    config_with,
    provider_block,
    write_private,
)

Cli = Callable[..., Any]

# Every command that reads the config, read-only or not.
READERS = [
    ["provider", "list"],
    ["provider", "show", "p0"],
    ["mfa", "status"],
    ["mfa", "enable", "--yes", "--failmode", "closed"],
    ["provider", "disable", "p0"],
    ["provider", "remove", "p0", "--yes"],
]


def _assert_refused(cli: Cli, config: Path, code: int, *needles: str) -> None:
    before = config.read_bytes()
    for args in READERS:
        result = cli(*args, input=SECRET + "\n")
        where = f"{args}: {result.stderr!r}"
        assert result.exit_code == code, where
        assert result.stderr.startswith("error: "), where
        for needle in needles:
            assert needle in result.stderr, where
        assert config.read_bytes() == before, where
    added = cli(*add_args("new"), input=SECRET + "\n")
    assert added.exit_code == code
    assert config.read_bytes() == before


def test_corrupt_toml_names_file_line_and_column(cli: Cli, config_path: Path) -> None:
    write_private(config_path, config_with(1) + '\n[providers.p1]\nendpoint = "unterminated\n')
    lines = config_with(1).count("\n") + 3
    _assert_refused(cli, config_path, 4, str(config_path), f"line {lines}", "column")


def test_non_utf8_file(cli: Cli, config_path: Path) -> None:
    write_private(config_path, config_with(1).encode() + b"# caf\xe9\n")
    _assert_refused(cli, config_path, 4, str(config_path), "not UTF-8")


@pytest.mark.parametrize(
    ("mutation", "needles"),
    [
        (("enabled = true", 'enabled = "yes"'), ["providers.p0.enabled", "boolean", "'yes'"]),
        (("schema_version = 1", 'schema_version = "1"'), ["schema_version", "integer"]),
        (("schema_version = 1", "schema_version = true"), ["schema_version", "integer"]),
        (("[external_mfa]\nenabled = false", "external_mfa = 1"), ["external_mfa", "table"]),
        (("enabled = false", "enabled = 0"), ["external_mfa.enabled", "boolean"]),
        (("client_id = ", "client_id = 12\n#"), ["providers.p0.client_id", "string"]),
        (('type = "duo"', 'type = "okta"'), ["providers.p0.type", '"duo"']),
        (('endpoint = "api', 'endpoint = "https://api'), ["providers.p0", "without scheme"]),
        (("client_id = ", "client_id = 'short'\n#"), ["providers.p0", "Client ID"]),
    ],
    ids=[
        "enabled-string",
        "schema-string",
        "schema-bool",
        "mfa-not-table",
        "mfa-enabled-int",
        "client-id-int",
        "type-okta",
        "endpoint-url",
        "client-id-short",
    ],
)
def test_wrong_types_and_values(
    cli: Cli, config_path: Path, mutation: tuple[str, str], needles: list[str]
) -> None:
    old, new = mutation
    text = config_with(1)
    assert old in text
    write_private(config_path, text.replace(old, new, 1))
    _assert_refused(cli, config_path, 4, str(config_path), *needles)


def test_unknown_provider_key_suggests_the_right_one(cli: Cli, config_path: Path) -> None:
    write_private(config_path, config_with(1).replace("client_id =", "clientid ="))
    _assert_refused(cli, config_path, 4, "providers.p0.clientid", "did you mean 'client_id'")


def test_unknown_external_mfa_key(cli: Cli, config_path: Path) -> None:
    write_private(config_path, config_with(1).replace("enabled = false", "enable = false"))
    _assert_refused(cli, config_path, 4, "external_mfa.enable", "did you mean 'enabled'")


def test_missing_required_key(cli: Cli, config_path: Path) -> None:
    text = "".join(line for line in config_with(1).splitlines(True) if "endpoint" not in line)
    write_private(config_path, text)
    _assert_refused(cli, config_path, 4, "providers.p0", "missing 'endpoint'")


def test_schema_version_too_new(cli: Cli, config_path: Path) -> None:
    write_private(config_path, config_with(1).replace("schema_version = 1", "schema_version = 2"))
    _assert_refused(cli, config_path, 4, "schema_version 2", "upgrade duoctl")


def test_bad_provider_name_in_file(cli: Cli, config_path: Path) -> None:
    write_private(config_path, config_with(1) + "\n" + provider_block('"bad name"'))
    _assert_refused(cli, config_path, 4, "bad name")


def test_unknown_top_level_tables_are_kept(cli: Cli, config_path: Path) -> None:
    extra = '\n[other_tool]\nsetting = "x"  # not ours\n\n[[hooks]]\nrun = "a"\n'
    write_private(config_path, config_with(1) + extra)

    listed = cli("provider", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert [p["name"] for p in json.loads(listed.stdout)["data"]["providers"]] == ["p0"]

    assert cli(*add_args("p1"), input=SECRET + "\n").exit_code == 0
    assert cli("provider", "disable", "p0").exit_code == 0
    assert cli("mfa", "enable", "--yes", "--failmode", "closed").exit_code == 0
    assert extra in config_path.read_text()


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (add_args(".bad"), SECRET, "invalid provider name"),
        (add_args("a b"), SECRET, "invalid provider name"),
        (add_args("x" * 65), SECRET, "invalid provider name"),
        (add_args("ok", cid="DI123"), SECRET, "exactly 20 characters, got 5"),
        # Lower case is upper-cased (people type it so); a letter outside A-Z is not an ID.
        (add_args("ok", cid="DIABCDEFGHIJKLMNOPQ\u00c9"), SECRET, "upper-case letters"),
        (add_args("ok"), SECRET[:-1], "exactly 40 characters, got 39"),
        (add_args("ok"), SECRET + "x", "exactly 40 characters, got 41"),
        (add_args("ok"), SECRET[:-1] + "!", "only letters and digits"),
        (add_args("ok"), "", "no Client Secret on standard input"),
        # A pasted https://host/ is taken as the host; a path is not.
        (add_args("ok", endpoint="https://api-1234abcd.duosecurity.com/v1"), SECRET, "scheme"),
        (add_args("ok", endpoint="api-1234abcd.duosecurity.com:0"), SECRET, "port"),
        (add_args("ok", endpoint="bad_host!"), SECRET, "not a valid host name"),
        (["provider", "edit", "p0"], "", "nothing to change"),
        (["provider", "edit", "p0", "--client-id", "short"], "", "exactly 20 characters"),
        (["provider", "edit", "p0", "--rotate-secret", "--client-secret-stdin"], "s" * 39, "40"),
        (["provider", "edit", "p0", "--ca-bundle", "/nonexistent.pem"], "", "not a readable"),
        (["provider", "edit", "p0", "--ca-bundle", "/tmp/" + "x" * 300], "", "File name too long"),
    ],
    ids=[
        "name-dot",
        "name-space",
        "name-long",
        "id-short",
        "id-not-ascii",
        "secret-39",
        "secret-41",
        "secret-charset",
        "secret-empty",
        "endpoint-url",
        "endpoint-port",
        "endpoint-host",
        "edit-nothing",
        "edit-id",
        "rotate-short",
        "edit-ca-missing",
        "edit-ca-name-too-long",
    ],
)
def test_invalid_values_exit_3_and_change_nothing(
    cli: Cli, mem_store: Any, config_path: Path, args: list[str], stdin: str, needle: str
) -> None:
    write_private(config_path, config_with(1))
    mem_store.set("p0", "old" * 13 + "d")
    before = config_path.read_bytes()

    result = cli(*args, input=stdin + "\n" if stdin else "")

    assert result.exit_code == 3, result.stderr
    assert needle in result.stderr
    assert result.stderr.count("error:") == 1
    assert config_path.read_bytes() == before
    assert mem_store.names() == ["p0"]
    assert mem_store.get("p0") == "old" * 13 + "d"


def test_ca_bundle_must_hold_a_certificate(cli: Cli, config_path: Path, tmp_path: Path) -> None:
    not_pem = tmp_path / "ca.txt"
    not_pem.write_text("hello\n")
    result = cli(*add_args("ok"), "--ca-bundle", not_pem, input=SECRET + "\n")
    assert result.exit_code == 3
    assert "no PEM certificate" in result.stderr
    assert not config_path.exists()


def test_duplicate_name_is_refused_and_keeps_the_old_secret(
    cli: Cli, mem_store: Any, config_path: Path
) -> None:
    assert cli(*add_args("prod"), input=SECRET + "\n").exit_code == 0
    before = config_path.read_bytes()
    again = cli(*add_args("prod"), input="Z" * 40 + "\n")
    assert again.exit_code == 4
    assert "already exists" in again.stderr
    assert config_path.read_bytes() == before
    assert mem_store.get("prod") == SECRET


def test_unknown_provider(cli: Cli, config_path: Path) -> None:
    write_private(config_path, config_with(2))
    for args in (["show", "ghost"], ["enable", "ghost"], ["remove", "ghost", "--yes"],
                 ["edit", "ghost", "--endpoint", "api-1.duosecurity.com"]):  # fmt: skip
        result = cli("provider", *args)
        assert result.exit_code == 4
        assert "no provider named 'ghost'" in result.stderr
        assert "known providers: p0, p1" in result.stderr


def test_config_path_is_a_directory(cli: Cli, config_path: Path) -> None:
    config_path.mkdir(parents=True)
    result = cli("provider", "list")
    assert result.exit_code == 4
    assert "is a directory" in result.stderr


def test_config_example_is_a_valid_config(cli: Cli, config_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    write_private(config_path, example.read_bytes())
    listed = cli("provider", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    names = [p["name"] for p in json.loads(listed.stdout)["data"]["providers"]]
    assert names == ["prod", "staging.eu"]
    # And it is editable without losing its comments.
    assert cli("provider", "enable", "staging.eu").exit_code == 0
    assert config_path.read_text().count("#") == example.read_text().count("#")
