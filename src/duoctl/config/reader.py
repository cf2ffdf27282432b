"""Reading the TOML config file: stdlib ``tomllib``, fast and strict.

Kept apart from :mod:`duoctl.config.edit` so read-only commands (``provider list``) import
nothing that only writers need.
"""

from __future__ import annotations

import functools
import os
import stat
from pathlib import Path
from typing import Any, NamedTuple

from duoctl.config.line_local_toml import parse_line_local
from duoctl.config.model import Config, config_from_data
from duoctl.errors import ConfigError

# The most a config file may hold. A thousand providers take about 150 KiB; anything near
# this is not a config, and /dev/zero or a huge file must not be read into memory.
MAX_CONFIG_BYTES = 16 * 1024 * 1024
_BOM = "\ufeff"
_NOT_REGULAR_HINT = "point --config / DUOCTL_CONFIG at a regular file"


def read_bytes(path: Path) -> bytes | None:
    """The config file's bytes, or None when it does not exist.

    Only a regular file of at most :data:`MAX_CONFIG_BYTES` is read: a FIFO, a device or a
    socket is refused without blocking (opened with O_NONBLOCK, then checked by fstat on that
    same descriptor, so a swap between the check and the read cannot fool it).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ConfigError(f"{path} is a directory, not a config file", hint=_NOT_REGULAR_HINT)
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(
                f"{path} is not a regular file ({_file_kind(st.st_mode)})",
                hint=_NOT_REGULAR_HINT,
            )
        if st.st_size > MAX_CONFIG_BYTES:
            raise _too_large(path)
        chunks: list[bytes] = []
        size = 0
        # Read to the end rather than st_size bytes: the file may grow meanwhile.
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > MAX_CONFIG_BYTES:
                raise _too_large(path)
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(fd)


def refuse_non_regular(path: Path) -> None:
    """ConfigError if ``path`` exists and is not a regular file (stat only: never blocks).

    For writers, before they take the lock: a lock and a temp file must not be created
    beside a FIFO or a device (a config symlinked into /dev).
    """
    try:
        st = os.stat(path)
    except OSError:
        return  # absent (a writer creates it), or unreadable: the read reports that
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"{path} is a directory, not a config file", hint=_NOT_REGULAR_HINT)
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(
            f"{path} is not a regular file ({_file_kind(st.st_mode)})", hint=_NOT_REGULAR_HINT
        )


def decode_text(path: Path, raw: bytes) -> str:
    """UTF-8 text, without a leading byte-order mark.

    Some Windows editors start a file with a BOM, which tomllib refuses. It is dropped here,
    so parsing and edits both start from the text after it: an edit writes the file back
    without the BOM (UTF-8 needs none), and a file that an edit leaves unchanged keeps it.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"cannot parse {path}: not UTF-8 text (byte {exc.start})",
            hint="the file was left untouched; fix or restore it",
        ) from None
    return text.removeprefix(_BOM)


def read_text(path: Path) -> str | None:
    raw = read_bytes(path)
    return None if raw is None else decode_text(path, raw)


def _too_large(path: Path) -> ConfigError:
    return ConfigError(
        f"{path} is larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB, too large for a "
        "config file",
        hint="a duoctl config takes a few KiB: point --config / DUOCTL_CONFIG at the right file",
    )


def _file_kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a file"


def parse_text(path: Path, text: str) -> dict[str, Any]:
    """``text`` parsed as TOML; ConfigError with tomllib's line and column when it is not."""
    return _parsed(path, text)[0]


def _parsed(path: Path, text: str) -> tuple[dict[str, Any], bool]:
    """``text`` parsed, and whether :func:`parse_line_local` read it (then every line of it
    stands on its own).

    The usual file is read by :func:`parse_line_local`, which gives exactly tomllib's
    result in a quarter of the time (on 10,000 providers tomllib takes 150-200 ms) and
    gives up on anything else, which tomllib then parses or refuses with its own message.
    """
    data = parse_line_local(text)
    if data is not None:
        return data, True
    import tomllib  # only here: importing it costs a read-only command ~2 ms at start-up

    try:
        return tomllib.loads(text), False
    except RecursionError:
        # tomllib recurses once per level of nested arrays and inline tables.
        raise ConfigError(
            f"cannot parse {path}: arrays or inline tables are nested too deeply",
            hint="the file was left untouched; no duoctl setting nests like this: "
            "remove or flatten that value",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message ends with "(at line L, column C)", except at the very end of the
        # file, where it says "(at end of document)": give the line and column there too.
        message = str(exc)
        if message.endswith("(at end of document)"):
            line = text.count("\n") + 1
            column = len(text) - (text.rfind("\n") + 1) + 1
            message = message.replace(
                "(at end of document)", f"(at end of document, line {line}, column {column})"
            )
        raise ConfigError(
            f"cannot parse {path}: {message}",
            hint="the file was left untouched; fix the TOML syntax at that line and column",
        ) from None


class ParsedConfig(NamedTuple):
    data: dict[str, Any]
    config: Config
    # Read by parse_line_local: every line is blank, a comment, a header or a whole
    # ``key = value``, so an edit may be proven on its own lines (is_line_local need not
    # scan the text again).
    line_local: bool


@functools.lru_cache(maxsize=1)
def parsed_config(path: Path, text: str) -> ParsedConfig:
    """``text`` parsed and checked: the raw data and the typed view. Treat both as read-only.

    The last result is kept: a write reads the file two or three times (a check before the
    secret is typed, the store settings, then the locked edit), nearly always unchanged in
    between, and on 10,000 providers each parse and check costs 60-90 ms (200-250 ms where
    tomllib parses). Only the same text at the same path is answered from it, so a file
    changed meanwhile is parsed anew.
    """
    data, line_local = _parsed(path, text)
    return ParsedConfig(data, config_from_data(path, data), line_local)


def load_config(path: Path) -> Config:
    """Read-only load; a missing file is an empty config (``exists=False``)."""
    text = read_text(path)
    if text is None:
        return Config(path=path, exists=False)
    return parsed_config(path, text).config
