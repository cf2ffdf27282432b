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
_LABEL = {Status.OK: "ok", Status.WARN: "WARN", Status.FAIL: "FAIL", Status.SKIPPED: "skipped"}


def _table(title: str, results: list[CheckResult]) -> object:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left", show_edge=False, expand=False)
    table.add_column("Check", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Detail", overflow="fold")
    table.add_column("Fix", overflow="fold")
    for result in results:
        style = _STYLE[result.status]
        # Text objects, not markup strings: details quote paths and hosts verbatim.
        table.add_row(
            Text(result.title),
            Text(_LABEL[result.status], style=style),
            Text(result.detail),
            Text(result.fix or "", style="dim" if result.status is Status.SKIPPED else ""),
        )
    return table


def print_report(report: DoctorReport, console: Console, *, strict: bool) -> None:
    console.print(_table("This machine", report.for_scope(GLOBAL_SCOPE)))
    for name in report.providers:
        console.print()
        console.print(_table(f"Provider {name}", report.for_scope(provider_scope(name))))
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
    if result.scope.startswith(PROVIDER_SCOPE_PREFIX):
        return f"{result.scope.removeprefix(PROVIDER_SCOPE_PREFIX)}/{result.id}"
    return result.id


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
