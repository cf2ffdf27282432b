"""Human output for a doctor report: fitted tables at a terminal or plain lines elsewhere
on stdout, a live spinner on stderr (at a terminal only).

JSON needs nothing here: :meth:`DoctorReport.to_dict` is the data (see doctor/result.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from duoctl.doctor.model import (
    GLOBAL_SCOPE,
    PROVIDER_SCOPE_PREFIX,
    CheckResult,
    DoctorReport,
    Status,
    provider_scope,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.status import Status as RichStatus

_STYLE = {
    Status.OK: "green",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
    Status.SKIPPED: "dim",
}
_MIN_DETAIL = 24
_OVERHEAD = 15  # the cells' padding (2 each), the status (7) and two separators
_LABEL = {Status.OK: "ok", Status.WARN: "WARN", Status.FAIL: "FAIL", Status.SKIPPED: "skipped"}


def _widths(results: list[CheckResult], width: int) -> tuple[int, int]:
    """The Check and Detail columns' widths: the detail gets the room the titles leave."""
    longest = max(len(r.title) for r in results)
    # Below ~50 columns the two minimums no longer fit: rich then folds what it must.
    check_w = max(min(longest, width - _OVERHEAD - _MIN_DETAIL), 10)
    return check_w, max(width - _OVERHEAD - check_w, 10)


def _detail_lines(result: CheckResult, detail_w: int) -> tuple[list[str], list[str]]:
    """The detail's lines and the fix's, wrapped by the same rules as ``provider list``."""
    from duoctl.textfit import wrap_cell

    fix = wrap_cell(f"fix: {result.fix}", detail_w) if result.fix else []
    return wrap_cell(result.detail, detail_w), fix


def _table(title: str, results: list[CheckResult], width: int) -> object:
    """A table that fits ``width``: the fix goes under the detail, which gets the room left.

    Four columns (detail and fix side by side) leave each about 20 characters at 80
    columns, which cut hostnames and paths mid-word; here the detail column is pre-wrapped
    by the same rules as ``provider list`` (at spaces, else after ``/ . - _ :``), so rich
    only has to place the lines.
    """
    from rich.table import Table
    from rich.text import Text

    check_w, detail_w = _widths(results, width)
    table = Table(title=title, title_justify="left", show_edge=False, expand=False)
    table.add_column("Check", width=check_w)
    table.add_column("Status", no_wrap=True, width=7)
    table.add_column("Detail", width=detail_w, overflow="fold")
    for result in results:
        lines, fix = _detail_lines(result, detail_w)
        # Text objects, not markup strings: details quote paths and hosts verbatim.
        detail = Text("\n".join(lines))
        if fix:
            detail.append("\n" + "\n".join(fix), _fix_style(result))
        table.add_row(
            Text(result.title),
            Text(_LABEL[result.status], style=_STYLE[result.status]),
            detail,
        )
    return table


def _fix_style(result: CheckResult) -> str:
    return "dim" if result.status is Status.SKIPPED else ""


def _laid_out(
    title: str, results: list[CheckResult], width: int, paint: Callable[[str, str], str]
) -> str | None:
    """The same table as :func:`_table`, laid out here: rich's Table measures every cell
    through its renderables (~0.2 ms a row, 20 ms for ten providers), while these cells are
    already wrapped to their widths. ``paint(text, style)`` styles a piece. None when a
    cell is not one column a character (wide or combining characters) or does not fit:
    rich lays those out."""
    from rich.cells import cell_len
    from rich.control import strip_control_codes

    check_w, detail_w = _widths(results, width)
    rows = [(r, *_detail_lines(r, detail_w)) for r in results]
    texts = [title, *(r.title for r in results)]
    texts += [line for _, lines, fix in rows for line in (*lines, *fix)]
    table_w = check_w + detail_w + _OVERHEAD
    if (
        table_w > width
        or len(title) > table_w
        or any(len(r.title) > check_w for r in results)
        or any(cell_len(t) != len(t) or strip_control_codes(t) != t for t in texts)
    ):
        return None
    head = "┃".join(
        paint(f" {h.ljust(w)} ", "bold")
        for h, w in (("Check", check_w), ("Status", 7), ("Detail", detail_w))
    )
    rule = "━" * (check_w + 2) + "╇" + "━" * 9 + "╇" + "━" * (detail_w + 2)
    out = [paint(title.ljust(table_w), "italic"), head, rule]
    for result, lines, fix in rows:
        label = paint(_LABEL[result.status].ljust(7), _STYLE[result.status])
        for i, line in enumerate([*lines, *fix]):
            check = (result.title if i == 0 else "").ljust(check_w)
            status = label if i == 0 else " " * 7
            detail = paint(line, _fix_style(result)) if i >= len(lines) else line
            out.append(f" {check} │ {status} │ {detail}{' ' * (detail_w - len(line))} ")
    return "".join(line + "\n" for line in out)


def _painter(console: Console) -> Callable[[str, str], str]:
    """``paint(text, style)``: ``text`` between the codes this console writes for
    ``style`` (none without colour or styles), found once a style by rendering a marker."""
    codes: dict[str, tuple[str, str]] = {}

    def paint(text: str, style: str) -> str:
        if not style:
            return text
        if style not in codes:
            with console.capture() as captured:
                console.print("X", style=style, end="", markup=False, highlight=False)
            before, _, after = captured.get().partition("X")
            codes[style] = (before, after)
        before, after = codes[style]
        return before + text + after

    return paint


def _plain(title: str, results: list[CheckResult]) -> list[str]:
    """A section for a file or a pipe: one line a check, the fix under it, nothing padded."""
    check_w = max(len(r.title) for r in results)
    lines = [title]
    for r in results:
        lines.append(f"  {r.title.ljust(check_w)}  {_LABEL[r.status].ljust(7)}  {r.detail}")
        if r.fix:
            lines.append(f"  {'':{check_w}}  {'':7}  fix: {r.fix}")
    return [line.rstrip() for line in lines]


def _sections(report: DoctorReport) -> list[tuple[str, list[CheckResult]]]:
    return [("This machine", report.for_scope(GLOBAL_SCOPE))] + [
        (f"Provider {name}", report.for_scope(provider_scope(name))) for name in report.providers
    ]


def report_lines(report: DoctorReport, *, strict: bool) -> list[str]:
    """The report for a file or a pipe (``doctor | tee log``): the sections' plain lines, a
    blank line after each, then the summary."""
    lines = [line for title, results in _sections(report) for line in (*_plain(title, results), "")]
    return [*lines, summary(report, strict=strict)]


def draw_report(report: DoctorReport, console: Console, *, strict: bool) -> None:
    """The report at a terminal: tables fitted to its width, the statuses coloured."""
    paint = _painter(console)
    for n, (title, results) in enumerate(_sections(report)):
        if n:
            console.print()
        table = _laid_out(title, results, console.width, paint)
        if table is None:
            console.print(_table(title, results, console.width))
        else:
            console.file.write(table)
    console.print()
    console.print(summary(report, strict=strict), markup=False, highlight=False)


def summary(report: DoctorReport, *, strict: bool) -> str:
    counts = report.counts()
    text = (
        f"{counts['ok']} ok, {counts['warn']} warning(s), {counts['fail']} failed, "
        f"{counts['skipped']} skipped"
    )
    verdict = "PASSED" if report.passed(strict=strict) else "FAILED"
    return f"doctor {verdict}{' (strict)' if strict else ''}: {text}"


def problem_label(result: CheckResult) -> str:
    """The check as the tables name it: "Secret store", "DNS (provider prod)"."""
    if result.scope.startswith(PROVIDER_SCOPE_PREFIX):
        return f"{result.title} (provider {result.scope.removeprefix(PROVIDER_SCOPE_PREFIX)})"
    return result.title


class LiveProgress:
    """A spinner on stderr naming what each provider is checking right now.

    Its :meth:`update` is the runner's progress callback: called from worker threads, so it
    takes a lock; rich's Status refreshes from its own thread.
    """

    def __init__(self, console: Console) -> None:
        self._console = console
        self._lock = threading.Lock()
        self._current: dict[str, str] = {}
        self._done = 0
        self._status: RichStatus | None = None

    def __enter__(self) -> LiveProgress:
        self._status = self._console.status(self._text())
        self._status.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._status is not None:
            self._status.__exit__(exc_type, exc, tb)

    def _text(self) -> str:
        running = ", ".join(f"{scope}: {check}" for scope, check in self._current.items())
        return f"doctor: {self._done} check(s) done" + (f"; {running}" if running else "")

    def update(self, scope: str, check_id: str, result: CheckResult | None) -> None:
        label = scope.removeprefix(PROVIDER_SCOPE_PREFIX)
        with self._lock:
            if result is None:
                self._current[label] = check_id
            else:
                self._done += 1
                if self._current.get(label) == check_id:
                    del self._current[label]
            text = self._text()
        if self._status is not None:
            # rich renders the status with markup: keep provider names literal.
            from rich.text import Text

            self._status.update(Text(text))
