"""Human output for a doctor report: rich tables on stdout, a live spinner on stderr.

JSON needs nothing here: :meth:`DoctorReport.to_dict` is the data, wrapped by the CLI in
the usual envelope.
"""

from __future__ import annotations

import threading
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
_LABEL = {Status.OK: "ok", Status.WARN: "WARN", Status.FAIL: "FAIL", Status.SKIPPED: "skipped"}


def _detail(result: CheckResult) -> str:
    return result.detail + (f"\nfix: {result.fix}" if result.fix else "")


def _table(title: str, results: list[CheckResult], width: int) -> object:
    """A table that fits ``width``: the fix goes under the detail, which gets the room left.

    Four columns (detail and fix side by side) leave each about 20 characters at 80
    columns, which cut hostnames and paths mid-word; here the detail column is pre-wrapped
    by the same rules as ``provider list`` (at spaces, else after ``/ . - _ :``), so rich
    only has to place the lines.
    """
    from rich.table import Table
    from rich.text import Text

    from duoctl.textfit import wrap_cell

    overhead = 15  # the cells' padding (2 each), the status (7) and two separators
    longest = max(len(r.title) for r in results)
    # Below ~50 columns the two minimums no longer fit: rich then folds what it must.
    check_w = max(min(longest, width - overhead - _MIN_DETAIL), 10)
    detail_w = max(width - overhead - check_w, 10)
    table = Table(title=title, title_justify="left", show_edge=False, expand=False)
    table.add_column("Check", width=check_w)
    table.add_column("Status", no_wrap=True, width=7)
    table.add_column("Detail", width=detail_w, overflow="fold")
    for result in results:
        # Text objects, not markup strings: details quote paths and hosts verbatim.
        detail = Text("\n".join(wrap_cell(result.detail, detail_w)))
        if result.fix:
            style = "dim" if result.status is Status.SKIPPED else ""
            detail.append("\n" + "\n".join(wrap_cell(f"fix: {result.fix}", detail_w)), style)
        table.add_row(
            Text(result.title),
            Text(_LABEL[result.status], style=_STYLE[result.status]),
            detail,
        )
    return table


def _plain(title: str, results: list[CheckResult]) -> str:
    """A section for a file or a pipe: one line a check, the fix under it, nothing padded."""
    check_w = max(len(r.title) for r in results)
    lines = [title]
    for r in results:
        lines.append(f"  {r.title.ljust(check_w)}  {_LABEL[r.status].ljust(7)}  {r.detail}")
        if r.fix:
            lines.append(f"  {'':{check_w}}  {'':7}  fix: {r.fix}")
    return "".join(line.rstrip() + "\n" for line in lines)


def print_report(report: DoctorReport, console: Console, *, strict: bool) -> None:
    """Tables fitted to a terminal; plain lines anywhere else (``doctor | tee log``)."""
    sections = [("This machine", report.for_scope(GLOBAL_SCOPE))] + [
        (f"Provider {name}", report.for_scope(provider_scope(name))) for name in report.providers
    ]
    if console.is_terminal:
        for n, (title, results) in enumerate(sections):
            if n:
                console.print()
            console.print(_table(title, results, console.width))
        console.print()
        console.print(summary(report, strict=strict), markup=False, highlight=False)
        return
    text = "\n".join(_plain(title, results) for title, results in sections)
    console.file.write(f"{text}\n{summary(report, strict=strict)}\n")
    console.file.flush()


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
