"""Rendering: stdout carries data (tables or JSON), stderr carries status and warnings.

JSON output is one envelope with a stable, versioned shape, for results and errors alike::

    {"duoctl": 1, "command": "provider list", "ok": true, "data": {...}}
    {"duoctl": 1, "command": "provider add", "ok": false,
     "error": {"kind": "invalid_input", "exit_code": 3, "message": "...", "hint": "..."}}

A failure that still has a result (a denied login, doctor's report) carries it as "data" too.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

if TYPE_CHECKING:
    from rich.console import Console

    from duoctl.errors import DuoctlError

JSON_FORMAT_VERSION = 1


# Patterns, not compiled objects: re compiles them on first use and caches them, so
# importing this module (on every command's start-up path) compiles nothing.
_CONTROL = r"[\x00-\x08\x0b-\x1f\x7f-\x9f]"
_JWT_SHAPE = r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"


def safe_text(value: object, limit: int | None = None) -> str:
    """Make text that came from outside (a server, a certificate, a query string) printable.

    Control characters are dropped, so a hostile endpoint cannot send escape sequences to the
    operator's terminal; anything shaped like a JWT (a client assertion, an id_token) is
    redacted. With ``limit`` (a quote from outside, inside one of duoctl's own lines) the
    text is also kept to one line, so it cannot forge lines such as "fix: ...", and cut.
    """
    text = re.sub(_JWT_SHAPE, "<redacted token>", re.sub(_CONTROL, "", str(value)))
    if limit is not None:
        text = " ".join(text.split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    return text


def envelope(command: str, data: Any) -> dict[str, Any]:
    return {"duoctl": JSON_FORMAT_VERSION, "command": command, "ok": True, "data": data}


def error_envelope(command: str, err: DuoctlError) -> dict[str, Any]:
    payload: dict[str, Any] = {"duoctl": JSON_FORMAT_VERSION, "command": command, "ok": False}
    if err.data is not None:
        payload["data"] = err.data
    payload["error"] = {
        "kind": err.kind,
        "exit_code": int(err.exit_code),
        "message": err.message,
        "hint": err.hint,
    }
    return payload


# A pipe has no width: rich lays text and tables out at this many columns there, so that
# nothing folds; what it pads, _Unpadded trims.
PIPE_WIDTH = 4096


class _Unpadded:
    """A text stream that drops the spaces at the end of each line it passes on.

    rich pads every cell of a table to its column: at a terminal that is invisible, in a
    file or a pipe it is noise (and a diff's whitespace). A line still open when rich
    flushes goes out as it is.
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._open = ""
        self.encoding = getattr(stream, "encoding", None) or "utf-8"

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        lines = (self._open + text).split("\n")
        self._open = lines.pop()
        if lines:
            self._stream.write("".join(line.rstrip(" ") + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        if self._open:
            self._stream.write(self._open)
            self._open = ""
        self._stream.flush()


class Streams:
    """Where input comes from and output goes (gh's IOStreams, httpie's Environment).

    Tests hand in StringIO objects, and a ``tty`` answer for standard input when they play a
    person at a terminal; the CLI gets the real streams.
    """

    # A plain class, not a dataclass: it is built on every command's start-up path.
    def __init__(
        self,
        out: IO[str] | None = None,
        err: IO[str] | None = None,
        stdin: IO[str] | None = None,
        *,
        stdin_tty: bool | None = None,
    ) -> None:
        self.out: IO[str] = out if out is not None else sys.stdout
        self.err: IO[str] = err if err is not None else sys.stderr
        self._stdin = stdin
        self._stdin_tty = stdin_tty
        self._out_console: Console | None = None
        self._err_console: Console | None = None
        self._err_tty: bool | None = None

    @property
    def stdin(self) -> IO[str]:
        # The one current when read: a test runner may swap sys.stdin after this is built.
        return self._stdin if self._stdin is not None else sys.stdin

    def can_prompt(self) -> bool:
        """Whether a person can answer a prompt: standard input is a terminal. A script's
        piped input must never be read as someone's answer."""
        if self._stdin_tty is None:
            self._stdin_tty = _isatty(self.stdin)
        return self._stdin_tty

    def err_is_terminal(self) -> bool:
        if self._err_tty is None:
            self._err_tty = _isatty(self.err)
        return self._err_tty

    @property
    def console(self) -> Console:
        if self._out_console is None:
            from rich.console import Console

            if self.out.isatty():  # rich finds the width (COLUMNS, else the terminal's)
                self._out_console = Console(file=self.out, highlight=False, soft_wrap=False)
            else:
                self._out_console = Console(
                    file=cast("IO[str]", _Unpadded(self.out)),
                    highlight=False,
                    soft_wrap=False,
                    width=PIPE_WIDTH,
                )
        return self._out_console

    @property
    def err_console(self) -> Console:
        if self._err_console is None:
            from rich.console import Console

            self._err_console = Console(file=self.err, highlight=False, soft_wrap=True)
        return self._err_console

    def json(self, payload: dict[str, Any]) -> None:
        import json  # only --json output pays for it

        self.out.write(json.dumps(payload, indent=2, sort_keys=False) + "\n")
        self.out.flush()

    def line(self, text: str) -> None:
        """One line of data on stdout: through rich at a terminal (it folds to the width),
        written as it is elsewhere (building a rich Console costs more than the command).
        Through safe_text: a value may come from a server (a status message, a device)."""
        text = safe_text(text)
        if self.out.isatty():
            self.console.print(text, markup=False, emoji=False)
        else:
            self.out.write(text + "\n")
            self.out.flush()

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        from duoctl.tables import print_table, table_lines

        if self.out.isatty():
            print_table(self.console, headers, rows)
            return
        head, body = table_lines(headers, rows)
        self.out.write("".join(line + "\n" for line in (*head, *body)))
        self.out.flush()

    # Everything said on stderr goes through safe_text: messages quote server answers.
    def status(self, message: str) -> None:
        self._say(safe_text(message))

    def warn(self, message: str) -> None:
        self._say(f"warning: {safe_text(message)}", style="yellow")

    def caution(self, message: str) -> None:
        """What to weigh before answering the question that follows (bold at a terminal)."""
        self._say(f"CAUTION: {safe_text(message)}", style="bold yellow")

    def error(self, err: DuoctlError) -> None:
        self._say(f"error: {safe_text(err.message)}", style="bold red")
        if err.hint:
            self._say(f"  fix: {safe_text(err.hint)}")

    def _say(self, text: str, style: str | None = None) -> None:
        # Plain text where no terminal shows it: no colour to add, no width to fold to, and
        # a rich Console costs 15-28 ms to build (most of a status line's cost in a script).
        if self.err_is_terminal():
            self.err_console.print(text, style=style, markup=False, emoji=False)
        else:
            self.err.write(text + "\n")
            self.err.flush()


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or minimal stream is no terminal
        return False


class Block(Protocol):
    """A result's text: under ``headers`` a table of ``rows()``, without them one "label:
    value" line a row (a row of one field: the value alone, for ``$(...)``); ``empty`` is
    said on stderr in place of no rows."""

    @property
    def headers(self) -> tuple[str, ...] | None: ...

    @property
    def empty(self) -> str: ...

    def rows(self) -> Sequence[tuple[str, ...]]: ...


class Result(Block, Protocol):
    """What a command found or did, ready for either renderer (pipx's result.py).

    ``to_dict()`` is the JSON envelope's "data"; the rest (``Block``) is the text. ``notes``
    go to stderr after the text, and ``warnings`` to stderr after that, with ``--json`` too.
    """

    @property
    def notes(self) -> tuple[str, ...]: ...

    @property
    def warnings(self) -> tuple[str, ...]: ...

    def to_dict(self) -> dict[str, Any]: ...


@runtime_checkable
class Drawn(Protocol):
    """A result with a layout of its own at a terminal (doctor's fitted, coloured tables);
    its ``rows()`` are its text anywhere else."""

    def draw(self, console: Console) -> None: ...


@runtime_checkable
class Followed(Protocol):
    """A result whose text goes on with another's (user show: the user, then the phones):
    that one's rows after a blank line, or its ``empty`` said; None when nothing follows."""

    @property
    def then(self) -> Block | None: ...


@runtime_checkable
class Said(Protocol):
    """A result whose text is status, said on stderr (a write command's outcome: "added
    provider 'prod'"): what was done is not data, so in text mode stdout stays empty, and
    under --json it holds the envelope alone while the text is still said on stderr.

    ``remarks_first``: its notes and warnings are about what was typed (a pasted URL, an
    odd endpoint), said before the outcome; otherwise after it, as for any result.
    """

    @property
    def remarks_first(self) -> bool: ...


def render(streams: Streams, command: str, result: Result, *, json_output: bool) -> None:
    """The one renderer of every command's result: a versioned JSON envelope, or text."""
    if json_output:
        streams.json(envelope(command, result.to_dict()))
    if isinstance(result, Said):
        _say(streams, result, first=result.remarks_first)
        return
    if not json_output:
        _text(streams, result, after_rows=False)
        for note in result.notes:
            streams.status(note)
    # With --json too: the envelope is for the script, stderr for whoever runs it, and a
    # warning (a broken audit trail, an unset URL) is for them.
    for warning in result.warnings:
        streams.warn(warning)


def render_outcome(
    streams: Streams,
    command: str,
    result: Result,
    failure: DuoctlError | None,
    *,
    json_output: bool,
) -> None:
    """Render a result that may end in a failure (doctor's failed checks, a denied login),
    then raise the failure for the CLI edge to say and turn into its exit code. Under
    --json the failure alone is raised, the result as its data: one envelope holds both."""
    if json_output and failure is not None:
        raise failure
    render(streams, command, result, json_output=json_output)
    if failure is not None:
        raise failure


def _say(streams: Streams, result: Result, *, first: bool) -> None:
    if first:
        _remarks(streams, result)
    for row in result.rows():
        streams.status(": ".join(row))
    if not first:
        _remarks(streams, result)


def _remarks(streams: Streams, result: Result) -> None:
    for note in result.notes:
        streams.status(note)
    for warning in result.warnings:
        streams.warn(warning)


def _text(streams: Streams, result: Block, *, after_rows: bool) -> None:
    if isinstance(result, Drawn) and streams.out.isatty():
        result.draw(streams.console)
        return
    rows = result.rows()
    if not rows:
        if result.empty:
            streams.status(result.empty)
    else:
        if after_rows:
            streams.line("")
        if result.headers is None:
            for row in rows:
                streams.line(": ".join(row))
        else:
            streams.table(result.headers, rows)
    if isinstance(result, Followed) and (then := result.then) is not None:
        _text(streams, then, after_rows=bool(rows))
