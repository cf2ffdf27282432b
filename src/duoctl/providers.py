"""Provider management: the core behind ``duoctl provider ...``.

Each operation that touches both the secret store and the config orders its steps so that
a failure at any point leaves the previous state: the secret is written first and rolled
back if the config write fails; nothing is written to the config unless the store step
worked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duoctl.config.edit import edit_config
from duoctl.config.model import Provider
from duoctl.config.reader import load_config
from duoctl.errors import ConfigError, SecretStoreError, ValidationError
from duoctl.lockout import refuse_lockout

if TYPE_CHECKING:
    from duoctl.duoclient import DuoClientFactory, HealthResult
from duoctl.secret_edits import SecretChange, current_secret, store_names
from duoctl.secrets import SecretStore
from duoctl.validation import (
    endpoint_warning,
    normalize_client_id,
    normalize_pasted_endpoint,
    validate_client_id,
    validate_client_secret,
    validate_endpoint,
    validate_name,
)


@dataclass(frozen=True)
class ProviderView:
    provider: Provider
    secret_present: bool | None  # None: the store was not consulted or could not answer
    warnings: tuple[str, ...] = ()
    store: str | None = None  # the store's label, when it was consulted
    backend: str | None = None  # its backend name ("keyring", "systemd-creds", ...)
    notes: tuple[str, ...] = ()  # how typed values were normalised (a pasted URL...)
    changed: bool = True  # False: an edit asked for what was already there
    changed_fields: tuple[str, ...] = ()  # an edit's: the config fields it changed

    headers = None  # `provider show` is "label: value" lines
    empty = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.provider.to_dict(),
            "secret_present": self.secret_present,
            "secret_backend": self.backend,
            "secret_store": self.store,
            "warnings": list(self.warnings),
        }

    def rows(self) -> list[tuple[str, str]]:
        p = self.provider
        present = {
            True: f"present in {self.store}",
            False: f"MISSING from {self.store}",
            None: "unknown",
        }[self.secret_present]
        return [
            ("Name", p.name),
            ("Type", "Duo Security"),
            ("Enabled", "yes" if p.enabled else "no"),
            ("Endpoint", p.endpoint),
            ("Client ID", p.client_id),
            ("Client Secret", present),
            ("CA bundle", p.ca_bundle or "Duo's pinned bundle"),
        ]


def validate_ca_bundle(value: str) -> str:
    import os
    import stat

    path = Path(value).expanduser()
    not_a_file = ValidationError(
        f"CA bundle {value!r} is not a readable file",
        hint="give a PEM file with the CA that signs the endpoint's certificate",
    )
    try:
        # Non-blocking and checked on the open descriptor: a FIFO or a device named as the
        # bundle must not hang or fill memory; a too-long name is a bad value, not a crash.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise not_a_file from None
    except OSError as exc:
        raise ValidationError(f"cannot read CA bundle {value!r}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise not_a_file
        try:
            head = handle.read(65536)
        except OSError as exc:
            raise ValidationError(f"cannot read CA bundle {value!r}: {exc.strerror}") from None
    if b"-----BEGIN CERTIFICATE-----" not in head:
        raise ValidationError(f"CA bundle {value!r} contains no PEM certificate")
    return str(path.resolve())


def _warnings_for(provider: Provider) -> tuple[str, ...]:
    warning = endpoint_warning(provider.endpoint)
    return (warning,) if warning else ()


def _warm_up(secrets: SecretStore, name: str) -> None:
    # A bounded read before anything else: an unusable, locked or hung store fails here,
    # before the config directory, its lock or any write exists. It also loads the keyring
    # library (~0.3 s) outside the config lock, so parallel duoctl processes wait far less.
    current_secret(secrets, name)


def _validated(
    name: str, endpoint: str, client_id: str, enabled: bool, ca_bundle: str | None
) -> tuple[Provider, tuple[str, ...]]:
    """The provider from typed values, and notes on what was normalised in them."""
    host, note = normalize_pasted_endpoint(endpoint)
    provider = Provider(
        name=validate_name(name),
        endpoint=validate_endpoint(host),
        client_id=validate_client_id(normalize_client_id(client_id)),
        enabled=enabled,
        ca_bundle=validate_ca_bundle(ca_bundle) if ca_bundle is not None else None,
    )
    return provider, (note,) if note else ()


def prepare_add(
    path: Path,
    secrets: SecretStore,
    *,
    name: str,
    endpoint: str,
    client_id: str,
    enabled: bool = True,
    ca_bundle: str | None = None,
) -> ProviderView:
    """Everything ``add`` can check before anyone types a secret.

    The fields are validated, the name must be free, and the store must answer: a typo or
    a store that cannot work is reported before the secret is asked for, not after.
    """
    provider, notes = _validated(name, endpoint, client_id, enabled, ca_bundle)
    if provider.name in load_config(path).providers:
        raise ConfigError(
            f"a provider named {provider.name!r} already exists in {path}",
            hint="choose another name, or use 'duoctl provider edit'",
        )
    _warm_up(secrets, provider.name)
    return ProviderView(provider, secret_present=None, notes=notes)


def add_provider(
    path: Path,
    secrets: SecretStore,
    *,
    name: str,
    endpoint: str,
    client_id: str,
    client_secret: str,
    enabled: bool = True,
    ca_bundle: str | None = None,
    store_checked: bool = False,
) -> ProviderView:
    """Register the provider and store its secret, the secret rolled back if the config
    write fails. ``store_checked``: :func:`prepare_add` already had this store answer, so
    it is not asked again outside the lock (each ask is another round trip to the store)."""
    provider, notes = _validated(name, endpoint, client_id, enabled, ca_bundle)
    secret = validate_client_secret(client_secret)
    if not store_checked:
        _warm_up(secrets, provider.name)
    label, backend = store_names(secrets)
    with SecretChange(secrets, provider.name) as change, edit_config(path) as edit:
        edit.add_provider(provider)
        change.store(edit, secret, "stored", replace_damaged=False)
    return ProviderView(
        provider,
        secret_present=True,
        warnings=_warnings_for(provider),
        store=label,
        backend=backend,
        notes=notes,
    )


def show_provider(path: Path, name: str, secrets: SecretStore | None) -> ProviderView:
    provider = load_config(path).provider(name)
    present: bool | None = None
    warnings = list(_warnings_for(provider))
    label: str | None = None
    backend: str | None = None
    if secrets is not None:
        try:
            present = secrets.get(name) is not None
            info = secrets.backend()
            label, backend = info.label, info.backend
        except SecretStoreError as exc:
            warnings.append(f"could not check the secret store: {exc.message}")
    return ProviderView(
        provider, secret_present=present, warnings=tuple(warnings), store=label, backend=backend
    )


@dataclass(frozen=True)
class Removal:
    provider: Provider
    secret_deleted: bool  # False: there was none (or --keep-secret left it)
    store: str | None  # the store's label; None when it was not consulted
    backend: str | None = None  # its backend's name, when it was consulted


def remove_provider(
    path: Path, name: str, secrets: SecretStore, *, keep_secret: bool = False, force: bool = False
) -> Removal:
    """Remove the entry and its secret; with ``keep_secret``, leave the store untouched.

    ``keep_secret`` is the way out when the store cannot be reached at all (a desktop
    keyring from an SSH session): the entry goes, and doctor reports the secret as orphaned
    wherever it still is.
    """
    what = f"remove provider {name!r}"
    if keep_secret:
        with edit_config(path) as edit:
            removed = edit.before.provider(name)
            edit.remove_provider(name)
            refuse_lockout(edit.after(), what=what, force=force)
        return Removal(removed, secret_deleted=False, store=None)
    # Only the library is loaded out here; every call to the store happens under the lock,
    # so parallel removes reach the store one at a time (a hundred at once, each warming up
    # first, starved a Secret Service past its deadline on two cores).
    secrets.preload()
    with SecretChange(secrets, name) as change, edit_config(path) as edit:
        found = edit.before.provider(name)
        edit.remove_provider(name)
        refuse_lockout(edit.after(), what=what, force=force)
        label, backend = store_names(secrets)
        change.delete(edit)
    return Removal(found, secret_deleted=change.deleted, store=label, backend=backend)


def set_enabled(
    path: Path, name: str, enabled: bool, *, force: bool = False
) -> tuple[Provider, bool]:
    """Switch a provider; returns it and whether anything changed."""
    with edit_config(path) as edit:
        provider = edit.before.provider(name)
        changed = provider.enabled != enabled
        if changed:
            edit.update_provider(name, enabled=enabled)
            refuse_lockout(edit.after(), what=f"disable provider {name!r}", force=force)
    return provider._replace(enabled=enabled), changed


def edit_provider(
    path: Path,
    name: str,
    secrets: SecretStore,
    *,
    endpoint: str | None = None,
    client_id: str | None = None,
    new_secret: str | None = None,
    ca_bundle: str | None = None,
    clear_ca_bundle: bool = False,
) -> ProviderView:
    changes: dict[str, bool | str | None] = {}
    notes: tuple[str, ...] = ()
    if endpoint is not None:
        host, note = normalize_pasted_endpoint(endpoint)
        changes["endpoint"] = validate_endpoint(host)
        notes = (note,) if note else ()
    if client_id is not None:
        changes["client_id"] = validate_client_id(normalize_client_id(client_id))
    if ca_bundle is not None and clear_ca_bundle:
        raise ValidationError("give either --ca-bundle or --clear-ca-bundle, not both")
    if ca_bundle is not None:
        changes["ca_bundle"] = validate_ca_bundle(ca_bundle)
    if clear_ca_bundle:
        changes["ca_bundle"] = None
    secret = validate_client_secret(new_secret) if new_secret is not None else None
    if not changes and secret is None:
        raise ValidationError(
            "nothing to change",
            hint="give --endpoint, --client-id, --ca-bundle, --clear-ca-bundle or --rotate-secret",
        )
    label: str | None = None
    backend: str | None = None
    if secret is not None:
        _warm_up(secrets, name)
        label, backend = store_names(secrets)
    rotated = False
    with SecretChange(secrets, name) as change, edit_config(path) as edit:
        current = edit.before.provider(name)
        effective = {k: v for k, v in changes.items() if getattr(current, k) != v}
        if effective:
            edit.update_provider(name, **effective)
        if secret is not None:
            # A damaged previous secret cannot be restored on a rollback; the new one is
            # then removed, which leaves the provider as unusable as it was.
            change.store(edit, secret, "rotated")
            rotated = True
    updated = current._replace(**changes)  # type: ignore[arg-type]
    return ProviderView(
        updated,
        secret_present=True if rotated else None,
        warnings=_warnings_for(updated),
        store=label,
        backend=backend,
        notes=notes,
        changed=bool(effective) or rotated,
        changed_fields=tuple(effective),
    )


def verify_credentials(
    provider: Provider, secret: str, client_factory: DuoClientFactory, *, timeout: float
) -> HealthResult:
    """Duo's health check with these credentials, before anything is stored (add --verify).

    Raises the health check's error: rejected credentials (8), unreachable (7), ...
    """
    from duoctl.duoclient import health_check

    client = client_factory(
        client_id=provider.client_id,
        client_secret=validate_client_secret(secret),
        host=provider.endpoint,
        # Required by the client, unused by the health check: no login happens here.
        redirect_uri="http://localhost/duoctl-verify",
        ca_bundle=provider.ca_bundle,
    )
    return health_check(client, host=provider.endpoint, timeout=timeout)
