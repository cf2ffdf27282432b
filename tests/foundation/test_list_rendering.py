"""`provider list` lays its table out itself; it must look exactly like rich's own table."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from duoctl.cli.tables import print_table, table_layout
from foundation.helpers import config_with, write_private

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
    assert piped.file.getvalue() == table_layout(HEADERS, rows)  # type: ignore[attr-defined]


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
    assert len({len(line) for line in lines}) == 1  # aligned columns, nothing folded
