"""Plain-text tables, laid out here: fitted to a terminal, plain and unpadded in a pipe.

rich's Table measures and pads every cell through its renderable machinery, about half a
millisecond a row: 10-20 ms for a short list, the largest single cost of ``provider list``
after the imports, and most of a second for 1,000 providers. The cells here are plain
strings, so the layout is simple arithmetic: the same columns, padding and header rule as
rich's ``SIMPLE_HEAD`` box (a test compares the two byte for byte when the table fits).

At a terminal the table fits the console's width: the widest columns give way first, a
cell wraps at spaces, and a word longer than its column breaks after a ``/ . - _ :`` (a
path or a hostname) before it is cut anywhere. In a pipe nothing wraps and no line ends in
padding: one line per row, for grep and awk (scripts that want fields use ``--json``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from duoctl.textfit import fit_widths, pieces, wrap_cell

if TYPE_CHECKING:
    from rich.console import Console

_GAP = 3  # between two columns: each cell's one-space padding and the (blank) separator


def _overhead(columns: int) -> int:
    return 2 + _GAP * (columns - 1)


def table_lines(
    headers: Sequence[str], rows: Sequence[Sequence[str]], width: int | None = None
) -> tuple[list[str], list[str]]:
    """The header's lines (with the rule) and the rows' lines.

    ``width`` None: the natural layout, lines unpadded at the end (a pipe). Otherwise the
    table fits ``width`` columns, laid out as rich's SIMPLE_HEAD box would be.
    """
    columns = range(len(headers))
    natural = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]
    if width is None:
        widths = natural
    else:
        cells = [[h, *(row[i] for row in rows)] for i, h in enumerate(headers)]
        words = [[w for cell in column for w in cell.split()] for column in cells]
        floors = (
            [max(map(len, column), default=0) for column in words],
            [max((len(p) for w in column for p in pieces(w)), default=0) for column in words],
        )
        widths = fit_widths(natural, floors, max(width - _overhead(len(headers)), len(headers)))
    pad_end = width is not None

    def render(cells: Sequence[str]) -> list[str]:
        if widths == natural:  # the common case, and every row in a pipe: one line a row
            wrapped = [[c] for c in cells]
        else:
            wrapped = [wrap_cell(c, widths[i]) for i, c in enumerate(cells)]
        out = []
        for n in range(max(len(w) for w in wrapped)):
            parts = [wrapped[i][n] if n < len(wrapped[i]) else "" for i in columns]
            line = " " + (" " * _GAP).join(p.ljust(widths[i]) for i, p in enumerate(parts))
            out.append(line + " " if pad_end else line.rstrip())
        return out

    rule = "\u2500" * (sum(widths) + _overhead(len(widths)))
    body = [line for row in rows for line in render(row)]
    return [*render(headers), rule], body


def table_layout(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The natural layout, padded as rich pads it: rich's SIMPLE_HEAD without its edges."""
    head, body = table_lines(headers, rows, width=sys.maxsize)
    return "".join(line + "\n" for line in (*head, *body))


def print_table(console: Console, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """At a terminal: fitted to its width, the header bold. Elsewhere: plain, unpadded.

    The rule and the rows are plain text that rich would pass through unchanged, only
    slower (~0.15 ms a line); writing them to the console's file keeps 1,000 rows cheap.
    """
    if not console.is_terminal:
        head, body = table_lines(headers, rows)
        console.file.write("".join(line + "\n" for line in (*head, *body)))
        console.file.flush()
        return
    from rich.text import Text

    head, body = table_lines(headers, rows, console.width)
    # soft_wrap: the lines already fit; rich must neither fold nor crop them.
    console.print(Text("\n".join(head[:-1]), style="bold"), soft_wrap=True)
    console.file.write("".join(line + "\n" for line in (head[-1], *body)))
    console.file.flush()
