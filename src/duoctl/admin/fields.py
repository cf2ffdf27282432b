"""Reading fields of Duo's JSON answers: a field missing or of another type than Duo
documents reads as None (or empty), never as a guess."""

from __future__ import annotations

import datetime
from typing import Any


def text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def items(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def seconds(value: object) -> float | None:
    """A positive Unix time in seconds (``bool`` is an int, and is not one)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return value


def utc(stamp: float) -> datetime.datetime | None:
    """``stamp`` (Unix seconds) as an aware UTC time; None beyond what the platform can show."""
    try:
        return datetime.datetime.fromtimestamp(stamp, datetime.UTC)
    except (OverflowError, OSError, ValueError):
        return None
