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
from typing import IO, TYPE_CHECKING, Any, cast

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
    """Where output goes; tests hand in StringIO objects, the CLI the real streams."""

    # A plain class, not a dataclass: it is built on every command's start-up path.
    def __init__(self, out: IO[str] | None = None, err: IO[str] | None = None) -> None:
        self.out: IO[str] = out if out is not None else sys.stdout
        self.err: IO[str] = err if err is not None else sys.stderr
        self._out_console: Console | None = None
        self._err_console: Console | None = None

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

    # Everything said on stderr goes through safe_text: messages quote server answers.
    def status(self, message: str) -> None:
        self.err_console.print(safe_text(message), markup=False)

    def warn(self, message: str) -> None:
        self.err_console.print(f"warning: {safe_text(message)}", style="yellow", markup=False)

    def error(self, err: DuoctlError) -> None:
        self.err_console.print(f"error: {safe_text(err.message)}", style="bold red", markup=False)
        if err.hint:
            self.err_console.print(f"  fix: {safe_text(err.hint)}", markup=False)
