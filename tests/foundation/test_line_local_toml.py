"""The line-local parser against tomllib: whenever it answers, it answers exactly what
tomllib does (same keys in the same order, same values, same types); whenever tomllib
refuses a text, it gives up, so the user always sees tomllib's message."""

from __future__ import annotations

import string
import tomllib
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from duoctl.config.line_edits import is_line_local
from duoctl.config.line_local_toml import parse_line_local


def _shape(value: object) -> object:
    """``value`` with its dicts' key order and every value's exact type made comparable
    (``==`` alone takes ``{"a": 1, "b": 2}`` for ``{"b": 2, "a": 1}`` and ``1`` for ``True``)."""
    if isinstance(value, dict):
        return ("table", [(key, _shape(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("array", [_shape(item) for item in value])
    return (type(value).__name__, value)


def _tomllib_or_none(text: str) -> dict[str, Any] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def _check_contract(text: str) -> dict[str, Any] | None:
    """The parser's answer for ``text``, after checking it against tomllib's."""
    fast = parse_line_local(text)
    if fast is not None:
        expected = _tomllib_or_none(text)
        assert expected is not None, f"accepted a text tomllib refuses: {text!r}"
        assert _shape(fast) == _shape(expected)
    return fast


# --- Hand-written cases, one per rule ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "# only a comment",
        "# a comment with \t a tab, \u00e9 and \U0001f600\n",
        "a = 1",
        "a = 1\n",
        "a = 1\r\nb = 2\r\n",  # CRLF
        "a = 1\nb = 2\r\n",  # mixed line ends
        "  a\t=\t'x'  # spaced\n",
        'a="x"#no spaces',
        "x = +0\ny = -0\nz = 0\nw = -17\nv = +42\nu = 999999999999999999\n",
        "t = true\nf = false\n",
        "s = ''\nd = \"\"\n",
        "lit = 'C:\\path\\no escapes here'\n",
        '"quoted key" = 1\n\'literal key\' = 2\n"" = 3\n',
        "[a]\n[a.b]\nx = 1\n",
        "[a.b]\nx = 1\n[a]\ny = 2\n",  # a super-table declared after its sub-table
        "[a.b.c]\n[a.b.d]\n[a]\n",
        "[ a . \"b.c\" . 'd' ]  # spaced, quoted\nk = 1\n",
        "[providers.p1]\nendpoint = \"api-1.duosecurity.com\"\n\n[providers.'p 2']\n",
        "[a]\n\"b\" = 1\n['c']\n",
        'a = "\u00e9\u4e2d\U0001f600"\n',
        'a = \'say "hi"\'\nb = "it\'s"\n',
    ],
)
def test_the_subset_is_read_exactly_as_tomllib_reads_it(text: str) -> None:
    assert _check_contract(text) is not None


# Every character a bare key may start with (TOML 1.0 "Keys": A-Za-z0-9_-), in a key and in
# a spaced header (the header's slower path): the generated texts use a few names only.
@pytest.mark.parametrize("first", string.ascii_letters + string.digits + "_-")
def test_a_bare_key_may_start_with_any_bare_key_character(first: str) -> None:
    text = f"{first}k = 1\n[ {first}t . u ]\n{first} = '{first}'\n"
    assert _check_contract(text) == {f"{first}k": 1, f"{first}t": {"u": {first: first}}}


@pytest.mark.parametrize(
    "text",
    [
        "[a]\n[a]\n",  # a table defined twice
        "[a]\nx = 1\n[b]\n[a]\n",
        '[a]\n["a"]\n',  # ...spelled differently
        "[a.b]\n[a.b]\n",
        "[a]\nx = 1\nx = 2\n",  # a key defined twice
        "x = 1\n'x' = 2\n",
        'x = 1\n"x" = 2\n',
        "a = 1\n[a]\n",  # a header over a value
        "[a]\nb = 1\n[a.b]\n",
        "[a]\nb = 1\n[a.b.c]\n",
        "[a.b]\n[a]\nb = 1\n",  # a key over a sub-table an earlier header created
        "a = 1\rb = 2\n",  # a lone CR
        "a = 1\r",
        "# a comment with a control character \x01\n",
        "# DEL \x7f\n",
        "# CR \rx\n",
        'a = "ctrl \x01"\n',
        "a = 'ctrl \x1f'\n",
        "a = 01\n",  # a leading zero
        "a = +01\n",
        "a = 00\n",
        "a = 1__0\n",
        "a = 1_\n",
        "a = _1\n",
        "a = \n",
        "= 1\n",
        "a = 1 2\n",
        "a = truex\n",
        "a = True\n",
        "[a] x = 1\n",
        "[a\n",
        "[]\n",
        "[a..b]\n",
        "[.a]\n",
        'a = "unterminated\n',
        "a = 'unterminated\n",
        "a = 1\n\x00\n",
        "\ufeffa = 1\n",  # a BOM: the reader drops one at the start, nowhere else
        "a = 1\n\x0c\n",  # form feed is not TOML whitespace
    ],
)
def test_what_tomllib_refuses_is_never_answered(text: str) -> None:
    assert _tomllib_or_none(text) is None
    assert parse_line_local(text) is None


@pytest.mark.parametrize(
    "text",
    [
        'a = "tab\\tescaped"\n',  # escapes: tomllib decodes them
        'a = "\\u00e9"\n',
        '["a\\u0062"]\n',
        'a = "a\tb"\n',  # a raw tab in a string is valid TOML, but outside the subset
        "a.b = 1\n",  # dotted keys
        "a = 1_000\n",
        "a = 1.5\n",
        "a = 1e3\n",
        "a = 0x1F\n",
        "a = inf\n",
        "a = 1979-05-27\n",
        "a = 9999999999999999999\n",  # 19 digits: longer than the subset reads
        "a = [1, 2]\n",
        "a = { b = 1 }\n",
        'a = """x"""\n',
        "a = '''x'''\n",
        'a = """\nx\n"""\n',
        "[[a]]\nx = 1\n",
        # Line breaks to str.splitlines (which the line edits use), not to TOML.
        "# a comment\u2028[a]\n",
        'a = "\u2029"\n',
        "a = '\x85'\n",
    ],
)
def test_valid_toml_outside_the_subset_is_left_to_tomllib(text: str) -> None:
    assert _tomllib_or_none(text) is not None
    assert parse_line_local(text) is None


# --- Generated texts ---------------------------------------------------------------------

# Texts of lines the subset reads, with few names, so that they often repeat a header or a
# key, or put a key where a sub-table is; then up to two lines are swapped for one from just
# outside the subset (or outside TOML), so that each text fails in one place or two at most.
_PARTS = st.sampled_from(["a", "b", "p1", '"a"', "'b'", '"a.b"', '""', "' '", "1", "-"])
_ODD_PARTS = st.sampled_from(['"\\u0061"', "a b", "a#", "\u00e9", "a\tb", '"a\x01"', "[a]"])
_WS = st.sampled_from(["", " ", "\t", "  "])
_VALUES = st.sampled_from(
    ['"x"', '""', "'y'", "''", "true", "false", "0", "+0", "-0", "7", "-12", "+3",
     "999999999999999999", '"\u00e9"', "'a\"b'", "\"it's\"", "'#'", '"]"'],
)  # fmt: skip
_ODD_VALUES = st.sampled_from(
    ["01", "00", "+01", "1_000", "1__0", "1_", "1.5", "1e3", "0x1F", "inf", "nan", "-",
     "9999999999999999999", "1979-05-27", "07:32:00", "[1, 2]", "[]", "{ c = 1 }", "{}",
     '"esc\\t"', '"bad\\q"', '"tab\tx"', '"ctl\x01"', "'ctl\x7f'", '"""m"""', "'''m'''",
     '"open', "'open", "truex", "True", "", "1 2", '"a" "b"', '"x"]', "'a'b'",
     '"\u2028"', "'\x85'"],
)  # fmt: skip
_COMMENTS = st.sampled_from(["", "", "#", " # c", "# [a]", "#\tt", '# """', "# \u00e9"])
_ODD_COMMENTS = st.sampled_from(
    ["# \x01", "# \x7f", "#\x00", "# \x1b", "# \u2028[a]", "#\x85", "# \u2029", "# \x0c"]
)
_SEPARATORS = st.sampled_from([".", " . ", ".\t"])
_BRACKETS = st.just("[]")
_EQUALS = st.sampled_from(["=", " = ", "\t=\t"])


@st.composite
def _header(
    draw: st.DrawFn,
    parts: st.SearchStrategy[str] = _PARTS,
    separators: st.SearchStrategy[str] = _SEPARATORS,
    brackets: st.SearchStrategy[str] = _BRACKETS,
    comments: st.SearchStrategy[str] = _COMMENTS,
) -> str:
    path = draw(st.lists(st.one_of(_PARTS, parts), min_size=1, max_size=3))
    ws = draw(_WS)
    shape = draw(brackets)
    opening, closing = shape[: shape.count("[")], shape[shape.count("[") :]
    return f"{draw(_WS)}{opening}{ws}{draw(separators).join(path)}{ws}{closing}{draw(comments)}"


@st.composite
def _key_value(
    draw: st.DrawFn,
    keys: st.SearchStrategy[str] = _PARTS,
    equals: st.SearchStrategy[str] = _EQUALS,
    values: st.SearchStrategy[str] = _VALUES,
    comments: st.SearchStrategy[str] = _COMMENTS,
) -> str:
    ws = draw(_WS)
    return f"{draw(_WS)}{draw(keys)}{draw(equals)}{draw(values)}{ws}{draw(comments)}"


_LINES = st.one_of(_WS, _COMMENTS, _header(), _key_value(), _key_value())
_ODD_LINES = st.one_of(
    _ODD_COMMENTS,
    _header(parts=_ODD_PARTS),
    _header(separators=st.sampled_from(["..", " ", "", ". ."])),
    _header(brackets=st.sampled_from(["[[]]", "[", "]", "[]]", "[[]"])),
    _header(comments=st.one_of(_ODD_COMMENTS, st.sampled_from(["x", " = 1", "[b]"]))),
    _key_value(keys=st.one_of(_ODD_PARTS, st.sampled_from(["a.b", "a . b", "."]))),
    _key_value(equals=st.sampled_from([" ", "==", "", ":"])),
    _key_value(values=_ODD_VALUES),
    _key_value(values=_ODD_VALUES),  # the largest family, so drawn more often
    _key_value(values=_ODD_VALUES),
    _key_value(comments=st.one_of(_ODD_COMMENTS, st.sampled_from(["x", "]"]))),
    st.text(alphabet="[]\"'.=#ab1+-_ \t\r\x00\u00e9", max_size=12),
)


@st.composite
def _texts(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.tuples(_LINES, st.sampled_from(["\n", "\r\n"])), max_size=10))
    for _ in range(draw(st.integers(0, 2)) if lines else 0):
        at = draw(st.integers(0, len(lines) - 1))
        if draw(st.booleans()):
            lines[at] = (draw(_ODD_LINES), lines[at][1])
        else:
            lines[at] = (lines[at][0], "\r")  # a lone CR
    text = "".join(line + end for line, end in lines)
    return text if draw(st.booleans()) else text.rstrip("\r\n")


@settings(max_examples=3000, deadline=None)
@given(_texts())
@example("[a.b]\nx = 1\n[a]\nb = 2\n")
@example("[a.b]\nx = 1\n[a]\nx = 2\n")
def test_generated_texts_parse_as_tomllib_or_not_at_all(text: str) -> None:
    _check_contract(text)


@settings(max_examples=1000, deadline=None)
@given(_texts())
@example("# a comment\u2028[providers.a]\n")
@example("a = '\x85[b]'\n")
def test_what_it_reads_the_line_edits_may_take_line_by_line(text: str) -> None:
    # config/edit.py proves an edit on its own lines without is_line_local's scan when this
    # parser read the file; is_line_local refuses a triple quote on sight, even in a comment.
    if parse_line_local(text) is not None:
        assert is_line_local(text) or '"""' in text or "'''" in text


# Texts from the subset alone, valid by construction (table names and key names are drawn
# apart, so no key meets a table): the parser must answer every one, so a parser that gave
# up too often could not pass.
_TABLE_PARTS = st.sampled_from(["a", "b", '"t u"', "'v w'", "x-1", '"a"'])
_SUBSET_KEYS = st.sampled_from(["k", '"k 2"', "'k3'", '""', "Y_2", "'k'"])
_TEXT = st.characters(blacklist_categories=["Cs", "Cc"])
_SUBSET_VALUES = st.one_of(
    st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1).map(str),
    st.sampled_from(["true", "false", "+0", "-0", "+5"]),
    st.text(_TEXT.filter(lambda c: c not in '"\\')).map(lambda s: f'"{s}"'),
    st.text(_TEXT.filter(lambda c: c != "'")).map(lambda s: f"'{s}'"),
)
_LEGAL_COMMENTS = st.sampled_from(["", "#", " # c", "# [a]", "#\tt", '# """', "# \u00e9"])


def _unquoted(key: str) -> str:
    return key[1:-1] if key[:1] in "\"'" else key


@st.composite
def _subset_texts(draw: st.DrawFn) -> str:
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    tables = draw(
        st.lists(
            st.lists(_TABLE_PARTS, min_size=1, max_size=3),
            max_size=4,
            unique_by=lambda path: tuple(map(_unquoted, path)),
        )
    )
    lines: list[str] = []
    for path in [[], *tables]:
        if path:
            lines.append(f"[{draw(st.sampled_from(['.', ' . '])).join(path)}]")
        for key in draw(st.lists(_SUBSET_KEYS, max_size=3, unique_by=_unquoted)):
            spacing = draw(_WS)
            value = draw(_SUBSET_VALUES)
            lines.append(f"{key}{spacing}={spacing}{value}{draw(_LEGAL_COMMENTS)}")
        lines.append(draw(_LEGAL_COMMENTS))
    return nl.join(lines)


@settings(max_examples=500, deadline=None)
@given(_subset_texts())
def test_valid_subset_texts_are_all_answered(text: str) -> None:
    assert _check_contract(text) is not None
