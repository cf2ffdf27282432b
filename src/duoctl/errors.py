"""Domain errors and the one table of exit codes.

Every anticipated failure is raised as a :class:`DuoctlError` subclass carrying its exit code
and a fix hint. Only the CLI edge (``duoctl.cli.app``) turns them into a message and a status,
so the table below is the single source of truth (the README mirrors it).
"""

from __future__ import annotations

import enum
from typing import Any


class ExitCode(enum.IntEnum):
    OK = 0
    INTERNAL = 1  # a bug: an unanticipated exception
    USAGE = 2  # bad flags or arguments (click's own code)
    INVALID_INPUT = 3  # a value failed validation (name, client ID, secret, endpoint...)
    CONFIG = 4  # config file missing, corrupt, locked or unwritable; unknown provider
    SECRET_STORE = 5  # keyring unusable, locked, timed out, or the secret is missing
    DUO_DENIED = 6  # Duo answered: the login was denied
    DUO_UNREACHABLE = 7  # DNS, TCP, TLS or HTTP failure talking to Duo
    DUO_CREDENTIALS = 8  # Duo rejected the Client ID / Client Secret
    TIMEOUT = 9  # a bounded wait ran out (user never answered, server never replied)
    CHECKS_FAILED = 10  # doctor found at least one failing check
    DUO_PROTOCOL = 11  # Duo's answer was malformed or did not match (state, nonce, username)
    CANCELLED = 12  # a confirmation prompt was answered "no"
    LOCKOUT = 13  # refused: external MFA would be on with no enabled provider (--force)
    PERMISSION = 14  # the Admin API credential lacks a permission the command needs
    INTERRUPTED = 130  # Ctrl+C


class DuoctlError(Exception):
    """Base of every anticipated failure. ``str(err)`` is the one-line message."""

    exit_code: ExitCode = ExitCode.INTERNAL
    kind: str = "error"

    def __init__(
        self, message: str, *, hint: str | None = None, data: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # A result that still belongs in --json output (a denied login's claims, doctor's
        # report): the CLI edge puts it beside the error in the one envelope it prints.
        self.data = data


class UsageError(DuoctlError):
    """Bad flags or arguments, as click reports them (used for the --json envelope)."""

    exit_code = ExitCode.USAGE
    kind = "usage"


class ValidationError(DuoctlError):
    exit_code = ExitCode.INVALID_INPUT
    kind = "invalid_input"


class ConfigError(DuoctlError):
    exit_code = ExitCode.CONFIG
    kind = "config"


class ProviderNotFound(ConfigError):
    kind = "provider_not_found"


class SecretStoreError(DuoctlError):
    exit_code = ExitCode.SECRET_STORE
    kind = "secret_store"


class CredentialUnreadable(SecretStoreError):
    """A stored secret exists but cannot be read back (damaged file, wrong key).

    Replacing or removing it must stay possible: that is the fix.
    """

    kind = "secret_unreadable"


class DuoDenied(DuoctlError):
    exit_code = ExitCode.DUO_DENIED
    kind = "duo_denied"


class DuoUnreachable(DuoctlError):
    exit_code = ExitCode.DUO_UNREACHABLE
    kind = "duo_unreachable"


class DuoRateLimited(DuoUnreachable):
    """Duo answered 429: reachable, but refusing for now (``data`` has the Retry-After); the
    Admin API raises it once its bounded retries are spent."""

    kind = "duo_rate_limited"


class DuoCredentialsRejected(DuoctlError):
    exit_code = ExitCode.DUO_CREDENTIALS
    kind = "duo_credentials"


class DuoPermissionMissing(DuoctlError):
    """The Admin API credential works but lacks a permission (Duo's 403, code 40301)."""

    exit_code = ExitCode.PERMISSION
    kind = "duo_permission"


class DuoTimeout(DuoctlError):
    exit_code = ExitCode.TIMEOUT
    kind = "timeout"


class DuoProtocolError(DuoctlError):
    exit_code = ExitCode.DUO_PROTOCOL
    kind = "duo_protocol"


class DuoNotFound(DuoProtocolError):
    """The Admin API has no such object (its 404): an integration deleted meanwhile..."""

    kind = "duo_not_found"


class ChecksFailed(DuoctlError):
    exit_code = ExitCode.CHECKS_FAILED
    kind = "checks_failed"


class Cancelled(DuoctlError):
    exit_code = ExitCode.CANCELLED
    kind = "cancelled"


class LockoutRefused(DuoctlError):
    """A change that would leave external MFA on with no enabled provider: nobody could log in."""

    exit_code = ExitCode.LOCKOUT
    kind = "lockout"


class Interrupted(DuoctlError):
    exit_code = ExitCode.INTERRUPTED
    kind = "interrupted"
