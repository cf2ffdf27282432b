"""One renderer for every command's result (duoctl.output.render), and the Streams seam."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from duoctl.errors import ValidationError
from duoctl.output import Streams, render


class TtyIO(io.StringIO):
    def isatty(self) -> bool:
        return True


class Found:
    """A result of either layout: a table under ``headers``, else "label: value" lines."""

    def __init__(
        self,
        rows: list[tuple[str, ...]],
        headers: tuple[str, ...] | None = None,
        notes: tuple[str, ...] = (),
        warnings: tuple[str, ...] = (),
    ) -> None:
        self.headers = headers
        self._rows = rows
        self.empty = "nothing found"
        self.notes = notes
        self.warnings = warnings

    def to_dict(self) -> dict[str, Any]:
        return {"rows": [list(row) for row in self._rows]}

    def rows(self) -> list[tuple[str, ...]]:
        return self._rows


def _streams(out: io.StringIO | None = None) -> tuple[Streams, io.StringIO, io.StringIO]:
    out = out if out is not None else io.StringIO()
    err = io.StringIO()
    return Streams(out=out, err=err), out, err


def test_json_is_the_envelope_alone_on_stdout() -> None:
    streams, out, err = _streams()
    render(streams, "thing show", Found([("a", "b")], warnings=("careful",)), json_output=True)
    assert json.loads(out.getvalue()) == {
        "duoctl": 1,
        "command": "thing show",
        "ok": True,
        "data": {"rows": [["a", "b"]]},
    }
    assert err.getvalue() == ""


def test_label_value_lines_then_notes_and_warnings_on_stderr() -> None:
    streams, out, err = _streams()
    result = Found([("state", "on"), ("/a/path",)], notes=("how",), warnings=("careful",))
    render(streams, "thing show", result, json_output=False)
    assert out.getvalue() == "state: on\n/a/path\n"
    assert err.getvalue() == "how\nwarning: careful\n"


def test_a_table_in_a_pipe_is_plain_and_unpadded() -> None:
    streams, out, _err = _streams()
    render(streams, "things", Found([("x", "1"), ("long", "2")], ("Name", "N")), json_output=False)
    assert out.getvalue().splitlines() == [
        " Name   N",
        "\u2500" * 10,
        " x      1",
        " long   2",
    ]


def test_an_empty_table_says_so_on_stderr() -> None:
    streams, out, err = _streams()
    render(streams, "things", Found([], ("Name",)), json_output=False)
    assert out.getvalue() == ""
    assert err.getvalue() == "nothing found\n"


def test_values_from_outside_are_cleaned_on_stdout() -> None:
    streams, out, _err = _streams()
    render(streams, "x", Found([("status", "ok\x1b[2J\x07")]), json_output=False)
    assert out.getvalue() == "status: ok[2J\n"


def test_at_a_terminal_text_goes_through_rich_as_it_is() -> None:
    streams, out, _err = _streams(TtyIO())
    # A server's text may hold rich's markup or emoji codes: shown, not interpreted.
    render(streams, "x", Found([("state", "[bold]on[/] :smile:")]), json_output=False)
    assert out.getvalue().strip() == "state: [bold]on[/] :smile:"
    assert streams._out_console is not None


def test_stderr_in_a_pipe_is_plain_text_without_a_console() -> None:
    streams, _out, err = _streams()
    streams.status("- health check of api-1.example")
    streams.warn("w")
    streams.error(ValidationError("bad", hint="do this"))
    assert err.getvalue() == (
        "- health check of api-1.example\nwarning: w\nerror: bad\n  fix: do this\n"
    )
    assert streams._err_console is None


@pytest.mark.parametrize(("stdin", "expected"), [(io.StringIO(), False), (TtyIO(), True)])
def test_can_prompt_follows_stdin(stdin: io.StringIO, expected: bool) -> None:
    assert Streams(stdin=stdin).can_prompt() is expected


def test_a_closed_stdin_cannot_prompt() -> None:
    stdin = io.StringIO()
    stdin.close()
    assert Streams(stdin=stdin).can_prompt() is False


def test_tests_may_say_whether_a_person_is_there() -> None:
    assert Streams(stdin=io.StringIO(), stdin_tty=True).can_prompt() is True


def test_no_lines_says_empty_on_stderr() -> None:
    streams, out, err = _streams()
    render(streams, "x", Found([]), json_output=False)
    assert out.getvalue() == ""
    assert err.getvalue() == "nothing found\n"
