"""One provider's checks as a chain: endpoint, secret, proxy, dns -> tcp -> tls ->
(clock, credentials). Each entry says what it needs and how long it may take; the loop in
:mod:`duoctl.doctor.chain` does the rest (budgets, skips, order)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from duoctl.config.model import Provider
from duoctl.doctor.chain import Step
from duoctl.doctor.checks_network import (
    check_dns,
    check_endpoint,
    check_health,
    check_proxy,
    check_tcp,
    check_tls,
)
from duoctl.doctor.deps import DoctorDeps
from duoctl.doctor.model import CheckResult, fail, provider_scope, warn
from duoctl.endpoint import split_endpoint
from duoctl.errors import ValidationError


@dataclass
class ProviderContext:
    """What the steps read (the provider, its secret, the dependencies) and hand on to the
    next step (the host's addresses, the one that answered)."""

    provider: Provider
    secret_result: CheckResult
    secret: str | None
    deps: DoctorDeps
    host: str = ""
    port: int = 0
    addresses: list[str] = field(default_factory=list)
    address: str | None = None

    @property
    def scope(self) -> str:
        return provider_scope(self.provider.name)


def _enabled(c: ProviderContext, _: float) -> Sequence[CheckResult]:
    if c.provider.enabled:
        return []
    # Only reached for a provider named on the command line: say why logins skip it.
    name = c.provider.name
    return [
        warn(
            c.scope,
            "enabled",
            f"provider {name!r} is disabled: logins do not use it",
            f"duoctl provider enable {name}",
        )
    ]


def _dns(c: ProviderContext, budget: float) -> Sequence[CheckResult]:
    try:
        c.host, c.port = split_endpoint(c.provider.endpoint)
    except ValidationError as exc:  # the config was validated; belt and braces
        return [fail(c.scope, "dns", exc.message, "fix the endpoint in the config")]
    result, c.addresses = check_dns(c.scope, c.host, c.port, c.deps.resolver, budget)
    return [result]


def _tcp(c: ProviderContext, budget: float) -> Sequence[CheckResult]:
    result, c.address = check_tcp(c.scope, c.port, c.addresses, budget)
    return [result]


def _tls(c: ProviderContext, budget: float) -> Sequence[CheckResult]:
    assert c.address is not None  # tcp passed
    return [
        check_tls(
            c.scope,
            host=c.host,
            port=c.port,
            address=c.address,
            ca_bundle=c.provider.ca_bundle,
            provider_name=c.provider.name,
            timeout=budget,
            now=c.deps.clock(),
            warn_days=c.deps.cert_warn_days,
        )
    ]


def _health(c: ProviderContext, budget: float) -> Sequence[CheckResult]:
    assert c.secret is not None  # the secret check passed
    return check_health(
        c.scope,
        c.provider,
        c.secret,
        client_factory=c.deps.client_factory,
        timeout=budget,
        clock=c.deps.clock,
        ntp_status=c.deps.ntp_status,
    )


def provider_steps(deps: DoctorDeps) -> tuple[Step[ProviderContext], ...]:
    t = deps.timeouts
    return (
        Step("enabled", _enabled),
        Step("endpoint", lambda c, _: [check_endpoint(c.scope, c.provider)]),
        Step("secret", lambda c, _: [c.secret_result]),
        Step("proxy", lambda c, _: [check_proxy(c.scope, c.provider, c.deps.environ)]),
        Step("dns", _dns, timeout=t.dns),
        Step("tcp", _tcp, needs=("dns",), timeout=t.connect),
        Step("tls", _tls, needs=("tcp",), timeout=t.tls),
        Step(
            "credentials",
            _health,
            needs=("tls", "secret"),
            timeout=t.health,
            reports=("clock", "credentials"),
        ),
    )
