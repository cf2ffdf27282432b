"""Edits proven on the lines they touch: which files qualify, that a file which does not
still gets exactly the change, and that a common write parses and checks the file once."""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import duoctl.config.edit
import duoctl.config.model
import duoctl.config.reader
from duoctl.config.edit import ConfigEdit, edit_config
from duoctl.config.line_edits import is_line_local
from duoctl.config.model import Provider
from duoctl.config.reader import load_config
from duoctl.errors import ConfigError
from foundation.helpers import CLIENT_ID, ENDPOINT, write_private

NEW = Provider(name="new", endpoint=ENDPOINT, client_id=CLIENT_ID)
PROVIDER_A = f'endpoint = "{ENDPOINT}"\nclient_id = "{CLIENT_ID}"\n'


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# only a comment",
        f"schema_version = 1\n\n[providers.a]\n{PROVIDER_A}",
        '[ providers . "d.e" ]  # spaced, quoted\r\nenabled=true\r\n',
        "[providers.'lit']\nx = [1, 2] # a one-line array\n",
    ],
)
def test_files_whose_lines_stand_alone_are_line_local(text: str) -> None:
    assert is_line_local(text)


@pytest.mark.parametrize(
    "text",
    [
        'note = """\n[providers.a]\n"""\n',  # a header-like line inside a string
        "note = '''\nx\n'''\n",
        'x = [\n  "a",\n]\n',  # a multi-line array
        'x = [\n  ["providers"]\n]\n',  # ...whose element looks like a header
        'x = [\n["a"]]\n[b]\n',
        "[[servers]]\nname = 1\n",  # an array of tables
        '["a\\u0062"]\nx = 1\n',  # an escape in a header: left to tomllib
        "# a comment\u2028[providers.a]\n",  # str.splitlines breaks this line, TOML does not
        'x = "\u2029[b]"\n[b]\n',
    ],
)
def test_files_with_multi_line_values_are_not(text: str) -> None:
    tomllib.loads(text)  # each is valid TOML: only its layout is unusual
    assert not is_line_local(text)


def _expect_change_or_untouched(
    path: Path, text: str, change: Callable[[ConfigEdit], None], expected: dict[str, Any]
) -> None:
    """The edit leaves exactly ``expected``, or refuses and leaves the file as it was."""
    write_private(path, text.encode())
    try:
        with edit_config(path) as edit:
            change(edit)
    except ConfigError:
        assert path.read_text() == text
        return
    result = tomllib.loads(path.read_text())
    if result.get("providers") == {}:
        del result["providers"]  # removing the last provider may leave its empty table
    assert result == expected


def _with(data: dict[str, Any], **providers: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": 1, **data, "providers": {**data.get("providers", {}), **providers}}


NEW_FIELDS = {"type": "duo", "enabled": True, "endpoint": ENDPOINT, "client_id": CLIENT_ID}


@pytest.mark.parametrize(
    "text",
    [
        # A string holding a line that reads like a header of the provider edited.
        f'[zzz]\nnote = """\n[providers.a]\nenabled = true\n"""\n\n[providers.a]\n{PROVIDER_A}',
        f"[providers]\na.endpoint = {ENDPOINT!r}\na.client_id = {CLIENT_ID!r}\n".replace(
            "'", '"'
        ),  # dotted keys: [providers.a] has no header of its own
        f'providers = {{ a = {{ endpoint = "{ENDPOINT}", client_id = "{CLIENT_ID}" }} }}\n',
        f'[zzz]\nx = [\n  ["providers"],\n]\n\n[providers.a]\n{PROVIDER_A}',
        # A line break to str.splitlines, not to TOML: the first "[providers.a]" is part of
        # a comment, and the edit must not land in [zzz] below it.
        f"[zzz]\n# note\u2028[providers.a]\n{PROVIDER_A}\n[providers.a]\n{PROVIDER_A}",
        f"[zzz]\n# note\x85[providers.a]\n{PROVIDER_A}\n[providers.a]\n{PROVIDER_A}",
    ],
)
@pytest.mark.parametrize("operation", ["add", "disable", "remove"])
def test_an_unusual_layout_still_gets_exactly_the_change(
    config_path: Path, text: str, operation: str
) -> None:
    before = tomllib.loads(text)
    a = before["providers"]["a"]
    if operation == "add":
        expected = _with(before, new=NEW_FIELDS)
        _expect_change_or_untouched(config_path, text, lambda e: e.add_provider(NEW), expected)
    elif operation == "disable":
        expected = _with(before, a={**a, "enabled": False})
        _expect_change_or_untouched(
            config_path, text, lambda e: e.update_provider("a", enabled=False), expected
        )
    else:
        expected = {"schema_version": 1, **{k: v for k, v in before.items() if k != "providers"}}
        _expect_change_or_untouched(config_path, text, lambda e: e.remove_provider("a"), expected)


def _many(count: int) -> str:
    return "schema_version = 1\n" + "".join(
        f'\n[providers.p{i}]\nendpoint = "api-{i:08x}.duosecurity.com"\nclient_id = "DI{i:018d}"\n'
        for i in range(count)
    )


@pytest.mark.parametrize("operation", ["add", "disable", "remove"])
def test_a_write_parses_and_checks_the_file_once(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, operation: str
) -> None:
    # Counted, not timed: on 10,000 providers each whole-file parse costs 35-200 ms (the
    # line-local parser / tomllib) and each check of every provider ~45 ms (issue 13).
    text = _many(300)
    write_private(config_path, text.encode())
    # Either parser counts: the line-local one reads this file, and a fallback to tomllib
    # after it would be a second pass over the whole text.
    whole_parses: list[str] = []
    real_loads, real_check = tomllib.loads, duoctl.config.model._provider_from
    real_fast = duoctl.config.reader.parse_line_local

    def counting_loads(source: str, **kwargs: Any) -> dict[str, Any]:
        if len(source) >= len(text) // 2:
            whole_parses.append("tomllib")
        return real_loads(source, **kwargs)

    def counting_fast(source: str) -> dict[str, Any] | None:
        if len(source) >= len(text) // 2:
            whole_parses.append("line-local")
        return real_fast(source)

    checked: list[str] = []

    def counting_check(path: Path, name: str, raw: object) -> Provider:
        checked.append(name)
        return real_check(path, name, raw)

    monkeypatch.setattr(tomllib, "loads", counting_loads)
    monkeypatch.setattr(duoctl.config.reader, "parse_line_local", counting_fast)
    # ...and the line-local parser's read shows what is_line_local would scan for again.
    scans: list[str] = []
    real_scan = duoctl.config.edit.is_line_local

    def counting_scan(source: str) -> bool:
        scans.append(source)
        return real_scan(source)

    monkeypatch.setattr(duoctl.config.edit, "is_line_local", counting_scan)
    monkeypatch.setattr(duoctl.config.model, "_provider_from", counting_check)

    assert "p7" in load_config(config_path).providers  # a check before the edit, as `add` does
    with edit_config(config_path) as edit:
        if operation == "add":
            edit.add_provider(NEW)
        elif operation == "disable":
            edit.update_provider("p7", enabled=False)
        else:
            edit.remove_provider("p7")
        edit.after()  # what refuse_lockout() looks at
        edit.record_now()  # a secret change records first, then the write renders again
    monkeypatch.undo()

    after = tomllib.loads(config_path.read_text())["providers"]
    assert ("new" in after, "p7" in after) == (operation == "add", operation != "remove")
    assert after.get("p7", {}).get("enabled", True) is (operation != "disable")
    assert whole_parses == ["line-local"]
    assert scans == []
    touched = "new" if operation == "add" else "p7"
    counts = Counter(checked)
    assert [name for name in counts if counts[name] != 1 and name != touched] == []
    assert len(counts) == 300 + (operation == "add")


@pytest.mark.parametrize("brk", ["\u2028", "\x85", "\u2029"])
def test_schema_version_goes_above_a_comment_holding_a_splitlines_break(
    config_path: Path, brk: str
) -> None:
    # A file without schema_version gets one before its first key; a comment that
    # str.splitlines would break (TOML does not) must stay whole, and the edit must succeed.
    comment = f"# note{brk}[providers.a] is only text in this comment\n"
    text = f"{comment}\n[providers.a]\n{PROVIDER_A}"
    with_new = _with(tomllib.loads(text), new=NEW_FIELDS)
    write_private(config_path, text.encode())
    with edit_config(config_path) as edit:
        edit.add_provider(NEW)
    after = config_path.read_text()
    assert tomllib.loads(after) == with_new
    assert after.startswith(comment + "\nschema_version = 1\n")
