"""Run the real ``duoctl`` console script with its stdout on a pseudo-terminal, and check
what a table did to the words in it."""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import termios
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from foundation.helpers import DUOCTL, PROCESS_TIMEOUT_S, child_env

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
SEPARATORS = "/.-_:"


def run_at_terminal(
    args: Sequence[str], columns: int, config: Path, env: Mapping[str, str] | None = None
) -> tuple[int, list[str], str]:
    """Exit status, stdout's lines (styles removed) and stderr, stdout being a terminal
    ``columns`` wide (set on the terminal itself and in COLUMNS, as a shell does)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    extra = {**(env or {}), "COLUMNS": str(columns)}
    proc = subprocess.Popen(
        [DUOCTL, *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=child_env(config, extra=extra),
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.stderr is not None
    stderr = proc.stderr.read().decode()
    code = proc.wait(timeout=PROCESS_TIMEOUT_S)
    text = _ANSI.sub("", b"".join(chunks).decode()).replace("\r\n", "\n")
    return code, text.splitlines(), stderr


def _boundaries(value: str) -> set[int]:
    """Where ``value`` may be cut: at its ends, around spaces, after a separator."""
    cuts = {0, len(value)}
    for i, char in enumerate(value):
        if char == " ":
            cuts.update((i, i + 1))
        elif char in SEPARATORS:
            cuts.add(i + 1)
    return cuts


def split_mid_word(tokens: Iterable[str], values: Iterable[str]) -> list[str]:
    """The tokens that are a fragment of one of ``values`` not cut at a boundary.

    Only tokens with a separator in them are judged (a piece of a path or a hostname cut
    mid-word still has one); plain words of the surrounding text are not.
    """
    values = list(values)
    bad = []
    for token in tokens:
        if not set(token) & set(SEPARATORS):
            continue
        owners = [v for v in values if token in v and token not in v.split()]
        if not owners:
            continue
        if not any(
            start in _boundaries(v) and start + len(token) in _boundaries(v)
            for v in owners
            for start in (m.start() for m in re.finditer(re.escape(token), v))
        ):
            bad.append(token)
    return bad


def run_answering(
    argv: Sequence[str], env: Mapping[str, str], answers: Sequence[tuple[bytes, bytes]]
) -> tuple[int, str]:
    """Run duoctl with stdin, stdout and stderr on one pseudo-terminal, as a person at it
    would; answer each (prompt, reply) in turn, a prompt counting only once it appears after
    the previous reply. Returns the exit status and everything the terminal showed."""
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:
        os.execve(DUOCTL, [DUOCTL, *argv], env)
    screen, pending, since = b"", list(answers), 0
    deadline = time.monotonic() + PROCESS_TIMEOUT_S
    while time.monotonic() < deadline:
        if not select.select([fd], [], [], 0.5)[0]:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        screen += chunk
        if pending and pending[0][0] in screen[since:]:
            os.write(fd, pending.pop(0)[1])
            since = len(screen)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert not pending, screen
    return os.waitstatus_to_exitcode(status), screen.decode(errors="replace")
