"""Runs every check in dependency order, providers concurrently, under one overall deadline.

Order: the config checks (which decide what else can run), the secret store, the MFA parameter,
then one daemon thread per provider: endpoint, secret, proxy, dns -> tcp -> tls ->
(clock, credentials). A check whose prerequisite did not pass is reported as skipped with
the reason, so one root cause shows up as one failure, not a cascade.

Bounding: every step gets ``min(its own timeout, time left before the overall deadline)``
and runs under a deadline of its own, so no thread can hold the run past the deadline; a
step that finds no time left fails with that reason (and its dependants are skipped).
Threads are daemons: one abandoned on a hung call dies with the process.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from duoctl.config.model import Config, Provider
from duoctl.doctor.checks_local import check_config, check_mfa
from duoctl.doctor.checks_network import (
    CERT_WARN_DAYS,
    Resolver,
    check_dns,
    check_endpoint,
    check_health,
    check_proxy,
    check_tcp,
    check_tls,
    system_resolver,
)
from duoctl.doctor.checks_secrets import (
    check_backend,
    check_orphans,
    check_secret,
    check_store_files,
)
from duoctl.doctor.model import (
    GLOBAL_SCOPE,
    PROVIDER_CHECK_IDS,
    PROVIDER_SCOPE_PREFIX,
    CheckResult,
    DoctorReport,
    Status,
    fail,
    provider_scope,
    skipped_after,
    warn,
)
from duoctl.doctor.ntp import NtpStatus, ntp_synchronised
from duoctl.duoclient import DuoClientFactory, official_client
from duoctl.endpoint import split_endpoint
from duoctl.errors import ValidationError
from duoctl.secrets import BackendInfo, SecretStore

# Called with (scope, check id, None) when a step starts and (scope, check id, result) when
# it ends; from worker threads, so a display must be thread-safe.
ProgressCallback = Callable[[str, str, CheckResult | None], None]

_PASSED = (Status.OK, Status.WARN)
# Time for a worker to hand back its last result after the deadline before it is written off.
_GRACE = 0.5
_MIN_STEP = 0.05  # less time than this left: do not start a network step at all


@dataclass(frozen=True)
class Timeouts:
    """Seconds. The defaults keep a run under 10 s even when every host black-holes."""

    dns: float = 3.0
    connect: float = 3.0
    tls: float = 3.0
    health: float = 4.0
    keyring: float = 3.0
    overall: float = 9.0


@dataclass(frozen=True)
class DoctorDeps:
    """Everything with a side effect, handed in so that tests can replace it."""

    secrets: SecretStore
    resolver: Resolver = system_resolver
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    client_factory: DuoClientFactory = official_client
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    timeouts: Timeouts = Timeouts()
    cert_warn_days: float = CERT_WARN_DAYS
    ntp_status: NtpStatus = ntp_synchronised


def _noop(scope: str, check_id: str, result: CheckResult | None) -> None:
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


def _out_of_time(scope: str, check_id: str, seconds: float) -> CheckResult:
    return fail(
        scope,
        check_id,
        f"not run: the overall {seconds:g} s deadline ran out before this step",
        "the path to Duo is very slow: check DNS and network latency, then run doctor "
        "again (or for fewer providers at once)",
    )


class _ProviderRun:
    """One provider's steps, in order, in one thread. Results go to ``results`` as they come."""

    def __init__(
        self,
        provider: Provider,
        secret_result: CheckResult,
        secret: str | None,
        deps: DoctorDeps,
        deadline: _Deadline,
        on_progress: ProgressCallback,
    ) -> None:
        self.provider = provider
        self.scope = provider_scope(provider.name)
        self._secret_result = secret_result
        self._secret = secret
        self._deps = deps
        self._deadline = deadline
        self._on_progress = on_progress
        self._lock = threading.Lock()
        self.results: list[CheckResult] = []
        self.crashed: str | None = None

    def snapshot(self) -> list[CheckResult]:
        with self._lock:
            return list(self.results)

    def _emit(self, result: CheckResult) -> CheckResult:
        with self._lock:
            self.results.append(result)
        self._on_progress(self.scope, result.id, result)
        return result

    def _start(self, check_id: str) -> None:
        self._on_progress(self.scope, check_id, None)

    def _skip(self, check_id: str, needs: CheckResult) -> CheckResult:
        return self._emit(skipped_after(self.scope, check_id, needs))

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:
            # A bug must not take the other providers down, nor leak an exception message
            # that might carry a secret: only the type is kept.
            self.crashed = type(exc).__name__

    def _run(self) -> None:
        p, scope, deps, timeouts = self.provider, self.scope, self._deps, self._deps.timeouts
        if not p.enabled:
            # Only reached for a provider named on the command line: say why logins skip it.
            self._emit(
                warn(
                    scope,
                    "enabled",
                    f"provider {p.name!r} is disabled: logins do not use it",
                    f"duoctl provider enable {p.name}",
                )
            )
        self._emit(check_endpoint(scope, p))
        secret_result = self._emit(self._secret_result)
        self._emit(check_proxy(scope, p, deps.environ))
        try:
            host, port = split_endpoint(p.endpoint)
        except ValidationError as exc:  # the config was validated; belt and braces
            bad = self._emit(fail(scope, "dns", exc.message, "fix the endpoint in the config"))
            for check_id in ("tcp", "tls", "clock", "credentials"):
                self._skip(check_id, bad)
            return

        self._start("dns")
        budget = self._deadline.budget(timeouts.dns)
        if budget is None:
            dns = self._emit(_out_of_time(scope, "dns", self._deadline.seconds))
            addresses: list[str] = []
        else:
            result, addresses = check_dns(scope, host, port, deps.resolver, budget)
            dns = self._emit(result)
        if dns.status not in _PASSED:
            for check_id in ("tcp", "tls", "clock", "credentials"):
                self._skip(check_id, dns)
            return

        self._start("tcp")
        budget = self._deadline.budget(timeouts.connect)
        address: str | None = None
        if budget is None:
            tcp = self._emit(_out_of_time(scope, "tcp", self._deadline.seconds))
        else:
            result, address = check_tcp(scope, port, addresses, budget)
            tcp = self._emit(result)
        if tcp.status not in _PASSED or address is None:
            for check_id in ("tls", "clock", "credentials"):
                self._skip(check_id, tcp)
            return

        self._start("tls")
        budget = self._deadline.budget(timeouts.tls)
        if budget is None:
            tls = self._emit(_out_of_time(scope, "tls", self._deadline.seconds))
        else:
            tls = self._emit(
                check_tls(
                    scope,
                    host=host,
                    port=port,
                    address=address,
                    ca_bundle=p.ca_bundle,
                    provider_name=p.name,
                    timeout=budget,
                    now=deps.clock(),
                    warn_days=deps.cert_warn_days,
                )
            )
        blocker = next((r for r in (tls, secret_result) if r.status not in _PASSED), None)
        if blocker is not None or self._secret is None:
            for check_id in ("clock", "credentials"):
                self._skip(check_id, blocker or secret_result)
            return

        self._start("credentials")
        budget = self._deadline.budget(timeouts.health)
        if budget is None:
            creds = _out_of_time(scope, "credentials", self._deadline.seconds)
            self._skip("clock", creds)
            self._emit(creds)
            return
        clock, creds = check_health(
            scope,
            p,
            self._secret,
            client_factory=deps.client_factory,
            timeout=budget,
            clock=deps.clock,
            ntp_status=deps.ntp_status,
        )
        self._emit(clock)
        self._emit(creds)


def _read_secrets(
    deps: DoctorDeps,
    providers: list[Provider],
    info: BackendInfo | None,
    budget: Callable[[], float],
) -> tuple[dict[str, tuple[CheckResult, str | None]], CheckResult | None]:
    """Each provider's secret, until the store itself refuses (locked, hung, broken).

    That refusal is returned instead of being reported against the provider: it is the
    store's failure, and every secret not read yet depends on it. Asking again would only
    add waits (a hung keyring) or unlock prompts (a locked one).
    """
    secrets: dict[str, tuple[CheckResult, str | None]] = {}
    for provider in providers:
        result, secret = check_secret(deps.secrets, provider, info, budget())
        if result.data.get("store_failed"):
            return secrets, result
        secrets[provider.name] = (result, secret)
    return secrets, None


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
    progress = on_progress or _noop
    started = deps.monotonic()
    deadline = _Deadline(deps.monotonic, deps.timeouts.overall)
    results: list[CheckResult] = []

    def emit(result: CheckResult) -> CheckResult:
        results.append(result)
        progress(result.scope, result.id, result)
        return result

    configured = check_config(config_path)
    for result in configured.results:
        emit(result)
    config = configured.config
    providers = _select(config, names) if config is not None else []

    def keyring_budget() -> float:
        # A keyring step always gets a little time: it is local and its failure is clearer
        # than an "out of time" when the network steps have not even started.
        return max(deadline.budget(deps.timeouts.keyring) or 0.0, 0.5)

    progress(GLOBAL_SCOPE, "secrets.backend", None)
    backend_result, backend_info = check_backend(deps.secrets, keyring_budget())
    progress(GLOBAL_SCOPE, "secrets.files", None)
    files_result = check_store_files(deps.secrets, backend_info, keyring_budget())
    secrets, store_failure = _read_secrets(deps, providers, backend_info, keyring_budget)
    if store_failure is not None and files_result.status is not Status.FAIL:
        backend_result = _store_refused(backend_result, store_failure)
    root_cause = files_result if files_result.status is Status.FAIL else backend_result
    for provider in providers:
        if provider.name not in secrets:
            scope = provider_scope(provider.name)
            secrets[provider.name] = (skipped_after(scope, "secret", root_cause), None)
    emit(backend_result)
    emit(files_result)
    if store_failure is None:
        emit(check_orphans(deps.secrets, config_path, config, backend_info, keyring_budget()))
    else:
        emit(skipped_after(GLOBAL_SCOPE, "secrets.orphans", root_cause))
    for result in check_mfa(config, disabled_expected=mfa_disabled_expected):
        emit(result)

    runs = [
        _ProviderRun(
            provider,
            *secrets[provider.name],
            deps=deps,
            deadline=deadline,
            on_progress=progress,
        )
        for provider in providers
    ]
    threads = [
        threading.Thread(target=run.run, name=f"doctor-{run.provider.name}", daemon=True)
        for run in runs
    ]
    for thread in threads:
        thread.start()
    for result in _platform_checks(config, deps, deadline):
        emit(result)
    grace_until: float | None = None
    for thread in threads:
        left = deadline.remaining()
        if left > 0:
            thread.join(left)
        if thread.is_alive():
            # One short real-time grace shared by all threads, so N stragglers cost it once.
            if grace_until is None:
                grace_until = time.monotonic() + _GRACE
            thread.join(max(grace_until - time.monotonic(), 0.0))
    for run, thread in zip(runs, threads, strict=True):
        got = run.snapshot()
        if thread.is_alive():
            got = _fill_missing(
                run.scope,
                got,
                f"did not finish within the overall {deadline.seconds:g} s deadline",
                "the path to Duo is very slow or hangs: check DNS and network latency",
            )
        elif run.crashed is not None:
            got = _fill_missing(
                run.scope,
                got,
                f"internal error ({run.crashed}) while checking",
                "this is a duoctl bug: re-run with DUOCTL_DEBUG=1 and report it",
            )
        results.extend(got)
    return DoctorReport(
        config_path=config_path,
        results=tuple(results),
        providers=tuple(p.name for p in providers),
        elapsed=deps.monotonic() - started,
    )


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


def _fill_missing(scope: str, got: list[CheckResult], detail: str, fix: str) -> list[CheckResult]:
    """A provider run that did not complete: the first check it did not report fails with
    ``detail`` (that is where it stopped), the ones after it are skipped."""
    produced = {r.id for r in got}
    missing = [i for i in PROVIDER_CHECK_IDS if i not in produced and i != "enabled"]
    if not missing:
        return list(got)
    first = fail(scope, missing[0], detail, fix)
    return [
        *got,
        first,
        *(skipped_after(scope, i, first) for i in missing[1:]),
    ]
