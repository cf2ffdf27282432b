"""Deadlines for secret-store calls, shared by every backend.

A store that hangs (a keyring collection stuck on an unlock prompt, a frozen D-Bus daemon,
a dead network filesystem) must become a clear error within seconds, not a hung command.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TypeVar

from duoctl.deadline import call_with_deadline
from duoctl.errors import SecretStoreError

TIMEOUT_ENV = "DUOCTL_SECRET_TIMEOUT"
LEGACY_TIMEOUT_ENV = "DUOCTL_KEYRING_TIMEOUT"  # its older name, still honoured
# Under 5 s in all: a healthy store answers in milliseconds, and a person at 3 a.m. should
# learn that a store hangs long before they wonder whether duoctl does.
DEFAULT_TIMEOUT = 3.0

_T = TypeVar("_T")


def timeout_from_env(environ: Mapping[str, str] | None = None) -> float:
    env = os.environ if environ is None else environ
    name = TIMEOUT_ENV if env.get(TIMEOUT_ENV) else LEGACY_TIMEOUT_ENV
    raw = env.get(name)
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    # `not 0 < value <= 600` is also true for NaN, which would otherwise disable the bound.
    if not 0 < value <= 600:
        raise SecretStoreError(
            f"{name}={raw!r} is not a number of seconds between 0 and 600",
            hint=f"unset {name} to use the default of {DEFAULT_TIMEOUT:g} s",
        )
    return value


def bounded(
    call: Callable[[], _T],
    timeout: float,
    *,
    store: str,
    what: str,
    writes: bool = False,
    hint: str,
) -> _T:
    """Run ``call`` with a deadline; a timeout becomes SecretStoreError naming the store."""

    def timed_out() -> SecretStoreError:
        # An abandoned call cannot be cancelled: a write may still land after we give up.
        unknown = (
            "; the store may still complete that change later: check with "
            "'duoctl provider show NAME' or 'duoctl doctor'"
            if writes
            else ""
        )
        return SecretStoreError(
            f"{store} did not answer within {timeout:g} s while trying to {what}",
            hint=f"{hint}; set {TIMEOUT_ENV} to wait longer" + unknown,
        )

    return call_with_deadline(call, timeout, timed_out, name=f"secrets-{what}")
