"""`duoctl doctor`'s result (duoctl.output.render), and the failure it ends in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from duoctl.doctor.model import DoctorReport, Status
from duoctl.doctor.render import draw_report, problem_label, report_lines
from duoctl.errors import ChecksFailed

if TYPE_CHECKING:
    from rich.console import Console


class DoctorResult:
    """A report as one run judged it (``strict``: warnings fail it too).

    Its text is the report on stdout: fitted tables at a terminal (:meth:`draw`), plain
    lines anywhere else (:meth:`rows`). Its problems are not warnings here: the failure
    (:meth:`failure`) names them, once, on the CLI's error line.
    """

    headers = None
    empty = ""
    notes: ClassVar[tuple[str, ...]] = ()
    warnings: ClassVar[tuple[str, ...]] = ()

    def __init__(self, report: DoctorReport, *, strict: bool) -> None:
        self.report = report
        self.strict = strict

    def to_dict(self) -> dict[str, Any]:
        return self.report.to_dict(strict=self.strict)

    def rows(self) -> list[tuple[str]]:
        return [(line,) for line in report_lines(self.report, strict=self.strict)]

    def draw(self, console: Console) -> None:
        draw_report(self.report, console, strict=self.strict)

    def failure(self) -> ChecksFailed | None:
        """Exit 10 when a check failed (or warned, when strict), carrying the report as the
        error's data: under --json the one envelope holds both."""
        problems = self.report.problems(strict=self.strict)
        if not problems:
            return None
        failed = [r for r in problems if r.status is Status.FAIL]
        labels = ", ".join(problem_label(r) for r in problems)
        if failed:
            message = f"doctor: {len(failed)} check(s) failed: {labels}"
        else:
            message = f"doctor --strict: {len(problems)} check(s) warned: {labels}"
        return ChecksFailed(
            message,
            hint="apply each listed fix, then run 'duoctl doctor' again",
            data=self.to_dict(),
        )
