"""The outcome of a test login, summarised from the id_token's decoded claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from duoctl.errors import DuoDenied


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


@dataclass(frozen=True)
class LoginResult:
    provider: str
    endpoint: str
    username: str
    allowed: bool
    status: str | None
    status_msg: str | None
    factor: str | None
    reason: str | None
    auth_device: str | None
    access_ip: str | None
    access_os: str | None
    access_browser: str | None
    txid: str | None
    auth_time: str | None
    round_trip_seconds: float
    claims: dict[str, Any] = field(repr=False, default_factory=dict)

    headers = None  # text is "label: value" lines
    empty = ""
    notes: ClassVar[tuple[str, ...]] = ()
    warnings: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_claims(
        cls,
        claims: dict[str, Any],
        *,
        provider: str,
        endpoint: str,
        username: str,
        round_trip: float,
    ) -> LoginResult:
        status = _text(_get(claims, "auth_result", "status"))
        os_name = " ".join(
            filter(
                None,
                (
                    _text(_get(claims, "auth_context", "access_device", k))
                    for k in ("os", "os_version")
                ),
            )
        )
        browser = " ".join(
            filter(
                None,
                (
                    _text(_get(claims, "auth_context", "access_device", k))
                    for k in ("browser", "browser_version")
                ),
            )
        )
        auth_time = _get(claims, "auth_time")
        iso = (
            datetime.fromtimestamp(float(auth_time), tz=UTC).isoformat(timespec="seconds")
            if isinstance(auth_time, int | float)
            else None
        )
        return cls(
            provider=provider,
            endpoint=endpoint,
            username=str(claims.get("preferred_username", username)),
            allowed=status == "allow",
            status=status,
            status_msg=_text(_get(claims, "auth_result", "status_msg")),
            factor=_text(_get(claims, "auth_context", "factor")),
            reason=_text(_get(claims, "auth_context", "reason")),
            auth_device=_text(_get(claims, "auth_context", "auth_device", "name")),
            access_ip=_text(_get(claims, "auth_context", "access_device", "ip")),
            access_os=os_name or None,
            access_browser=browser or None,
            txid=_text(_get(claims, "auth_context", "txid")),
            auth_time=iso,
            round_trip_seconds=round_trip,
            claims=claims,
        )

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("Result", "ALLOWED" if self.allowed else "DENIED"),
            ("Status", self.status_msg or self.status or "-"),
            ("Provider", f"{self.provider} ({self.endpoint})"),
            ("User", self.username),
            ("Factor", self.factor or "-"),
            ("Reason", self.reason or "-"),
            ("Auth device", self.auth_device or "-"),
            (
                "Access device",
                " / ".join(filter(None, (self.access_ip, self.access_os, self.access_browser)))
                or "-",
            ),
            ("Transaction", self.txid or "-"),
            ("Auth time", self.auth_time or "-"),
            ("Round trip", f"{self.round_trip_seconds:.2f} s"),
        ]

    def denial(self) -> DuoDenied | None:
        """Exit 6 for a login Duo denied, carrying this result (the decoded claims) as the
        error's data; None for an allowed one."""
        if self.allowed:
            return None
        from duoctl.output import safe_text  # Duo's status message, quoted in duoctl's line

        said = f": {safe_text(self.status_msg)}" if self.status_msg else ""
        return DuoDenied(
            f"Duo denied the login for {self.username!r}{said}",
            hint="see the Duo Admin Panel's authentication log for this user",
            data=self.to_dict(),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "endpoint": self.endpoint,
            "username": self.username,
            "allowed": self.allowed,
            "round_trip_seconds": round(self.round_trip_seconds, 3),
            # Decoded claims only: the raw id_token and the authorization code never leave.
            "claims": self.claims,
        }
