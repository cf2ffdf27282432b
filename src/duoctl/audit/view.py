"""``duoctl audit`` and ``audit verify``: filtering the trail and checking its chain."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from duoctl.audit.log import audit_path, incomplete, read_trail
from duoctl.audit.record import config_digest
from duoctl.errors import ChecksFailed, ValidationError

_SINCE = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(value: str, now: datetime.datetime) -> datetime.datetime:
    """``30m``, ``12h``, ``1d``, ``2w``, or an RFC 3339 / ISO date-time (UTC if no zone)."""
    match = _SINCE.fullmatch(value.strip())
    if match:
        return now - datetime.timedelta(seconds=int(match[1]) * _UNITS[match[2]])
    try:
        when = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"--since {value!r} is neither a duration nor a date-time",
            hint="e.g. --since 1d, --since 12h, --since 2026-11-30T08:00:00Z",
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=datetime.UTC)


def _current_digest(config_path: Path) -> str | None:
    from duoctl.config.reader import read_text

    return config_digest(read_text(config_path))


@dataclass(frozen=True)
class AuditView:
    """`duoctl audit`'s result (duoctl.output.render): a line a record, its details below."""

    path: Path
    records: list[dict[str, Any]]  # each with "status": "ok" / "incomplete" / the error kind
    broken: tuple[int, str] | None

    headers = None
    notes: ClassVar[tuple[str, ...]] = ()

    @property
    def empty(self) -> str:
        return f"no audit records in {self.path}"

    @property
    def warnings(self) -> tuple[str, ...]:
        if self.broken is None:
            return ()
        line, why = self.broken
        return (
            f"the trail is broken at record {line}: {why}; later records are not shown "
            "(run 'duoctl audit verify')",
        )

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "records": self.records, "broken_at": self.broken}

    def rows(self) -> list[tuple[str]]:
        return [(text,) for record in self.records for text in (_line(record), *_details(record))]


def _line(record: dict[str, Any]) -> str:
    who = record.get("user", "?")
    if record.get("sudo_user"):
        who += f" (sudo from {record['sudo_user']})"
    parts = [
        f"#{record['seq']}",
        str(record.get("time")),
        who,
        f"{record.get('host')}[{record.get('pid')}]",
        str(record.get("command")),
        ", ".join(record.get("targets", [])) or "-",
        str(record["status"]),
    ]
    return "  ".join(parts)


def _details(record: dict[str, Any]) -> list[str]:
    lines = [
        f"    {c['field']}: {c['before']!r} -> {c['after']!r}" for c in record.get("changes", [])
    ]
    for event in record.get("secrets", []):
        mark = f" ({event['fingerprint']})" if "fingerprint" in event else ""
        lines.append(f"    secret of {event['provider']}: {event['action']}{mark}")
    for event in record.get("duo", []):
        lines.append(
            f"    Duo application {event['name']!r} ({event['integration_key']}): {event['action']}"
        )
    return lines


def show_trail(
    config_path: Path,
    *,
    since: datetime.datetime | None = None,
    provider: str | None = None,
) -> AuditView:
    trail = read_trail(config_path)
    unfinished = incomplete(trail.records, _current_digest(config_path))
    voided = {r["voids"]: r.get("result", "?") for r in trail.records if "voids" in r}
    shown: list[dict[str, Any]] = []
    for record in trail.records:
        if since is not None:
            when = datetime.datetime.fromisoformat(str(record["time"]).replace("Z", "+00:00"))
            if when < since:
                continue
        if provider is not None and f"provider {provider}" not in record.get("targets", []):
            continue
        if record["seq"] in voided:
            status = f"not done ({voided[record['seq']]})"
        elif record["seq"] in unfinished:
            status = "incomplete"
        else:
            status = record.get("result", "?")
        shown.append({**record, "status": status})
    return AuditView(audit_path(config_path), shown, trail.broken)


@dataclass(frozen=True)
class Verification:
    """`duoctl audit verify`'s result: the chain held (a broken one raises instead)."""

    path: Path
    records: int
    incomplete: list[int]
    torn_tail: bool

    headers = None
    empty = ""
    notes: ClassVar[tuple[str, ...]] = ()

    @property
    def warnings(self) -> tuple[str, ...]:
        said = []
        if self.incomplete:
            said.append(
                "record(s) "
                + ", ".join(map(str, self.incomplete))
                + " describe a change that is not what followed (interrupted before the "
                "config was written, or the config was edited by hand)"
            )
        if self.torn_tail:
            said.append("the last line is a record a killed writer never finished")
        return tuple(said)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "records": self.records,
            "intact": True,
            "incomplete": self.incomplete,
            "torn_tail": self.torn_tail,
        }

    def rows(self) -> list[tuple[str, str]]:
        return [("audit trail intact", f"{self.records} record(s) in {self.path}")]


def verify_trail(config_path: Path) -> Verification:
    """The chain from the first record to the last; ChecksFailed naming the first broken one."""
    trail = read_trail(config_path)
    path = audit_path(config_path)
    if trail.broken is not None:
        line, why = trail.broken
        raise ChecksFailed(
            f"the audit trail {path} is broken at record {line} (line {line}): {why}",
            hint=f"records 1-{line - 1} are intact; compare the file with a forwarded "
            "(syslog) copy or a backup",
            data={"path": str(path), "broken_at": line, "reason": why, "intact": line - 1},
        )
    unfinished = sorted(incomplete(trail.records, _current_digest(config_path)))
    return Verification(path, len(trail.records), unfinished, trail.torn_tail)
