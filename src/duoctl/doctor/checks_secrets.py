"""Checks of the secret store: which backend, its own files, each secret, orphans."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from duoctl.config.model import Config, Provider
from duoctl.deadline import call_with_deadline
from duoctl.doctor.model import (
    GLOBAL_SCOPE,
    CheckResult,
    fail,
    fix_first,
    ok,
    provider_scope,
    skipped,
    warn,
)
from duoctl.errors import CredentialUnreadable, SecretStoreError, ValidationError
from duoctl.secrets import BACKEND_KEYRING, BackendInfo, SecretRead, SecretStore
from duoctl.secrets.credfiles import SUFFIXES
from duoctl.validation import validate_client_secret

FIX_NO_STORE = (
    "on a server: systemd-creds (as root) or DUOCTL_SECRET_BACKEND=encrypted-file (see "
    "'On a server' in the README); on a desktop: a Secret Service (GNOME Keyring, KWallet)"
)


class StoreTimeout(SecretStoreError):
    """The store did not answer within doctor's budget."""


def store_too_slow(what: str, timeout: float) -> Callable[[], StoreTimeout]:
    """The error :func:`call_with_deadline` raises when the store outlasts doctor's budget
    (the store's own limit may be longer)."""
    return lambda: StoreTimeout(
        f"the secret store did not answer within {timeout:g} s while trying to {what}",
        hint="a keyring may be locked (unlock it) or its D-Bus service hung; a file "
        "store may sit on a dead filesystem",
    )


def check_backend(secrets: SecretStore, timeout: float) -> tuple[CheckResult, BackendInfo | None]:
    """secrets.backend; the info is None when secrets cannot be read at all."""
    check_id = "secrets.backend"
    try:
        info = call_with_deadline(
            secrets.backend, timeout, store_too_slow("find a backend", timeout)
        )
    except SecretStoreError as exc:
        return fail(GLOBAL_SCOPE, check_id, exc.message, exc.hint or FIX_NO_STORE), None
    data = {"backend": info.backend, "implementation": info.name, "location": info.location}
    if info.kind == "secure":
        return ok(GLOBAL_SCOPE, check_id, f"{info.label} (secure)", **data), info
    if info.kind == "plaintext":
        return (
            warn(
                GLOBAL_SCOPE,
                check_id,
                f"{info.name} keeps secrets in plain text on disk",
                "use a Secret Service keyring, systemd-creds or the encrypted-file store, "
                "then 'duoctl secrets migrate --to BACKEND'",
                **data,
            ),
            info,
        )
    return (
        fail(
            GLOBAL_SCOPE,
            check_id,
            f"no usable OS keyring: backend {info.name} ({info.kind})",
            FIX_NO_STORE,
            **data,
        ),
        None,
    )


def check_store_files(
    secrets: SecretStore, info: BackendInfo | None, timeout: float
) -> CheckResult:
    """secrets.files: the store's own directory, file modes, keys (file backends)."""
    check_id = "secrets.files"
    if info is None:
        return skipped(
            GLOBAL_SCOPE, check_id, "skipped: no usable secret store", fix_first("secrets.backend")
        )
    try:
        problems = call_with_deadline(
            secrets.problems, timeout, store_too_slow("inspect its files", timeout)
        )
    except SecretStoreError as exc:
        return fail(GLOBAL_SCOPE, check_id, exc.message, exc.hint or FIX_NO_STORE)
    if not problems:
        detail = (
            "nothing on disk for duoctl to check: the keyring manages its own storage"
            if info.backend == BACKEND_KEYRING
            else f"{info.location or info.backend}: private, nothing left over"
        )
        return ok(GLOBAL_SCOPE, check_id, detail)
    worst = fail if any(p.status == "fail" for p in problems) else warn
    return worst(
        GLOBAL_SCOPE,
        check_id,
        "; ".join(p.detail for p in problems),
        "; ".join(p.fix for p in problems if p.fix) or "see the details",
        problems=[p.detail for p in problems],
    )


# Each provider's ``secret`` check and the secret itself (for the health check only).
SecretChecks = dict[str, tuple[CheckResult, str | None]]


def check_secrets(
    secrets: SecretStore, providers: Sequence[Provider], info: BackendInfo | None, timeout: float
) -> tuple[SecretChecks, CheckResult | None]:
    """Every provider's ``secret`` check, from one read of the store (one keyring
    connection for them all), and the store's refusal if it refused.

    A refusal (locked, hung, broken) is the store's failure, not a provider's: it comes back
    on its own, against the first provider asked about, and no secret is checked. A damaged
    entry is only that provider's failure. The secret never goes into a result: only
    whether it is there and well-formed.
    """
    if info is None:
        reason, fix = "skipped: no usable secret store", fix_first("secrets.backend")
        return {
            p.name: (skipped(provider_scope(p.name), "secret", reason, fix), None)
            for p in providers
        }, None
    if not providers:
        return {}, None
    names = [p.name for p in providers]
    try:
        read = call_with_deadline(
            lambda: secrets.get_many(names),
            timeout,
            store_too_slow("read the client secrets", timeout),
        )
    except SecretStoreError as exc:
        refusal = fail(
            provider_scope(names[0]),
            "secret",
            exc.message,
            exc.hint or FIX_NO_STORE,
            timed_out=isinstance(exc, StoreTimeout),
            store_failed=True,
        )
        return {}, refusal
    return {p.name: _judge_secret(p, info, read.get(p.name)) for p in providers}, None


def _judge_secret(
    provider: Provider, info: BackendInfo, value: SecretRead
) -> tuple[CheckResult, str | None]:
    scope = provider_scope(provider.name)
    rotate = f"duoctl provider edit {provider.name} --rotate-secret"
    if isinstance(value, CredentialUnreadable):
        # A damaged entry: this provider's failure, not the store's.
        result = fail(
            scope,
            "secret",
            value.message,
            value.hint or FIX_NO_STORE,
            timed_out=False,
            store_failed=False,
        )
        return result, None
    if value is None:
        return (
            fail(
                scope,
                "secret",
                f"no Client Secret in {info.label} for provider {provider.name!r}",
                f"store it again: {rotate}",
            ),
            None,
        )
    try:
        validate_client_secret(value)
    except ValidationError as exc:
        return fail(scope, "secret", f"the stored secret is unusable: {exc.message}", rotate), None
    return ok(scope, "secret", f"present in {info.label} (40 characters)"), value


def check_orphans(
    secrets: SecretStore,
    config_path: Path,
    config: Config | None,
    info: BackendInfo | None,
    timeout: float,
) -> CheckResult:
    check_id = "secrets.orphans"
    if info is None:
        return skipped(
            GLOBAL_SCOPE, check_id, "skipped: no usable secret store", fix_first("secrets.backend")
        )
    if config is None:
        return skipped(
            GLOBAL_SCOPE,
            check_id,
            "skipped: without a valid config every stored secret would look orphaned",
            "fix the config checks first",
        )
    try:
        names = call_with_deadline(
            secrets.names, timeout, store_too_slow("list stored secrets", timeout)
        )
    except SecretStoreError as exc:
        return fail(GLOBAL_SCOPE, check_id, exc.message, exc.hint or FIX_NO_STORE)
    if names is None:
        where = f"entries named {info.location!r}" if info.location else "its entries"
        return skipped(
            GLOBAL_SCOPE,
            check_id,
            f"skipped: {info.label} cannot list its entries",
            f"none needed; use the store's own tool to review {where}",
        )
    if config.secrets_migrating_from is not None:
        source, target = config.secrets_migrating_from, config.secrets_backend
        return warn(
            GLOBAL_SCOPE,
            check_id,
            f"a move of the secrets from {source} to {target} was interrupted: copies may "
            f"remain in {source}",
            f"duoctl secrets migrate --to {target} (finishes it)",
        )
    if config.secrets_migrating_to is not None:
        stale, current = config.secrets_migrating_to, config.secrets_backend
        return warn(
            GLOBAL_SCOPE,
            check_id,
            f"a move of the secrets to {stale} was stopped before it switched: they are "
            f"still read from {current}, and copies may remain in {stale}",
            f"duoctl secrets migrate --to {stale} (finishes the move), or --to {current} "
            "(drops the copies)",
        )
    # Disabled providers keep their secret on purpose: only unknown names are orphans.
    orphans = sorted(set(names) - set(config.providers))
    if not orphans:
        return ok(GLOBAL_SCOPE, check_id, f"none ({len(names)} stored secret(s), all referenced)")
    if info.backend == BACKEND_KEYRING:
        fix = (
            f"delete them from the keyring, e.g. secret-tool clear service '{info.location}' "
            f"username {orphans[0]}; or re-add the provider under that name"
        )
    elif info.backend in SUFFIXES:
        fix = (
            f"delete the files, e.g. rm {info.location}/{orphans[0]}{SUFFIXES[info.backend]}; "
            "or re-add the provider under that name"
        )
    else:
        fix = "re-add the provider under that name, or delete the secret from the store"
    return warn(
        GLOBAL_SCOPE,
        check_id,
        f"{len(orphans)} secret(s) in {info.label} for providers not in the config: "
        + ", ".join(orphans),
        fix,
        orphans=orphans,
    )
