"""The check chain's loop on its own: skips after the root cause, budgets, crashes, abandon."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import partial

from duoctl.doctor.chain import Budget, ChainRun, Step
from duoctl.doctor.model import CheckResult, Status, fail, ok, skipped_after, warn

SCOPE = "provider:x"
Ctx = list[str]  # the steps that ran, in order


def passes(check_id: str) -> Step[Ctx]:
    def run(ran: Ctx, budget: float) -> Sequence[CheckResult]:
        ran.append(check_id)
        return [ok(SCOPE, check_id, "fine")]

    return Step(check_id, run)


def fails(check_id: str) -> Step[Ctx]:
    def run(ran: Ctx, budget: float) -> Sequence[CheckResult]:
        ran.append(check_id)
        return [fail(SCOPE, check_id, "broken", "fix it")]

    return Step(check_id, run)


def needing(step: Step[Ctx], *needs: str, timeout: float | None = None) -> Step[Ctx]:
    return Step(step.id, step.run, needs=needs, timeout=timeout, reports=step.reports)


def chain(
    steps: Sequence[Step[Ctx]],
    budget: Budget | None = None,
    out_of_time: Callable[[str, str], CheckResult] | None = None,
) -> tuple[ChainRun[Ctx], Ctx]:
    ran: Ctx = []
    skip = partial(skipped_after, SCOPE)
    return ChainRun(steps, ran, SCOPE, skip=skip, budget=budget, out_of_time=out_of_time), ran


def by_id(results: Sequence[CheckResult]) -> dict[str, CheckResult]:
    return {r.id: r for r in results}


def test_dependants_are_skipped_after_the_root_cause_and_others_still_run() -> None:
    run, ran = chain(
        [
            fails("dns"),
            needing(passes("tcp"), "dns"),
            needing(passes("tls"), "tcp"),
            passes("proxy"),
        ]
    )
    results = by_id(run.run())
    assert ran == ["dns", "proxy"]
    for check_id in ("tcp", "tls"):
        assert results[check_id].status is Status.SKIPPED
        assert results[check_id].data == {"needs": "dns"}
    assert results["proxy"].status is Status.OK


def test_a_warning_lets_dependants_run() -> None:
    step: Step[Ctx] = Step("dns", lambda ran, _: [warn(SCOPE, "dns", "slow", "look")])
    run, ran = chain([step, needing(passes("tcp"), "dns")])
    assert by_id(run.run())["tcp"].status is Status.OK
    assert ran == ["tcp"]


def test_a_step_gets_its_budget_and_fails_when_none_is_left() -> None:
    budgets: list[float] = []

    def dns(ran: Ctx, budget: float) -> Sequence[CheckResult]:
        budgets.append(budget)
        return [ok(SCOPE, "dns", "fine")]

    late = Step("health", dns, timeout=4.0, reports=("clock", "credentials"))
    run, _ = chain(
        [Step("dns", dns, timeout=3.0), late, needing(passes("after"), "credentials")],
        budget=lambda limit: limit / 2 if limit < 4 else None,
        out_of_time=lambda scope, check_id: fail(scope, check_id, "no time", "be quicker"),
    )
    results = run.run()
    assert budgets == [1.5]
    assert [(r.id, r.status) for r in results] == [
        ("dns", Status.OK),
        ("clock", Status.FAIL),
        ("credentials", Status.SKIPPED),
        ("after", Status.SKIPPED),
    ]
    assert results[1].detail == "no time"
    assert results[3].data == {"needs": "clock"}


def test_a_crashing_step_fails_without_its_message_and_the_rest_goes_on() -> None:
    def crash(ran: Ctx, budget: float) -> Sequence[CheckResult]:
        raise RuntimeError("secret-looking text")

    run, _ = chain([Step("health", crash, reports=("clock", "credentials")), passes("proxy")])
    results = run.run()
    assert [(r.id, r.status) for r in results] == [
        ("clock", Status.FAIL),
        ("credentials", Status.SKIPPED),
        ("proxy", Status.OK),
    ]
    assert results[0].detail == "internal error (RuntimeError) while checking"
    assert "secret-looking" not in str([r.to_dict() for r in results])


def test_abandon_fails_the_step_in_progress_and_drops_what_comes_after() -> None:
    entered, release = threading.Event(), threading.Event()

    def hangs(ran: Ctx, budget: float) -> Sequence[CheckResult]:
        entered.set()
        release.wait(30)
        return [ok(SCOPE, "tcp", "late")]

    not_applicable: Step[Ctx] = Step("enabled", lambda ran, _: [])
    run, _ = chain(
        [not_applicable, passes("dns"), Step("tcp", hangs, needs=("dns",)), passes("tls")]
    )
    worker = threading.Thread(target=run.run, daemon=True)
    worker.start()
    assert entered.wait(30)
    results = run.abandon("did not finish", "look at the network")
    release.set()
    worker.join(30)
    assert [(r.id, r.status) for r in results] == [
        ("dns", Status.OK),
        ("tcp", Status.FAIL),
        ("tls", Status.SKIPPED),
    ]
    assert results[1].detail == "did not finish"
    assert run.snapshot() == results  # the late "tcp" result and "tls" never land
