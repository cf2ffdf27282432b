"""Edits touch only the entry they edit: a hand-written file keeps every other byte
(comments, spacing, unknown tables, ordering)."""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from foundation.helpers import SECRET, add_args, write_private

Cli = Callable[..., Any]

HAND_WRITTEN = """\
# Hand-written duoctl config.
#   Keep this header, spacing and all.
schema_version   =   1   # the schema

# A table that belongs to another tool: duoctl must leave it alone.
[meta]
owner = "ops"   # who to call
tags = [ "a",   "b" ]

[external_mfa]
enabled = false   # flipped by operators

# --- providers below ---
[providers.alpha]
type    = "duo"          # odd spacing
enabled = true
endpoint = "api-aaaa1111.duosecurity.com"
client_id = "DIAAAAAAAAAAAAAAAAAA"   # alpha's id

# beta is the staging one
[providers.beta]
type = "duo"
enabled   = true
endpoint = "api-bbbb2222.duosecurity.com"
client_id = "DIBBBBBBBBBBBBBBBBBB"

[providers.gamma]
type = "duo"
enabled = false
endpoint = "api-cccc3333.duosecurity.com"
client_id = "DICCCCCCCCCCCCCCCCCC"

# A trailing table, also not ours.
[zzz]
answer = 42
# end of file
"""


def _entry_lines(lines: list[str], header: str) -> tuple[int, int]:
    """[start, stop) of the entry under ``header``: its header, its keys, the blank lines after.

    Comment lines after the entry's last key are not part of it: they introduce the next
    table (e.g. "# beta is the staging one") and belong to that one.
    """
    start = lines.index(header + "\n")
    last_key = start
    index = start + 1
    while index < len(lines) and not lines[index].startswith("["):
        if lines[index].strip() and not lines[index].lstrip().startswith("#"):
            last_key = index
        index += 1
    stop = last_key + 1
    while stop < len(lines) and not lines[stop].strip():
        stop += 1
    return start, stop


def _assert_only_entry_changed(old: str, new: str, header: str) -> None:
    old_lines, new_lines = old.splitlines(True), new.splitlines(True)
    start, stop = _entry_lines(old_lines, header)
    diff = "".join(difflib.unified_diff(old_lines, new_lines))
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(
        None, old_lines, new_lines, autojunk=False
    ).get_opcodes():
        if tag == "equal":
            continue
        # Replaced/deleted old lines, or the insertion point, must lie inside the entry.
        where = f"{header}: change outside the entry:\n{diff}"
        assert start <= i1, where
        assert i2 <= stop, where
        if tag == "insert":
            assert start < i1, diff


@pytest.fixture
def hand_written(config_path: Path) -> Path:
    write_private(config_path, HAND_WRITTEN)
    return config_path


@pytest.mark.parametrize(
    ("args", "header", "check"),
    [
        (["provider", "disable", "alpha"], "[providers.alpha]",
         lambda d: d["providers"]["alpha"]["enabled"] is False),
        (["provider", "enable", "gamma"], "[providers.gamma]",
         lambda d: d["providers"]["gamma"]["enabled"] is True),
        (["provider", "edit", "beta", "--endpoint", "api-dddd4444.duosecurity.com"],
         "[providers.beta]",
         lambda d: d["providers"]["beta"]["endpoint"] == "api-dddd4444.duosecurity.com"),
        (["provider", "edit", "alpha", "--client-id", "DIZZZZZZZZZZZZZZZZZZ"],
         "[providers.alpha]",
         lambda d: d["providers"]["alpha"]["client_id"] == "DIZZZZZZZZZZZZZZZZZZ"),
        (["mfa", "enable", "--yes", "--failmode", "closed"], "[external_mfa]",
         lambda d: d["external_mfa"]["enabled"] is True),
        (["provider", "remove", "beta", "--yes"], "[providers.beta]",
         lambda d: set(d["providers"]) == {"alpha", "gamma"}),
        (["provider", "remove", "alpha", "--yes"], "[providers.alpha]",
         lambda d: set(d["providers"]) == {"beta", "gamma"}),
        (["provider", "remove", "gamma", "--yes"], "[providers.gamma]",
         lambda d: set(d["providers"]) == {"alpha", "beta"}),
    ],
    ids=[
        "disable",
        "enable",
        "edit-endpoint",
        "edit-client-id",
        "mfa-enable",
        "remove-middle",
        "remove-first",
        "remove-last",
    ],
)  # fmt: skip
def test_edit_changes_only_its_entry(
    cli: Cli, hand_written: Path, args: list[str], header: str, check: Callable[[Any], bool]
) -> None:
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    new = hand_written.read_text()
    assert check(tomllib.loads(new))
    # BUG (remove-first, remove-last): tomlkit keeps the comment lines that introduce the
    # next table inside the removed table, so "provider remove" deletes them too
    # (src/duoctl/config/edit.py, ConfigEdit.remove_provider).
    _assert_only_entry_changed(HAND_WRITTEN, new, header)


def test_trailing_comment_on_an_edited_line_survives(cli: Cli, hand_written: Path) -> None:
    assert cli("provider", "edit", "alpha", "--client-id", "DIZZZZZZZZZZZZZZZZZZ").exit_code == 0
    assert 'client_id = "DIZZZZZZZZZZZZZZZZZZ"   # alpha\'s id\n' in hand_written.read_text()


def test_add_appends_and_keeps_every_existing_byte(cli: Cli, hand_written: Path) -> None:
    result = cli(*add_args("delta.eu"), input=SECRET + "\n")
    assert result.exit_code == 0, result.stderr
    new = hand_written.read_text()
    assert new.startswith(HAND_WRITTEN)
    assert tomllib.loads(new[len(HAND_WRITTEN) :]) == {
        "providers": {
            "delta.eu": {
                "type": "duo",
                "enabled": True,
                "endpoint": "api-1234abcd.duosecurity.com",
                "client_id": "DIABCDEFGHIJKLMNOPQR",
            }
        }
    }


def test_every_edit_in_a_row_keeps_the_untouched_parts(cli: Cli, hand_written: Path) -> None:
    for args in (
        ["provider", "disable", "alpha"],
        ["provider", "edit", "beta", "--endpoint", "api-dddd4444.duosecurity.com"],
        ["mfa", "enable", "--yes", "--failmode", "closed"],
        # alpha first: removing beta, the last enabled provider, would be a lockout.
        ["provider", "enable", "alpha"],
        ["provider", "remove", "beta", "--yes"],
        ["mfa", "disable", "--yes"],
    ):
        assert cli(*args).exit_code == 0, args
    new = hand_written.read_text()
    for kept in (
        "# Hand-written duoctl config.\n#   Keep this header, spacing and all.\n"
        "schema_version   =   1   # the schema\n",
        '[meta]\nowner = "ops"   # who to call\ntags = [ "a",   "b" ]\n',
        "enabled = false   # flipped by operators\n",
        '[providers.alpha]\ntype    = "duo"          # odd spacing\n',
        '[providers.gamma]\ntype = "duo"\nenabled = false\n',
        "[zzz]\nanswer = 42\n# end of file\n",
    ):
        assert kept in new
    assert new.index("[meta]") < new.index("[external_mfa]") < new.index("[providers.alpha]")
    assert new.index("[providers.alpha]") < new.index("[providers.gamma]") < new.index("[zzz]")


def test_missing_schema_version_is_inserted_and_nothing_else_moves(
    cli: Cli, config_path: Path
) -> None:
    old = (
        "# my providers\n\n[providers.alpha]  # first\n"
        + HAND_WRITTEN.split("[providers.alpha]\n", 1)[1]
    )
    write_private(config_path, old)

    assert cli("provider", "disable", "alpha").exit_code == 0

    new = config_path.read_text()
    assert new.startswith("# my providers\n\nschema_version = 1\n\n[providers.alpha]  # first\n")
    changes = [
        line
        for line in difflib.ndiff(old.splitlines(True), new.splitlines(True))
        if line[:2] in ("+ ", "- ")
    ]
    assert sorted(changes) == sorted(
        ["+ schema_version = 1\n", "+ \n", "- enabled = true\n", "+ enabled = false\n"]
    )
