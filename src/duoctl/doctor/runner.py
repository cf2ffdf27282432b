"""Runs every check in dependency order, providers concurrently, under one overall deadline.

Order: the config checks (which decide what else can run), the secret store (every
provider's secret read in one call), the MFA parameter, then one daemon thread per provider
running its chain (:mod:`duoctl.doctor.provider_chain`): endpoint, secret, proxy,
dns -> tcp -> tls -> (clock, credentials). A check whose prerequisite did not pass is
reported as skipped after the root cause, so one root cause shows up as one failure.

Bounding: every step gets ``min(its own timeout, time left before the overall deadline)``
and runs under a deadline of its own, so no thread can hold the run past the deadline; a
step that finds no time left fails with that reason (and its dependants are skipped); a
provider still running at the deadline is abandoned (:meth:`ChainRun.abandon`). Threads are
daemons: one abandoned on a hung call dies with the process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path

from duoctl.config.model import Config, Provider
from duoctl.doctor.chain import ChainRun, ProgressCallback
from duoctl.doctor.checks_local import check_config, check_mfa
from duoctl.doctor.checks_secrets import (
    check_backend,
    check_orphans,
    check_secrets,
    check_store_files,
)
from duoctl.doctor.deps import DoctorDeps, Timeouts
from duoctl.doctor.model import (
    GLOBAL_SCOPE,
    PROVIDER_SCOPE_PREFIX,
    CheckResult,
    DoctorReport,
    Status,
    fail,
    provider_scope,
    skipped_after,
)
from duoctl.doctor.ntp import asked_once
from duoctl.doctor.provider_chain import ProviderContext, provider_steps

__all__ = ["DoctorDeps", "Timeouts", "run_doctor"]  # the deps are imported from here too

# Time for a worker to hand back its last result after the deadline before it is written off.
_GRACE = 0.5
_MIN_STEP = 0.05  # less time than this left: do not start a network step at all


def _no_progress(scope: str, check_id: str, result: CheckResult | None) -> None:
    return None


class _Deadline:
    def __init__(self, monotonic: Callable[[], float], seconds: float) -> None:
        self._monotonic = monotonic
        self.seconds = seconds
        self.at = monotonic() + seconds

    def remaining(self) -> float:
        return self.at - self._monotonic()

    def budget(self, step: float) -> float | None:
        """Time for a step, or None when too little is left to start it."""
        left = self.remaining()
        return None if left < _MIN_STEP else min(step, left)


def _out_of_time(seconds: float) -> Callable[[str, str], CheckResult]:
    def result(scope: str, check_id: str) -> CheckResult:
        return fail(
            scope,
            check_id,
            f"not run: the overall {seconds:g} s deadline ran out before this step",
            "the path to Duo is very slow: check DNS and network latency, then run doctor "
            "again (or for fewer providers at once)",
        )

    return result


def _provider_runs(
    providers: list[Provider],
    secrets: dict[str, tuple[CheckResult, str | None]],
    deps: DoctorDeps,
    deadline: _Deadline,
    progress: ProgressCallback,
) -> list[ChainRun[ProviderContext]]:
    steps = provider_steps(deps)
    return [
        ChainRun(
            steps,
            ProviderContext(provider, *secrets[provider.name], deps=deps),
            provider_scope(provider.name),
            skip=partial(skipped_after, provider_scope(provider.name)),
            budget=deadline.budget,
            out_of_time=_out_of_time(deadline.seconds),
            on_progress=progress,
        )
        for provider in providers
    ]


def _join(
    runs: list[ChainRun[ProviderContext]],
    threads: list[threading.Thread],
    deadline: _Deadline,
) -> list[CheckResult]:
    """Every run's results, in provider order; a run still going at the deadline (after
    one short grace shared by all, so N stragglers cost it once) is abandoned."""
    grace_until: float | None = None
    for thread in threads:
        left = deadline.remaining()
        if left > 0:
            thread.join(left)
        if thread.is_alive():
            if grace_until is None:
                grace_until = time.monotonic() + _GRACE
            thread.join(max(grace_until - time.monotonic(), 0.0))
    results: list[CheckResult] = []
    for run, thread in zip(runs, threads, strict=True):
        if thread.is_alive():
            results += run.abandon(
                f"did not finish within the overall {deadline.seconds:g} s deadline",
                "the path to Duo is very slow or hangs: check DNS and network latency",
            )
        else:
            results += run.snapshot()
    return results


def _store_refused(backend: CheckResult, refusal: CheckResult) -> CheckResult:
    """The "Secret store" row, failed with why the store refused to give a secret back."""
    owner = refusal.scope.removeprefix(PROVIDER_SCOPE_PREFIX)
    return fail(
        GLOBAL_SCOPE,
        "secrets.backend",
        f"{refusal.detail}, for provider {owner!r} (store: {backend.detail})",
        refusal.fix,
        **backend.data,
        **refusal.data,
    )


def _select(config: Config, names: Iterable[str]) -> list[Provider]:
    """Every enabled provider, or exactly the named ones (a disabled one too, if named)."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return config.enabled_providers()
    return [config.provider(name) for name in wanted]


def run_doctor(
    config_path: Path,
    deps: DoctorDeps,
    names: Iterable[str] = (),
    on_progress: ProgressCallback | None = None,
    *,
    mfa_disabled_expected: bool = False,
) -> DoctorReport:
    """Run every check; raise ``ProviderNotFound`` for a named provider the config lacks.

    ``mfa_disabled_expected``: external MFA is meant to be off here (see :func:`check_mfa`).
    """
    progress = on_progress or _no_progress
    deps = replace(deps, ntp_status=asked_once(deps.ntp_status))
    started = deps.monotonic()
    deadline = _Deadline(deps.monotonic, deps.timeouts.overall)
    results: list[CheckResult] = []

    def emit(result: CheckResult) -> None:
        results.append(result)
        progress(result.scope, result.id, result)

    configured = check_config(config_path)
    config = configured.config
    providers = _select(config, names) if config is not None else []
    for result in configured.results:
        emit(result)
    store_results, secrets = _store_checks(deps, config_path, config, providers, deadline, progress)
    for result in store_results:
        emit(result)
    for result in check_mfa(config, disabled_expected=mfa_disabled_expected):
        emit(result)

    runs = _provider_runs(providers, secrets, deps, deadline, progress)
    threads = [
        threading.Thread(target=run.run, name=f"doctor-{run.scope}", daemon=True) for run in runs
    ]
    for thread in threads:
        thread.start()
    for result in _platform_checks(config, deps, deadline):
        emit(result)
    results += _join(runs, threads, deadline)
    return DoctorReport(
        config_path=config_path,
        results=tuple(results),
        providers=tuple(p.name for p in providers),
        elapsed=deps.monotonic() - started,
    )


def _store_checks(
    deps: DoctorDeps,
    config_path: Path,
    config: Config | None,
    providers: list[Provider],
    deadline: _Deadline,
    progress: ProgressCallback,
) -> tuple[list[CheckResult], dict[str, tuple[CheckResult, str | None]]]:
    """The secret store's rows (backend, files, orphans) and each provider's secret check
    with the secret itself.

    A refusal of the store (locked, hung, broken) while reading a secret is reported on the
    store's row, and every secret not read yet is skipped after it.
    """

    def keyring_budget() -> float:
        # A keyring step always gets a little time: it is local and its failure is clearer
        # than an "out of time" when the network steps have not even started.
        return max(deadline.budget(deps.timeouts.keyring) or 0.0, 0.5)

    progress(GLOBAL_SCOPE, "secrets.backend", None)
    backend_result, backend_info = check_backend(deps.secrets, keyring_budget())
    progress(GLOBAL_SCOPE, "secrets.files", None)
    files_result = check_store_files(deps.secrets, backend_info, keyring_budget())
    secrets, store_failure = check_secrets(deps.secrets, providers, backend_info, keyring_budget())
    if store_failure is not None and files_result.status is not Status.FAIL:
        backend_result = _store_refused(backend_result, store_failure)
    root_cause = files_result if files_result.status is Status.FAIL else backend_result
    for provider in providers:
        if provider.name not in secrets:
            scope = provider_scope(provider.name)
            secrets[provider.name] = (skipped_after(scope, "secret", root_cause), None)
    if store_failure is None:
        orphans = check_orphans(deps.secrets, config_path, config, backend_info, keyring_budget())
    else:
        orphans = skipped_after(GLOBAL_SCOPE, "secrets.orphans", root_cause)
    return [backend_result, files_result, orphans], secrets


def _platform_checks(
    config: Config | None, deps: DoctorDeps, deadline: _Deadline
) -> list[CheckResult]:
    """The URL Application parameter's checks, in this thread while the providers run."""
    from duoctl.doctor.checks_platform import check_platform

    timeouts = deps.timeouts
    return check_platform(
        config,
        deps.resolver,
        dns_timeout=deadline.budget(timeouts.dns) or _MIN_STEP,
        connect_timeout=deadline.budget(timeouts.connect) or _MIN_STEP,
        tls_timeout=deadline.budget(timeouts.tls) or _MIN_STEP,
        now=deps.clock(),
        warn_days=deps.cert_warn_days,
    )
