"""A parser for the plain TOML that duoctl writes and most people write, about four times
faster than ``tomllib`` on a large file; ``tomllib`` remains the parser of everything else.

It reads a text in which every line stands on its own: blank, a comment, a ``[dotted.table]``
header, or ``key = value`` with a bare or quoted key and a one-line string without escapes,
``true``/``false`` or a plain decimal integer. On anything else it gives up (returns None)
and the caller parses with ``tomllib``, so an unusual file only costs time.

Its contract: whenever it returns a dict, that dict equals ``tomllib.loads(text)``, keys in
the same order, values of the same types; whenever ``tomllib`` would raise, it returns None,
so the error message is always ``tomllib``'s. ``tests/foundation/test_line_local_toml.py``
checks both against ``tomllib`` on generated texts. The TOML rules it keeps are those of
TOML 1.0 (https://toml.io/en/v1.0.0) as ``tomllib`` (Python 3.11) implements them.
"""

from __future__ import annotations

import re
from typing import Any

# TOML whitespace is space and tab only.
_WS = r"[ \t]*+"
# Characters TOML allows in comments and strings at which str.splitlines breaks a line: a
# text holding one is not read here, so that every text read here is one whose lines the
# edits of config/line_edits.py may take one by one (see is_line_local).
_SPLITLINES_BREAKS = r"\x85\u2028\u2029"
# A comment may hold anything but a control character other than tab (TOML 1.0 "Comment";
# tomllib's ILLEGAL_COMMENT_CHARS).
_COMMENT = rf"(?:#[^\x00-\x08\x0a-\x1f\x7f{_SPLITLINES_BREAKS}]*+)?"
# Quoted strings without an escape and without any control character: their value is the
# text between the quotes. (TOML allows a tab in both; leaving it to tomllib keeps this
# subset simpler to check.)
_BASIC = rf'"[^"\\\x00-\x1f\x7f{_SPLITLINES_BREAKS}]*+"'
_LITERAL = rf"'[^'\x00-\x1f\x7f{_SPLITLINES_BREAKS}]*+'"
_KEY = rf"(?:[A-Za-z0-9_-]++|{_BASIC}|{_LITERAL})"
# A decimal integer as TOML spells it (an optional sign, no leading zero, so "+0" and "-0"
# are 0) but without underscores, and short enough that int() reads it whatever Python's
# digit limit. A float, a date or "0x10" does not match, and the line is left to tomllib.
_INTEGER = r"[+-]?+(?:0|[1-9][0-9]{0,17}+)"
_VALUE = rf"(?:{_BASIC}|{_LITERAL}|true|false|{_INTEGER})"
# One line: groups (header path, key, value), all empty for a blank or comment line. Dotted
# keys (``a.b = 1``) are not read: they create tables by rules of their own.
_LINE = re.compile(
    rf"^{_WS}(?:\[{_WS}({_KEY}(?:{_WS}\.{_WS}{_KEY})*+){_WS}\]|({_KEY}){_WS}={_WS}({_VALUE}))?"
    rf"{_WS}{_COMMENT}$",
    re.MULTILINE,
)


def parse_line_local(text: str) -> dict[str, Any] | None:
    """``tomllib.loads(text)``, or None when ``text`` is outside the subset this reads."""
    # As tomllib does: CRLF is a newline. A CR anywhere else is an error in TOML, and no
    # pattern here admits one, so its line does not match.
    text = text.replace("\r\n", "\n")
    lines = _LINE.findall(text)
    # Each match is one whole line, so a line that does not match leaves one fewer.
    if len(lines) != text.count("\n") + 1:
        return None
    root: dict[str, Any] = {}
    table = root
    declared: set[tuple[str, ...]] = set()
    for header, spelled, value in lines:
        if spelled:
            # Unquoted here, not by unquoted(): this runs for every key of the file.
            key = spelled[1:-1] if spelled[0] in "\"'" else spelled
            if key in table:
                return None  # a key defined twice, or over a sub-table
            first = value[0]
            if first in "\"'":
                table[key] = value[1:-1]
            elif first in "tf":
                table[key] = first == "t"
            else:
                table[key] = int(value)
        elif header:
            path = _header_path(header)
            if path in declared:
                return None  # a table defined twice
            declared.add(path)
            # Super-tables are created on the way, and may be declared later; a header
            # whose path crosses a value is an error.
            table = root
            for part in path:
                table = table.setdefault(part, {})
                if type(table) is not dict:
                    return None
    return root


def _header_path(header: str) -> tuple[str, ...]:
    if "'" in header or '"' in header or " " in header or "\t" in header:
        # Rare enough to compile on first use, not at every start.
        return tuple(unquoted(part) for part in re.findall(_KEY, header))
    return tuple(header.split("."))


def unquoted(key: str) -> str:
    """A key as spelled (bare, or quoted without escapes) to the key it names."""
    return key[1:-1] if key[:1] in "\"'" else key
