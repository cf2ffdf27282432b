"""Doctor's clock check: this machine's clock against Duo's, in which direction, and whether
NTP keeps it.

The two directions break different things. Behind Duo: Duo's id_token looks issued in the
future, and the Python SDK allows 60 s (``LEEWAY = 60``). Ahead of Duo: a client assertion's
``nbf`` looks in the future to Duo, which allows no leeway on it (C# SDK issue 13: refused at
1-2 s), and an ``exp`` more than an hour ahead is refused (Java SDK issue 65). duoctl's own
SDK sends no ``nbf``, but the platform's may, so 1 s ahead already warns.
"""

from __future__ import annotations

from duoctl.doctor.model import CheckResult, fail, fix_first, ok, skipped, warn
from duoctl.doctor.ntp import describe
from duoctl.duoclient import Skew

CLOCK_FAIL_SECONDS = 60.0  # the SDK's leeway on id_token iat/exp: beyond it logins break
CLOCK_WARN_SECONDS = 10.0  # behind Duo
AHEAD_WARN_SECONDS = 1.0  # ahead of Duo: no nbf leeway at Duo
_FIX = "synchronise this machine's clock with NTP (e.g. timedatectl set-ntp true)"
_FIX_UNKNOWN_NTP = (
    "synchronise this machine's clock with NTP (timedatectl set-ntp true; without systemd, "
    "check chronyd or ntpd)"
)


def skipped_clock(scope: str, reason: str) -> CheckResult:
    return skipped(scope, "clock", reason, fix_first("credentials"))


def clock_result(scope: str, measured: Skew | None, ntp: bool | None) -> CheckResult:
    sync = f"NTP synchronised: {describe(ntp)}"
    if measured is None:
        return warn(
            scope,
            "clock",
            f"Duo's health check carried no timestamp: skew unknown; {sync}",
            "re-run later; if it persists, check that the endpoint really is Duo",
            ntp_synchronised=ntp,
        )
    skew = measured.seconds
    # Ahead means Duo's clock is behind ours: a negative skew.
    direction = "behind" if skew > 0 else "ahead of"
    amount = abs(skew)
    detail = f"this machine's clock is {amount:.0f} s {direction} Duo's"
    fix = _FIX_UNKNOWN_NTP if ntp is None else _FIX
    data = {
        "skew_seconds": round(skew, 1),
        "uncertainty_seconds": round(measured.uncertainty, 1),
        "direction": "behind" if skew > 0 else "ahead",
        "ntp_synchronised": ntp,
    }
    if amount > CLOCK_FAIL_SECONDS:
        return fail(
            scope,
            "clock",
            f"{detail}: beyond the {CLOCK_FAIL_SECONDS:.0f} s the Duo client tolerates; {sync}",
            fix,
            **data,
        )
    # Warn only on what the measurement proves, not on its rounding.
    certain = amount - measured.uncertainty
    if skew < 0 and certain > AHEAD_WARN_SECONDS:
        return warn(
            scope,
            "clock",
            f"{detail} (at least {certain:.1f} s): Duo allows no leeway on a future nbf, so "
            f"clients that send one fail from 1 s ahead; {sync}",
            fix,
            **data,
        )
    if skew > 0 and amount > CLOCK_WARN_SECONDS:
        return warn(
            scope,
            "clock",
            f"{detail} (logins break beyond {CLOCK_FAIL_SECONDS:.0f} s); {sync}",
            fix,
            **data,
        )
    if amount < 0.5:
        return ok(scope, "clock", f"in step with Duo's (within 1 s); {sync}", **data)
    # The direction even when harmless: a clock drifting one way is worth seeing early.
    return ok(scope, "clock", f"{detail}, within what logins tolerate; {sync}", **data)
