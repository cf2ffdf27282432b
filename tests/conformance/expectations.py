"""What each scenario must produce, whichever SDK drove it: one table for every client.

An observation is a dict: ``health`` (the health check's stat), ``authorize_status``,
``callback`` (the redirect's query parameters, or None when the browser stays on Duo's page),
``token_status`` and ``preferred_username`` (after the code exchange), or ``error``.
"""

from __future__ import annotations

from typing import Any

from .conftest import Scenario

# Scenario name -> (what the redirect carries, auth_result.status after the exchange).
# "page": no redirect, the browser stays on Duo's page (an unanswered push; enrollment).
_EXPECTED: dict[str, tuple[str, str | None]] = {
    "approve": ("code", "allow"),
    "deny": ("code", "deny"),
    "fraud": ("access_denied", None),
    "lockout": ("access_denied", None),
    "timeout": ("page", None),
    "not enrolled": ("access_denied", None),
    "policy deny": ("access_denied", None),
    "unknown, enroll": ("page", None),
    "unknown, allow": ("code", "allow"),
    "unknown, deny": ("access_denied", None),
}


def check(scenario: Scenario, seen: dict[str, Any]) -> None:
    """Assert that ``seen`` is what ``scenario`` must produce."""
    where = f"{scenario.name} (run {seen.get('run', '?')}): {seen}"
    assert "error" not in seen, where
    assert seen["health"] == "OK", where
    redirect, status = _EXPECTED[scenario.name]
    callback = seen["callback"]
    if redirect == "page":
        assert seen["authorize_status"] == 200, where
        assert callback is None, where
        return
    assert seen["authorize_status"] == 302, where
    assert callback is not None, where
    if "state" in seen:
        assert callback["state"] == seen["state"], where
    if redirect == "access_denied":
        assert callback["error"] == "access_denied", where
        assert callback.get("error_description"), where
        assert "duo_code" not in callback, where
        return
    assert "error" not in callback, where
    assert seen["token_status"] == status, where
    assert seen["preferred_username"] == scenario.username, where
