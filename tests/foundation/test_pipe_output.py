"""In a pipe, whatever rich draws reaches the stream unpadded and unfolded."""

from __future__ import annotations

import io

from rich.table import Table

from duoctl.output import Streams


def test_rich_tables_in_a_pipe_lose_their_padding_not_their_content() -> None:
    out = io.StringIO()
    console = Streams(out=out).console
    table = Table(show_header=False, show_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    long_value = "x" * 300  # wider than any terminal default: a pipe does not fold it
    for key, value in (("Name", "prod"), ("Client Secret", long_value)):
        table.add_row(key, value)
    console.print(table)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].split() == ["Name", "\u2502", "prod"]
    assert lines[1].endswith(long_value)
    assert [line for line in lines if line != line.rstrip()] == []


def test_a_line_left_open_goes_out_as_it_is_on_flush() -> None:
    out = io.StringIO()
    console = Streams(out=out).console
    console.print("padded   ", end="")
    assert out.getvalue() == "padded   "  # rich flushed it: nothing is held back
    console.print(" more")
    assert out.getvalue() == "padded    more\n"
