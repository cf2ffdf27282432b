"""Line-level edits of a TOML file that leave every byte outside the edited entry alone.

tomlkit keeps comments, but it attaches the comment lines that introduce a table to the
table *before* it, so removing or extending one entry moves or deletes its neighbour's
comments. These edits work on lines instead. They are only a fast, exact path: the caller
compares the result, parsed with ``tomllib``, against the expected data and falls back to
tomlkit when anything differs, so an unusual file can cost formatting, never correctness.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from duoctl.config.line_local_toml import unquoted


class LineEditFailed(Exception):
    """The file's layout is not one these edits handle; use the general path."""


@dataclass(frozen=True)
class TableSpan:
    header: int  # index of the [header] line
    last_key: int  # index of the last key line (== header for an empty table)
    end: int  # exclusive: after the blank lines that follow the last key


def _parse_line(line: str) -> dict[str, Any] | None:
    try:
        return tomllib.loads(line)
    except tomllib.TOMLDecodeError:
        return None


# A key as headers and key lines spell it: bare, or quoted without escapes (a key with an
# escape is left to tomllib). Enough for every header duoctl writes and most people write.
_KEY = r"""(?:[A-Za-z0-9_-]+|"[^"\\\r\n]*"|'[^'\r\n]*')"""
_DOTTED_KEY = rf"{_KEY}(?:[ \t]*\.[ \t]*{_KEY})*"
_HEADER = re.compile(rf"[ \t]*\[[ \t]*({_DOTTED_KEY})[ \t]*\][ \t]*(?:#[^\r\n]*)?\r?\n?")
_KEY_PART = re.compile(_KEY)
# A line that is neither blank, a comment, a possible [header] nor the start of `key = ...`:
# the continuation of a multi-line value.
_CONTINUATION = re.compile(rf"\n(?![ \t]*(?:#|\r?\n|\r?\Z|\[|{_DOTTED_KEY}[ \t]*=))")
_BRACKET_LINE = re.compile(r"\n[ \t]*\[[^\n]*")
_OTHER_LINE_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _header_path(line: str) -> tuple[str, ...] | None:
    stripped = line.lstrip()
    if not stripped.startswith("[") or stripped.startswith("[["):
        return None
    # The regex decides the usual header without a parse: tomllib on each of 10,000 header
    # lines cost ~50 ms. It never accepts what tomllib would refuse as a header line.
    match = _HEADER.fullmatch(line)
    if match is not None:
        return tuple(unquoted(part) for part in _KEY_PART.findall(match[1]))
    parsed = _parse_line(line)
    path: list[str] = []
    while isinstance(parsed, dict) and len(parsed) == 1:
        key, parsed = next(iter(parsed.items()))
        path.append(key)
    return tuple(path) if parsed == {} else None


def _is_header(line: str) -> bool:
    # A line inside a multi-line array may start with "[" too; only a line that parses on
    # its own as a table header counts.
    if _header_path(line) is not None:
        return True
    stripped = line.lstrip()
    return stripped.startswith("[[") and _parse_line(line) is not None


def is_line_local(text: str) -> bool:
    """True when every line of ``text`` stands on its own: blank, a comment, a ``[table]``
    header the header regex reads, or a whole ``key = value``.

    No multi-line string or array, no array of tables: what a line looks like is then what
    it is, so an edit confined to some lines can be checked by parsing just those lines
    (:func:`split_table`). The caller parses the whole result when this is False.
    """
    if '"""' in text or "'''" in text:
        return False
    # str.splitlines, which the edits use, also breaks lines at these; TOML does not, and a
    # comment or a string may hold the last three: "# x\u2028[providers.a]" is one comment
    # line to TOML, and a header of [providers.a] to the edits.
    if any(char in text for char in _OTHER_LINE_BREAKS):
        return False
    framed = "\n" + text
    if _CONTINUATION.search(framed):
        return False
    return all(_HEADER.fullmatch(m[0][1:]) for m in _BRACKET_LINE.finditer(framed))


def header_paths(lines: list[str]) -> Iterator[tuple[str, ...]]:
    """The path of each table header in ``lines``, in order (exact for a line-local text)."""
    return (p for line in lines if line.lstrip()[:1] == "[" and (p := _header_path(line)))


def split_table(text: str, path: tuple[str, ...]) -> tuple[str, str, str] | None:
    """``text`` cut around the table at ``path``: what comes before it, its lines (header,
    keys and the blank lines after them), and what follows; None when it has no header."""
    lines = text.splitlines(keepends=True)
    span = find_table(lines, path)
    if span is None:
        return None
    return (
        "".join(lines[: span.header]),
        "".join(lines[span.header : span.end]),
        "".join(lines[span.end :]),
    )


def _is_key_line(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def find_table(lines: list[str], path: tuple[str, ...]) -> TableSpan | None:
    last = path[-1] if path else ""
    for index, line in enumerate(lines):
        # Cheap tests first: a header of ``path`` names its last key, unless an escape
        # spells it; reading every header of a 10,000-provider file costs ~30 ms.
        if line.lstrip()[:1] != "[" or (last not in line and "\\" not in line):
            continue
        if _header_path(line) != path:
            continue
        last_key = index
        cursor = index + 1
        while cursor < len(lines) and not _is_header(lines[cursor]):
            if _is_key_line(lines[cursor]):
                last_key = cursor
            cursor += 1
        end = last_key + 1
        # Blank lines after the entry go with it; comments after them introduce the next table.
        while end < len(lines) and not lines[end].strip():
            end += 1
        return TableSpan(index, last_key, end)
    return None


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and every control character escaped.

    (JSON's encoder is close but leaves DEL, U+007F, which TOML forbids unescaped.)
    """
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def render_value(value: bool | str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return toml_string(value)


def _key_line(lines: list[str], span: TableSpan, key: str) -> int | None:
    for index in range(span.header + 1, span.last_key + 1):
        parsed = _parse_line(lines[index])
        if parsed is not None and list(parsed) == [key]:
            return index
    return None


def _replace_value(line: str, key: str, new_value: str) -> str:
    """Swap the value on ``key = value  # comment`` keeping spacing and the comment."""
    head, sep, rest = line.partition("=")
    if not sep:
        raise LineEditFailed(key)
    body = rest.rstrip("\r\n")
    newline = rest[len(body) :]
    lead = body[: len(body) - len(body.lstrip())]
    value_and_comment = body.lstrip()
    # Find where the old value ends: the shortest prefix that parses as the whole value.
    old = _parse_line(line)
    for cut in range(1, len(value_and_comment) + 1):
        candidate = value_and_comment[:cut]
        if _parse_line(f"x = {candidate}") == {"x": old[key] if old else None}:
            return f"{head}={lead}{new_value}{value_and_comment[cut:]}{newline}"
    raise LineEditFailed(key)


def newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def set_keys(text: str, path: tuple[str, ...], changes: dict[str, bool | str | None]) -> str:
    """Set or delete keys of the table at ``path``; append the table if it is absent."""
    lines = text.splitlines(keepends=True)
    nl = newline_of(text)
    span = find_table(lines, path)
    if span is None:
        if any(value is None for value in changes.values()):
            raise LineEditFailed(".".join(path))
        block = [f"[{'.'.join(_bare_or_quoted(p) for p in path)}]{nl}"]
        block += [f"{k} = {render_value(v)}{nl}" for k, v in changes.items() if v is not None]
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += nl
        return "".join(lines) + (nl if lines else "") + "".join(block)
    insert_at = span.last_key + 1
    for key, value in changes.items():
        index = _key_line(lines, span, key)
        if value is None:
            if index is not None:
                lines[index] = ""
        elif index is not None:
            lines[index] = _replace_value(lines[index], key, render_value(value))
        else:
            new_line = f"{key} = {render_value(value)}{nl}"
            if not lines[insert_at - 1].endswith(("\n", "\r")):
                lines[insert_at - 1] += nl
            lines.insert(insert_at, new_line)
            insert_at += 1
            span = TableSpan(span.header, span.last_key + 1, span.end + 1)
    return "".join(lines)


def remove_table(text: str, path: tuple[str, ...]) -> str:
    lines = text.splitlines(keepends=True)
    span = find_table(lines, path)
    if span is None:
        raise LineEditFailed(".".join(path))
    del lines[span.header : span.end]
    return "".join(lines)


def _bare_or_quoted(key: str) -> str:
    if key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key):
        return key
    return toml_string(key)
