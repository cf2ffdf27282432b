"""Plain-text tables printed through rich, laid out here.

rich's Table measures and pads every cell through its renderable machinery, about half a
millisecond a row: 10-20 ms for a short list, the largest single cost of ``provider list``
after the imports, and most of a second for 1,000 providers. The cells here are plain
strings, so the layout is simple arithmetic: the same columns, padding and header rule as
rich's ``SIMPLE_HEAD`` box (a test compares the two byte for byte); rich prints the styled
header.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


def table_layout(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Header, rule, one line per row: rich's SIMPLE_HEAD layout without its edges."""
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return " " + "   ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " \n"

    rule = "\u2500" * (sum(widths) + 3 * (len(widths) - 1) + 2) + "\n"
    return line(headers) + rule + "".join(line(row) for row in rows)


def print_table(console: Console, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print the table: the header through rich (bold on a terminal), the rest as it is.

    The rule and the rows are plain text that rich would pass through unchanged, only
    slower (~0.15 ms a line); writing them to the console's file keeps 1,000 rows cheap.
    """
    from rich.text import Text

    header, _, body = table_layout(headers, rows).partition("\n")
    console.print(Text(header, style="bold", no_wrap=True, overflow="ignore"))
    console.file.write(body)
    console.file.flush()
