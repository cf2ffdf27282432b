"""One renderer for every command's result (duoctl.output.render), and the Streams seam."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from rich.console import Console

from duoctl.errors import ValidationError
from duoctl.output import Streams, render, render_outcome


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


def test_json_is_the_envelope_alone_on_stdout_and_warnings_still_on_stderr() -> None:
    streams, out, err = _streams()
    result = Found([("a", "b")], notes=("how",), warnings=("careful",))
    render(streams, "thing show", result, json_output=True)
    assert json.loads(out.getvalue()) == {
        "duoctl": 1,
        "command": "thing show",
        "ok": True,
        "data": {"rows": [["a", "b"]]},
    }
    # The notes are about the text (how to read it); a warning is for whoever runs the
    # script, whichever output it reads.
    assert err.getvalue() == "warning: careful\n"


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


def test_a_result_with_nothing_to_say_in_place_of_rows_says_nothing() -> None:
    streams, out, err = _streams()
    done = Found([], notes=("moved 3 secret(s)",))
    done.empty = ""
    render(streams, "x", done, json_output=False)
    assert (out.getvalue(), err.getvalue()) == ("", "moved 3 secret(s)\n")


class Then(Found):
    """A result whose text goes on with another block (user show: fields, then phones)."""

    def __init__(self, rows: list[tuple[str, ...]], then: Found | None) -> None:
        super().__init__(rows, ("Field", "Value"), warnings=("careful",))
        self.then = then


def test_a_following_block_comes_after_a_blank_line_and_before_the_warnings() -> None:
    streams, out, err = _streams()
    render(streams, "x", Then([("User", "al")], Found([("p1",)], ("Phone",))), json_output=False)
    assert out.getvalue().splitlines() == [
        " Field   Value",
        "\u2500" * 15,
        " User    al",
        "",
        " Phone",
        "\u2500" * 7,
        " p1",
    ]
    assert err.getvalue() == "warning: careful\n"


def test_an_empty_following_block_is_said_on_stderr_and_none_is_not() -> None:
    streams, out, err = _streams()
    render(streams, "x", Then([("User", "al")], Found([], ("Phone",))), json_output=False)
    assert "\n\n" not in out.getvalue()
    assert err.getvalue() == "nothing found\nwarning: careful\n"
    streams, out, err = _streams()
    render(streams, "x", Then([], None), json_output=False)
    assert (out.getvalue(), err.getvalue()) == ("", "nothing found\nwarning: careful\n")


class Drawing(Found):
    """A result with its own layout at a terminal (doctor's tables)."""

    def draw(self, console: Console) -> None:
        console.file.write("drawn\n")


def test_a_drawn_result_draws_at_a_terminal_and_gives_rows_elsewhere() -> None:
    streams, out, _err = _streams(TtyIO())
    render(streams, "x", Drawing([("a line",)]), json_output=False)
    assert out.getvalue() == "drawn\n"
    streams, out, _err = _streams()
    render(streams, "x", Drawing([("a line",)]), json_output=False)
    assert out.getvalue() == "a line\n"
    assert streams._out_console is None  # a pipe gets plain text, without rich


def test_an_outcome_renders_then_raises_its_failure_and_under_json_only_raises() -> None:
    streams, out, _err = _streams()
    failure = ValidationError("bad")
    with pytest.raises(ValidationError) as raised:
        render_outcome(streams, "x", Found([("state", "on")]), failure, json_output=False)
    assert raised.value is failure
    assert out.getvalue() == "state: on\n"
    streams, out, _err = _streams()
    with pytest.raises(ValidationError):
        # The CLI edge prints the one envelope, this result as the failure's data.
        render_outcome(streams, "x", Found([("state", "on")]), failure, json_output=True)
    assert out.getvalue() == ""
    render_outcome(streams, "x", Found([("state", "on")]), None, json_output=True)
    assert json.loads(out.getvalue())["ok"] is True


class Done(Found):
    """A write command's result (output.Said): its text is status, said on stderr."""

    def __init__(self, rows: list[tuple[str, ...]], *, remarks_first: bool) -> None:
        super().__init__(rows, notes=("how",), warnings=("careful",))
        self.remarks_first = remarks_first


@pytest.mark.parametrize(
    ("remarks_first", "said"),
    [
        (False, "added 'x'\nhow\nwarning: careful\n"),
        (True, "how\nwarning: careful\nadded 'x'\n"),
    ],
)
def test_a_said_result_is_status_on_stderr_in_its_order_and_stdout_stays_empty(
    remarks_first: bool, said: str
) -> None:
    streams, out, err = _streams()
    render(streams, "x add", Done([("added 'x'",)], remarks_first=remarks_first), json_output=False)
    assert (out.getvalue(), err.getvalue()) == ("", said)


def test_a_said_result_under_json_is_the_envelope_on_stdout_and_the_same_text_on_stderr() -> None:
    streams, out, err = _streams()
    render(streams, "x add", Done([("added 'x'",)], remarks_first=False), json_output=True)
    assert json.loads(out.getvalue()) == {
        "duoctl": 1,
        "command": "x add",
        "ok": True,
        "data": {"rows": [["added 'x'"]]},
    }
    assert err.getvalue() == "added 'x'\nhow\nwarning: careful\n"


def test_a_said_result_is_cleaned_like_any_status() -> None:
    streams, _out, err = _streams()
    render(streams, "x", Done([("ok\x1b[2J",)], remarks_first=False), json_output=False)
    assert err.getvalue().splitlines()[0] == "ok[2J"
