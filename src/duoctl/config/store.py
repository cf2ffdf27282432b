"""Reading the TOML config file: stdlib ``tomllib``, fast and strict.

Kept apart from :mod:`duoctl.config.edit` so read-only commands (``provider list``) import
nothing that only writers need.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from duoctl.config.model import Config, config_from_data
from duoctl.errors import ConfigError


def read_text(path: Path) -> str | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a directory, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"cannot parse {path}: not UTF-8 text (byte {exc.start})",
            hint="the file was left untouched; fix or restore it",
        ) from None


def parse_text(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
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


def load_config(path: Path) -> Config:
    """Read-only load; a missing file is an empty config (``exists=False``)."""
    text = read_text(path)
    if text is None:
        return Config(path=path, exists=False)
    return config_from_data(path, parse_text(path, text))


def config_mode_problem(path: Path) -> str | None:
    """Describe why the file's owner or mode is unsafe, or None when it is fine."""
    try:
        st = path.stat()
    except OSError:
        return None
    problems = []
    if st.st_uid != os.getuid():
        problems.append(f"owned by uid {st.st_uid}, not you (uid {os.getuid()})")
    if st.st_mode & 0o077:
        problems.append(f"readable or writable by group/others (mode {st.st_mode & 0o777:o})")
    return "; ".join(problems) or None
