"""What a doctor run produces: one :class:`CheckResult` per check, gathered in a report.

Check identity is a ``(scope, id)`` pair rather than one dotted string, because provider
names may themselves contain dots (``eu.prod``): ``"provider.eu.prod.dns"`` would be
ambiguous, ``{"scope": "provider:eu.prod", "id": "dns"}`` is not.

Scopes and ids (stable: scripts may match on them):

``global``
    ``config.found``, ``config.permissions``, ``config.parse``, ``config.schema``,
    ``config.valid``, ``secrets.backend``, ``secrets.files``, ``secrets.orphans``,
    ``mfa.enabled``,
    ``mfa.providers``, ``mfa.failmode``
``provider:NAME``
    ``enabled`` (only for a disabled provider named on the command line), ``endpoint``,
    ``secret``, ``proxy``, ``dns``, ``tcp``, ``tls``, ``clock``, ``credentials``

Statuses are ``ok``, ``warn``, ``fail`` and ``skipped``; a skipped check's detail names the
earlier check it depends on, so one root cause shows up as one failure.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GLOBAL_SCOPE = "global"
PROVIDER_SCOPE_PREFIX = "provider:"

# Every per-provider check, in the order they run and are shown.
PROVIDER_CHECK_IDS = (
    "enabled",
    "endpoint",
    "secret",
    "proxy",
    "dns",
    "tcp",
    "tls",
    "clock",
    "credentials",
)

TITLES: dict[str, str] = {
    "config.found": "Config file",
    "config.permissions": "Config permissions",
    "config.parse": "Config syntax",
    "config.schema": "Config schema version",
    "config.valid": "Config values",
    "secrets.backend": "Secret store",
    "secrets.files": "Secret store files",
    "secrets.orphans": "Orphaned secrets",
    "mfa.enabled": "External MFA parameter",
    "mfa.providers": "Enabled providers",
    "mfa.failmode": "Failmode",
    "platform.url": "Platform URL parameter",
    "platform.dns": "Platform DNS",
    "platform.tcp": "Platform port",
    "platform.tls": "Platform certificate",
    "platform.redirect": "Platform redirect URI",
    "enabled": "Provider switch",
    "endpoint": "Endpoint name",
    "secret": "Client Secret",
    "proxy": "Proxy variables",
    "dns": "DNS",
    "tcp": "TCP connect",
    "tls": "TLS certificate",
    "clock": "Clock skew",
    "credentials": "Credentials",
}


class Status(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIPPED = "skipped"


def provider_scope(name: str) -> str:
    return PROVIDER_SCOPE_PREFIX + name


@dataclass(frozen=True)
class CheckResult:
    scope: str
    id: str
    status: Status
    detail: str
    fix: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return TITLES.get(self.id, self.id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "detail": self.detail,
            "fix": self.fix,
            "data": dict(self.data),
        }


def ok(scope: str, check_id: str, detail: str, **data: Any) -> CheckResult:
    return CheckResult(scope, check_id, Status.OK, detail, None, data)


def warn(scope: str, check_id: str, detail: str, fix: str, **data: Any) -> CheckResult:
    return CheckResult(scope, check_id, Status.WARN, detail, fix, data)


def fail(scope: str, check_id: str, detail: str, fix: str | None, **data: Any) -> CheckResult:
    return CheckResult(scope, check_id, Status.FAIL, detail, fix, data)


def skipped(scope: str, check_id: str, reason: str, fix: str | None = None) -> CheckResult:
    return CheckResult(scope, check_id, Status.SKIPPED, reason, fix)


def fix_first(check_id: str) -> str:
    """The fix of a check that waits on ``check_id``, naming it as the table shows it.

    People read titles ("Config file"); the id stays in the JSON, in the skipped result's
    ``data.needs`` where :func:`skipped_after` sets it.
    """
    return f"fix '{TITLES.get(check_id, check_id)}' first"


def skipped_after(scope: str, check_id: str, needs: CheckResult) -> CheckResult:
    """``check_id`` skipped because ``needs`` (same scope) failed or was skipped itself."""
    verb = "was skipped" if needs.status is Status.SKIPPED else "failed"
    return CheckResult(
        scope,
        check_id,
        Status.SKIPPED,
        f"skipped: '{needs.title}' {verb}",
        fix_first(needs.id),
        {"needs": needs.id},
    )


@dataclass(frozen=True)
class DoctorReport:
    config_path: Path
    results: tuple[CheckResult, ...]
    providers: tuple[str, ...]  # the providers checked, in order
    elapsed: float

    def for_scope(self, scope: str) -> list[CheckResult]:
        return [r for r in self.results if r.scope == scope]

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for result in self.results:
            counts[result.status.value] += 1
        return counts

    def problems(self, *, strict: bool = False) -> list[CheckResult]:
        """The results that make the run fail: failures, and warnings too when strict."""
        bad = {Status.FAIL, Status.WARN} if strict else {Status.FAIL}
        return [r for r in self.results if r.status in bad]

    def passed(self, *, strict: bool = False) -> bool:
        return not self.problems(strict=strict)

    def to_dict(self, *, strict: bool = False) -> dict[str, Any]:
        return {
            "config": str(self.config_path),
            "strict": strict,
            "passed": self.passed(strict=strict),
            "summary": self.counts(),
            "providers": list(self.providers),
            "checks": [r.to_dict() for r in self.results],
        }
