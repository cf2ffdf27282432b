"""`provider list` draws the same table whether rich lays it out or duoctl does (> 200 rows)."""

from __future__ import annotations

import io

from rich.console import Console

from duoctl.cli.provider_cmd import RICH_TABLE_MAX_ROWS, aligned_columns, plain_table

HEADERS = ("Name", "Enabled", "Endpoint", "Client ID", "CA bundle")


def _rows(count: int) -> list[tuple[str, ...]]:
    return [
        (f"p{i}", "yes" if i % 3 else "no", f"api-{i:08x}.duosecurity.com", f"DI{i:018d}", "Duo")
        for i in range(count)
    ]


def test_aligned_columns_match_the_rich_table_byte_for_byte() -> None:
    rows = [*_rows(25), ("x.y-z", "no", "localhost:8443", "DIAAAAAAAAAAAAAAAAAA", "/tmp/ca.pem")]
    console = Console(file=io.StringIO(), width=300, color_system=None, highlight=False)
    console.print(plain_table(HEADERS, rows))
    assert aligned_columns(HEADERS, rows) == console.file.getvalue()  # type: ignore[attr-defined]


def test_long_lists_switch_to_the_direct_layout(cli, config_path) -> None:  # type: ignore[no-untyped-def]
    from foundation.helpers import config_with, write_private

    write_private(config_path, config_with(RICH_TABLE_MAX_ROWS + 1))
    result = cli("provider", "list")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == RICH_TABLE_MAX_ROWS + 3  # header, rule, one line per provider
    assert lines[0].split() == ["Name", "Enabled", "Endpoint", "Client", "ID", "CA", "bundle"]
    assert lines[2 + RICH_TABLE_MAX_ROWS].split()[0] == f"p{RICH_TABLE_MAX_ROWS}"
