"""A check chain: steps that say what they need, driven by one loop.

A :class:`Step` names the checks it reports, the checks it needs (they must have passed: ok
or warn) and its time limit. :class:`ChainRun` walks the steps in order and, for each one:
skips it when a check it needs did not pass (naming that check, so one root cause shows up
as one failure); gives it its budget, or fails it when the run has too little time left;
runs it; emits what it reports. Adding a check is one more entry in a chain.

A step's ``run`` bounds its own blocking calls with that budget (each check knows what to
say when its call hangs); the loop bounds the chain as a whole: a run still going when the
caller gives up is :meth:`ChainRun.abandon`-ed, which closes it and reports the step it was
in as failed and the rest as skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from duoctl.doctor.model import CheckResult, Status, fail

_C = TypeVar("_C")

PASSED = (Status.OK, Status.WARN)

# Called with (scope, check id, None) when a step starts and (scope, check id, result) when
# it ends; from worker threads, so a display must be thread-safe.
ProgressCallback = Callable[[str, str, CheckResult | None], None]
# (check id, the check it needed that did not pass) -> the skipped result.
SkipFactory = Callable[[str, CheckResult], CheckResult]
# A step's time limit -> the time it gets, or None when the run has too little left.
Budget = Callable[[float], float | None]

CRASH_FIX = "this is a duoctl bug: re-run with DUOCTL_DEBUG=1 and report it"


@dataclass(frozen=True)
class Step(Generic[_C]):
    """One link of a chain. ``run(context, budget)`` returns the results it reports, in
    order (none when the check does not apply); ``timeout`` None marks a local step that
    needs no budget. ``reports`` lists the checks it answers when that is more than ``id``
    (one health-check call answers both ``clock`` and ``credentials``)."""

    id: str
    run: Callable[[_C, float], Sequence[CheckResult]]
    needs: tuple[str, ...] = ()
    timeout: float | None = None
    reports: tuple[str, ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        return self.reports or (self.id,)


def _noop(scope: str, check_id: str, result: CheckResult | None) -> None:
    return None


class ChainRun(Generic[_C]):
    """One pass of a chain over one context. Thread-safe: :meth:`run` may go on in a worker
    thread while the caller takes :meth:`snapshot` or gives up with :meth:`abandon`."""

    def __init__(
        self,
        steps: Sequence[Step[_C]],
        context: _C,
        scope: str,
        *,
        skip: SkipFactory,
        budget: Budget | None = None,
        out_of_time: Callable[[str, str], CheckResult] | None = None,
        on_progress: ProgressCallback = _noop,
    ) -> None:
        self.steps = tuple(steps)
        self.context = context
        self.scope = scope
        self._skip = skip
        self._budget = budget
        self._out_of_time = out_of_time
        self._on_progress = on_progress
        self._lock = threading.Lock()
        self._results: list[CheckResult] = []
        self._done: dict[str, CheckResult] = {}
        # A skipped check's root cause: its dependants are skipped after that, not after it.
        self._cause: dict[str, CheckResult] = {}
        self._finished: set[str] = set()  # the steps that ran or were skipped
        self._closed = False

    def run(self) -> list[CheckResult]:
        for step in self.steps:
            if self._closed:
                break
            self._one(step)
            with self._lock:
                self._finished.add(step.id)
        return self.snapshot()

    def snapshot(self) -> list[CheckResult]:
        with self._lock:
            return list(self._results)

    def abandon(self, detail: str, fix: str) -> list[CheckResult]:
        """Close the run: the step it is in (or the first not reached) fails with
        ``detail``, every check not reported yet is skipped after it; later results from
        the worker are dropped."""
        with self._lock:
            self._closed = True
            # A finished step that reported nothing did not apply ("enabled"): not missing.
            missing = [
                check_id
                for step in self.steps
                if step.id not in self._finished
                for check_id in step.ids
                if check_id not in self._done
            ]
            if missing:
                first = fail(self.scope, missing[0], detail, fix)
                self._results.append(first)
                self._results += [self._skip(i, first) for i in missing[1:]]
            return list(self._results)

    def _emit(self, result: CheckResult) -> CheckResult:
        with self._lock:
            if self._closed:
                return result
            self._results.append(result)
            self._done[result.id] = result
        self._on_progress(self.scope, result.id, result)
        return result

    def _fail_step(self, step: Step[_C], failed: CheckResult) -> None:
        self._emit(failed)
        for check_id in step.ids[1:]:
            self._cause[check_id] = failed
            self._emit(self._skip(check_id, failed))

    def _one(self, step: Step[_C]) -> None:
        blocker = next(
            (
                self._done[need]
                for need in step.needs
                if need in self._done and self._done[need].status not in PASSED
            ),
            None,
        )
        if blocker is not None:
            cause = self._cause.get(blocker.id, blocker)
            for check_id in step.ids:
                self._cause[check_id] = cause
                self._emit(self._skip(check_id, cause))
            return
        budget = 0.0
        if step.timeout is not None and self._budget is not None:
            self._on_progress(self.scope, step.id, None)
            given = self._budget(step.timeout)
            if given is None:
                assert self._out_of_time is not None  # a chain with budgets says how
                self._fail_step(step, self._out_of_time(self.scope, step.ids[0]))
                return
            budget = given
        try:
            results = step.run(self.context, budget)
        except Exception as exc:
            # A bug must not take the rest of the run down, nor leak an exception message
            # that might carry a secret: only the type is kept.
            detail = f"internal error ({type(exc).__name__}) while checking"
            self._fail_step(step, fail(self.scope, step.ids[0], detail, CRASH_FIX))
            return
        for result in results:
            self._emit(result)
