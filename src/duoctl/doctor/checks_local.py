"""Checks that never leave the machine: the config file and the MFA parameter.

The secret store has its own module, :mod:`duoctl.doctor.checks_secrets`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duoctl.config.model import SCHEMA_VERSION, Config, config_from_data
from duoctl.config.reader import decode_text, parse_text, read_bytes
from duoctl.doctor.chain import ChainRun, Step
from duoctl.doctor.model import (
    GLOBAL_SCOPE,
    CheckResult,
    fail,
    fix_first,
    ok,
    skipped,
    warn,
)
from duoctl.errors import ConfigError
from duoctl.mfa import (
    FAILMODE_CONSEQUENCE,
    FAILMODE_OPEN_WARNING,
    NO_PROVIDER_WARNING,
    same_site_for,
)


@dataclass(frozen=True)
class ConfigChecks:
    results: list[CheckResult]
    config: Config | None  # None when the file is missing or could not be validated


def _schema_result(path: Path, data: dict[str, Any]) -> CheckResult:
    version = data.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return fail(
            GLOBAL_SCOPE,
            "config.schema",
            f"schema_version must be a positive integer, got {version!r}",
            f"set schema_version = {SCHEMA_VERSION} in {path}",
        )
    if version > SCHEMA_VERSION:
        return fail(
            GLOBAL_SCOPE,
            "config.schema",
            f"schema_version {version} is newer than this duoctl understands ({SCHEMA_VERSION})",
            "upgrade duoctl to the version that wrote this file",
            schema_version=version,
        )
    return ok(GLOBAL_SCOPE, "config.schema", f"schema_version {version}", schema_version=version)


def _permissions(path: Path) -> CheckResult:
    """config.permissions: who may change the config (fail) or read it (warn for everyone).

    The config holds no secret, but whoever can write it can point logins at another
    server; a group that only reads it (the platform's service, 0640) is a supported setup.
    """
    import os
    import stat

    check_id = "config.permissions"
    st = path.stat()
    mode = stat.S_IMODE(st.st_mode)
    me = os.geteuid()
    if st.st_uid not in (me, 0):
        return fail(
            GLOBAL_SCOPE,
            check_id,
            f"{path} is owned by uid {st.st_uid}, neither you (uid {me}) nor root: "
            "its owner can rewrite it",
            f"chown {me} {path} (or root)",
        )
    if mode & 0o022:
        return fail(
            GLOBAL_SCOPE,
            check_id,
            f"{path} is writable by {'others' if mode & 0o002 else 'its group'} "
            f"(mode {mode:04o}): they could point logins at another server",
            f"chmod go-w {path}",
        )
    if mode & 0o004:
        return warn(
            GLOBAL_SCOPE,
            check_id,
            f"{path} is readable by every user (mode {mode:04o}); it holds no secret but "
            "names your Duo applications, and duoctl refuses to edit it like this",
            f"chmod 600 {path} (or 640 with the group that must read it)",
        )
    if mode & 0o040:
        return ok(
            GLOBAL_SCOPE,
            check_id,
            f"private; readable by group {st.st_gid} (mode {mode:04o}), no write access "
            "for anyone else",
        )
    return ok(GLOBAL_SCOPE, check_id, "private (no group/other access)")


@dataclass
class _ConfigContext:
    path: Path
    raw: bytes | None = None
    data: dict[str, Any] | None = None
    config: Config | None = None
    # Why the checks after config.found are skipped: the file is missing, or unreadable.
    found_skip_reason: str = "skipped: there is no config file"


def _found(c: _ConfigContext, _: float) -> list[CheckResult]:
    # The same bounded read and parse as every command: a FIFO, a device, a huge or deeply
    # nested file is a finding here too, not a hang or an internal error.
    try:
        c.raw = read_bytes(c.path)
    except ConfigError as exc:
        c.found_skip_reason = "skipped: the config file cannot be read"
        fix = exc.hint or "make the config file a regular file readable by you"
        return [fail(GLOBAL_SCOPE, "config.found", exc.message, fix)]
    if c.raw is None:
        return [
            fail(
                GLOBAL_SCOPE,
                "config.found",
                f"no config file at {c.path}",
                "add a provider with 'duoctl provider add NAME ...', or point --config / "
                "DUOCTL_CONFIG at the right file",
            )
        ]
    return [ok(GLOBAL_SCOPE, "config.found", f"{c.path}", path=str(c.path))]


def _parse(c: _ConfigContext, _: float) -> list[CheckResult]:
    assert c.raw is not None  # config.found passed
    try:
        c.data = parse_text(c.path, decode_text(c.path, c.raw))
    except ConfigError as exc:
        fix = exc.hint or "fix the TOML syntax at that line and column"
        return [fail(GLOBAL_SCOPE, "config.parse", exc.message, fix)]
    return [ok(GLOBAL_SCOPE, "config.parse", "valid TOML")]


def _values(c: _ConfigContext, _: float) -> list[CheckResult]:
    assert c.data is not None  # config.parse passed
    try:
        config = config_from_data(c.path, c.data)
    except ConfigError as exc:
        fix = exc.hint or f"edit {c.path} and fix that key"
        return [fail(GLOBAL_SCOPE, "config.valid", exc.message, fix)]
    c.config = config
    count = len(config.providers)
    if config.unknown_top_level:
        return [
            warn(
                GLOBAL_SCOPE,
                "config.valid",
                f"{count} provider(s); unknown top-level keys are ignored: "
                + ", ".join(config.unknown_top_level),
                f"remove or correct those keys in {c.path} (a typo there changes nothing)",
                unknown_keys=list(config.unknown_top_level),
            )
        ]
    return [ok(GLOBAL_SCOPE, "config.valid", f"{count} provider(s) configured")]


_CONFIG_STEPS: tuple[Step[_ConfigContext], ...] = (
    Step("config.found", _found),
    Step("config.permissions", lambda c, _: [_permissions(c.path)], needs=("config.found",)),
    Step("config.parse", _parse, needs=("config.found",)),
    Step(
        "config.schema",
        lambda c, _: [_schema_result(c.path, c.data or {})],
        needs=("config.parse",),
    ),
    Step("config.valid", _values, needs=("config.schema",)),
)
# What a check skipped after each of these failing says.
_SKIP_REASONS = {
    "config.parse": "skipped: the config file does not parse",
    "config.schema": "skipped: values cannot be checked against an unknown schema",
}


def check_config(path: Path) -> ConfigChecks:
    """config.found -> config.permissions, config.parse -> config.schema -> config.valid."""
    context = _ConfigContext(path)

    def skip(check_id: str, cause: CheckResult) -> CheckResult:
        reason = _SKIP_REASONS.get(cause.id, context.found_skip_reason)
        return skipped(GLOBAL_SCOPE, check_id, reason, fix_first(cause.id))

    results = ChainRun(_CONFIG_STEPS, context, GLOBAL_SCOPE, skip=skip).run()
    return ConfigChecks(results, context.config)


def check_mfa(config: Config | None, *, disabled_expected: bool = False) -> list[CheckResult]:
    """mfa.enabled (with its SameSite consequence) and mfa.providers.

    External MFA off fails by default: on a machine that should use Duo, nobody is asked
    for a second factor. Where it is off on purpose (a staging host, a rollout not started),
    ``doctor --expect-mfa-disabled`` says so: off is then ok, on is a warning (the machine
    is not in the state its operator expects, though nobody is locked out), and having no
    enabled provider is fine too. An option rather than a config key: the expectation
    belongs to whoever runs the check (a monitoring job), not to the config logins read,
    where a second switch beside ``enabled`` could drift from it, and where a key unknown to
    an older duoctl makes that duoctl refuse the whole file.
    """
    if config is None:
        reason = "skipped: the config could not be read"
        return [
            skipped(GLOBAL_SCOPE, "mfa.enabled", reason, "fix the config checks first"),
            skipped(GLOBAL_SCOPE, "mfa.providers", reason, "fix the config checks first"),
            skipped(GLOBAL_SCOPE, "mfa.failmode", reason, "fix the config checks first"),
        ]
    return [
        _mfa_enabled(config, disabled_expected),
        _mfa_providers(config, disabled_expected),
        check_failmode(config),
    ]


def _mfa_enabled(config: Config, disabled_expected: bool) -> CheckResult:
    same_site = same_site_for(config.external_mfa_enabled)
    if config.external_mfa_enabled and disabled_expected:
        return warn(
            GLOBAL_SCOPE,
            "mfa.enabled",
            f"external MFA is enabled (SameSite {same_site}), but --expect-mfa-disabled "
            "says it should be off here",
            "duoctl mfa disable, if it should be off; else run doctor without "
            "--expect-mfa-disabled",
            session_cookie_samesite=same_site,
            expected="disabled",
        )
    if config.external_mfa_enabled:
        return ok(
            GLOBAL_SCOPE,
            "mfa.enabled",
            f"enabled; the session cookie's SameSite is {same_site} (relaxed from Strict), "
            "so a firewall must deny unauthorized access to the server",
            session_cookie_samesite=same_site,
        )
    if disabled_expected:
        return ok(
            GLOBAL_SCOPE,
            "mfa.enabled",
            f"external MFA is disabled, as expected (--expect-mfa-disabled); SameSite "
            f"stays {same_site}",
            session_cookie_samesite=same_site,
            expected="disabled",
        )
    return fail(
        GLOBAL_SCOPE,
        "mfa.enabled",
        f"external MFA is disabled: logins never reach Duo (SameSite stays {same_site})",
        "duoctl mfa enable (the session cookie's SameSite then becomes Lax); if it is "
        "meant to be off here, run doctor --expect-mfa-disabled",
        session_cookie_samesite=same_site,
    )


def _mfa_providers(config: Config, disabled_expected: bool) -> CheckResult:
    names = [p.name for p in config.enabled_providers()]
    if names:
        return ok(
            GLOBAL_SCOPE,
            "mfa.providers",
            f"{len(names)} enabled: " + ", ".join(names),
            enabled=names,
        )
    if disabled_expected and not config.external_mfa_enabled:
        return ok(
            GLOBAL_SCOPE,
            "mfa.providers",
            "none enabled; fine while external MFA is off (add and enable one before "
            "'duoctl mfa enable')",
            enabled=[],
        )
    detail, _, fix = NO_PROVIDER_WARNING.partition(" (")
    return fail(
        GLOBAL_SCOPE,
        "mfa.providers",
        detail,
        fix.rstrip(")") or "duoctl provider add NAME ...",
        enabled=[],
    )


def check_failmode(config: Config) -> CheckResult:
    """mfa.failmode: open warns with its consequence; unset warns only while MFA is on."""
    mode = config.external_mfa_failmode
    if mode == "open":
        return warn(
            GLOBAL_SCOPE,
            "mfa.failmode",
            FAILMODE_OPEN_WARNING,
            "if a Duo outage must not let anyone in on a password alone: duoctl mfa failmode "
            "closed",
            failmode=mode,
        )
    if mode is None:
        detail = "not set: what logins do while Duo cannot be reached is undecided"
        fix = "duoctl mfa failmode closed (or open, accepting logins without a second factor)"
        if config.external_mfa_enabled:
            return warn(GLOBAL_SCOPE, "mfa.failmode", detail, fix, failmode=None)
        return ok(GLOBAL_SCOPE, "mfa.failmode", detail + " (external MFA is off)", failmode=None)
    return ok(
        GLOBAL_SCOPE, "mfa.failmode", f"closed: {FAILMODE_CONSEQUENCE['closed']}", failmode=mode
    )
