"""`provider list` lays its table out itself: like rich's own table where it fits, fitted to
a terminal's width where it does not, plain and unpadded in a pipe."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from rich import box
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from duoctl.tables import print_table, table_layout
from duoctl.textfit import fit_widths, wrap_cell
from foundation.helpers import ENDPOINT, config_with, provider_block, run_duoctl, write_private
from support.terminal import run_at_terminal, split_mid_word

HEADERS = ("Name", "Enabled", "Endpoint", "Client ID", "CA bundle")


def _rows(count: int) -> list[tuple[str, ...]]:
    return [
        (f"p{i}", "yes" if i % 3 else "no", f"api-{i:08x}.duosecurity.com", f"DI{i:018d}", "Duo")
        for i in range(count)
    ]


def _rich_table(rows: Sequence[tuple[str, ...]]) -> str:
    """What rich itself draws for these rows with the SIMPLE_HEAD box."""
    columns = [Column(h, no_wrap=True) for h in HEADERS]
    table = Table(*columns, box=box.SIMPLE_HEAD, show_edge=False)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console = Console(file=io.StringIO(), width=300, color_system=None, highlight=False)
    console.print(table)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def test_the_layout_matches_rich_tables_byte_for_byte() -> None:
    rows = [*_rows(25), ("x.y-z", "no", "localhost:8443", "DIAAAAAAAAAAAAAAAAAA", "/tmp/ca.pem")]
    assert table_layout(HEADERS, rows) == _rich_table(rows)


def test_the_header_is_bold_on_a_terminal_and_the_text_plain_elsewhere() -> None:
    rows = _rows(2)
    styled = Console(file=io.StringIO(), force_terminal=True, width=200, color_system="standard")
    print_table(styled, HEADERS, rows)
    assert styled.file.getvalue().startswith("\x1b[1m Name")  # type: ignore[attr-defined]
    piped = Console(file=io.StringIO(), width=200)
    print_table(piped, HEADERS, rows)
    unpadded = "".join(line.rstrip() + "\n" for line in table_layout(HEADERS, rows).splitlines())
    assert piped.file.getvalue() == unpadded  # type: ignore[attr-defined]


def test_a_thousand_providers_are_all_listed_unwrapped(
    cli: Callable[..., Any], config_path: Path
) -> None:
    write_private(config_path, config_with(1000))
    result = cli("provider", "list")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1002  # header, rule, one line per provider
    assert lines[0].split() == ["Name", "Enabled", "Endpoint", "Client", "ID", "CA", "bundle"]
    assert lines[1001].split()[0] == "p999"
    # Aligned columns, nothing folded, no line padded at its end.
    assert {line.index(ENDPOINT) for line in lines[2:]} == {lines[0].index("Endpoint")}
    assert [line for line in lines if line != line.rstrip()] == []


LONG_CA = "/etc/ssl/certs/corporate/very/long/path/to/the/corp-root-ca-bundle.pem"


def _mixed_config(config_path: Path) -> list[str]:
    """Two providers, one with a long CA bundle path; the values a table must not mangle."""
    text = config_with(0) + "\n" + provider_block("staging-eu-west", cid="DIABCDEFGHIJKLMNOPQS")
    write_private(config_path, f'{text}ca_bundle = "{LONG_CA}"\n\n' + provider_block("prod"))
    return [ENDPOINT, LONG_CA, "staging-eu-west", "DIABCDEFGHIJKLMNOPQS", "DIABCDEFGHIJKLMNOPQR"]


def test_a_pipe_gets_one_plain_unpadded_line_a_provider_whatever_columns_says(
    config_path: Path,
) -> None:
    _mixed_config(config_path)
    result = run_duoctl(["provider", "list"], config=config_path, env={"COLUMNS": "60"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4  # header, rule, two providers: the header is not wrapped either
    assert lines[0].split() == ["Name", "Enabled", "Endpoint", "Client", "ID", "CA", "bundle"]
    assert lines[2].split()[-1] == LONG_CA
    assert "\x1b" not in result.stdout
    assert [line for line in lines if line != line.rstrip()] == []
    endpoint_at = lines[0].index("Endpoint")
    assert lines[2].index(ENDPOINT) == lines[3].index(ENDPOINT) == endpoint_at


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_at_a_terminal_the_table_fits_and_words_break_only_between_pieces(
    config_path: Path, columns: int
) -> None:
    values = _mixed_config(config_path)
    code, lines, stderr = run_at_terminal(["provider", "list"], columns, config_path)
    assert code == 0, stderr
    assert max(len(line) for line in lines) <= columns
    assert lines[0].split()[:1] == ["Name"]
    rule = next(n for n, line in enumerate(lines) if line.startswith("\u2500"))
    tokens = [t for line in lines[rule + 1 :] for t in line.split()]
    if columns >= 80:
        # Room for the longest piece of each column: nothing is cut mid-word, and client
        # IDs (nowhere to break) stay whole.
        assert split_mid_word(tokens, values) == []
        assert {"DIABCDEFGHIJKLMNOPQS", "DIABCDEFGHIJKLMNOPQR"} <= set(tokens)
    else:
        # Five columns' longest pieces need more than 60: something is cut, nothing lost.
        assert "DIABCDEF" in "".join(tokens)


def test_fit_widths_gives_way_widest_first_and_keeps_words_while_it_can() -> None:
    # Room for everything: the natural widths.
    assert fit_widths([5, 10], ([5, 10], [5, 10]), 20) == [5, 10]
    # Too narrow: the widest column shrinks, down to its longest word first.
    assert fit_widths([5, 30], ([5, 12], [5, 4]), 20) == [5, 15]
    # Words do not fit: the pieces floor, then single characters.
    assert fit_widths([5, 30], ([5, 20], [5, 4]), 12) == [5, 7]
    assert fit_widths([5, 30], ([5, 20], [5, 4]), 6) == [3, 3]


def test_wrap_cell_breaks_at_spaces_then_after_separators_then_anywhere() -> None:
    assert wrap_cell("short", 10) == ["short"]
    assert wrap_cell("two words here", 9) == ["two words", "here"]
    assert wrap_cell("api-1234abcd.duosecurity.com", 16) == ["api-1234abcd.", "duosecurity.com"]
    assert wrap_cell("/etc/ssl/certs/ca.pem", 10) == ["/etc/ssl/", "certs/ca.", "pem"]
    assert wrap_cell("DIABCDEFGHIJKLMNOPQR", 8) == ["DIABCDEF", "GHIJKLMN", "OPQR"]
