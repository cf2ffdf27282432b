"""Fitting text into columns: which widths give way, and where a cell may wrap.

Shared by the CLI's tables (tables.py) and doctor's report (doctor/render.py), so it
sits below both. Words wrap at spaces; a word longer than its column breaks after one of
``/ . - _ :`` (a path or a hostname) before it is cut anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

_BREAK_AFTER = "/.-_:"


def pieces(word: str) -> list[str]:
    """``word`` cut after each separator: the parts a path or a hostname may wrap between."""
    parts, start = [], 0
    for i, char in enumerate(word):
        if char in _BREAK_AFTER:
            parts.append(word[start : i + 1])
            start = i + 1
    return [*parts, word[start:]]


def fit_widths(
    natural: Sequence[int], floors: Sequence[Sequence[int]], available: int
) -> list[int]:
    """Column widths summing to at most ``available``: the widest column gives way first.

    ``floors`` are the widths the columns keep for as long as they can, in turn: first
    their longest word (nothing breaks), then their longest piece of a word (a path breaks
    at a slash, not a client ID anywhere); last, one character.
    """
    widths = list(natural)
    for floor in (*floors, [1] * len(widths)):
        excess = sum(widths) - available
        while excess > 0:
            shrinkable = [i for i, w in enumerate(widths) if w > floor[i]]
            if not shrinkable:
                break
            widest = max(shrinkable, key=lambda i: widths[i])
            widths[widest] -= 1
            excess -= 1
    return widths


def wrap_cell(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width``: at spaces, else after a separator, else cut."""
    if len(text) <= width:
        return [text]
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) <= width:
            current += " " + word
            continue
        if current:
            lines.append(current)
        rest = word
        while len(rest) > width:
            cut = max(rest.rfind(c, 0, width) for c in _BREAK_AFTER) + 1 or width
            lines.append(rest[:cut])
            rest = rest[cut:]
        current = rest
    lines.append(current)
    return lines
