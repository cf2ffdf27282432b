"""Provider management: the core behind ``duoctl provider ...``.

Each operation that touches both the secret store and the config orders its steps so that
a failure at any point leaves the previous state: the secret is written first and rolled
back if the config write fails; nothing is written to the config unless the store step
worked.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from duoctl.config.edit import edit_config
from duoctl.config.model import Provider
from duoctl.config.store import load_config
from duoctl.errors import ConfigError, CredentialUnreadable, SecretStoreError, ValidationError
from duoctl.secrets import SecretStore
from duoctl.validation import (
    endpoint_warning,
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


def validate_ca_bundle(value: str) -> str:
    path = Path(value).expanduser()
    if not path.is_file():
        raise ValidationError(
            f"CA bundle {value!r} is not a readable file",
            hint="give a PEM file with the CA that signs the endpoint's certificate",
        )
    try:
        head = path.read_bytes()[:65536]
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
    _current(secrets, name)


def _current(secrets: SecretStore, name: str) -> str | None:
    """The stored secret; None also when one is there but unreadable (damaged, wrong key).

    Rotating or removing a damaged secret is how it gets fixed, so that must not fail on
    reading it first; the store itself answered, which is what the caller needs to know.
    """
    try:
        return secrets.get(name)
    except CredentialUnreadable:
        return None


def store_label(secrets: SecretStore) -> str:
    """How messages name the store; it is already chosen by the time a secret was handled."""
    try:
        return secrets.backend().label
    except SecretStoreError:
        return "the secret store"


def _validated(
    name: str, endpoint: str, client_id: str, enabled: bool, ca_bundle: str | None
) -> Provider:
    return Provider(
        name=validate_name(name),
        endpoint=validate_endpoint(endpoint),
        client_id=validate_client_id(client_id),
        enabled=enabled,
        ca_bundle=validate_ca_bundle(ca_bundle) if ca_bundle is not None else None,
    )


def prepare_add(
    path: Path,
    secrets: SecretStore,
    *,
    name: str,
    endpoint: str,
    client_id: str,
    enabled: bool = True,
    ca_bundle: str | None = None,
) -> Provider:
    """Everything ``add`` can check before anyone types a secret.

    The fields are validated, the name must be free, and the store must answer: a typo or
    a store that cannot work is reported before the secret is asked for, not after.
    """
    provider = _validated(name, endpoint, client_id, enabled, ca_bundle)
    if provider.name in load_config(path).providers:
        raise ConfigError(
            f"a provider named {provider.name!r} already exists in {path}",
            hint="choose another name, or use 'duoctl provider edit'",
        )
    _warm_up(secrets, provider.name)
    return provider


def _restore(secrets: SecretStore, name: str, previous: str | None) -> None:
    # Best effort: the original error is what the user needs to see.
    with contextlib.suppress(SecretStoreError):
        if previous is None:
            secrets.delete(name)
        else:
            secrets.set(name, previous)


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
) -> ProviderView:
    provider = _validated(name, endpoint, client_id, enabled, ca_bundle)
    secret = validate_client_secret(client_secret)
    _warm_up(secrets, provider.name)
    label = store_label(secrets)
    stored = False
    previous: str | None = None
    try:
        with edit_config(path) as edit:
            edit.add_provider(provider)
            previous = secrets.get(provider.name)
            secrets.set(provider.name, secret)
            stored = True
    except BaseException:
        if stored:
            _restore(secrets, provider.name, previous)
        raise
    return ProviderView(
        provider, secret_present=True, warnings=_warnings_for(provider), store=label
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


def remove_provider(
    path: Path, name: str, secrets: SecretStore, *, keep_secret: bool = False
) -> Removal:
    """Remove the entry and its secret; with ``keep_secret``, leave the store untouched.

    ``keep_secret`` is the way out when the store cannot be reached at all (a desktop
    keyring from an SSH session): the entry goes, and doctor reports the secret as orphaned
    wherever it still is.
    """
    if keep_secret:
        with edit_config(path) as edit:
            removed = edit.before.provider(name)
            edit.remove_provider(name)
        return Removal(removed, secret_deleted=False, store=None)
    _warm_up(secrets, name)
    label = store_label(secrets)
    found: Provider | None = None
    previous: str | None = None
    deleted = damaged = False
    try:
        with edit_config(path) as edit:
            found = edit.before.provider(name)
            edit.remove_provider(name)
            try:
                previous = secrets.get(name)
            except CredentialUnreadable:
                damaged = True  # unrestorable once deleted: deleted after the config write
            if previous is not None:
                deleted = secrets.delete(name)
    except BaseException:
        if deleted:
            _restore(secrets, name, previous)
        raise
    if damaged:
        deleted = secrets.delete(name)
    assert found is not None
    return Removal(found, secret_deleted=deleted, store=label)


def set_enabled(path: Path, name: str, enabled: bool) -> Provider:
    with edit_config(path) as edit:
        provider = edit.before.provider(name)
        if provider.enabled != enabled:
            edit.update_provider(name, enabled=enabled)
    return provider._replace(enabled=enabled)


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
    if endpoint is not None:
        changes["endpoint"] = validate_endpoint(endpoint)
    if client_id is not None:
        changes["client_id"] = validate_client_id(client_id)
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
    if secret is not None:
        _warm_up(secrets, name)
        label = store_label(secrets)
    rotated = False
    previous: str | None = None
    try:
        with edit_config(path) as edit:
            current = edit.before.provider(name)
            if changes:
                edit.update_provider(name, **changes)
            if secret is not None:
                # A damaged previous secret cannot be restored on a rollback; the new one
                # is then removed, which leaves the provider as unusable as it was.
                previous = _current(secrets, name)
                secrets.set(name, secret)
                rotated = True
    except BaseException:
        if rotated:
            _restore(secrets, name, previous)
        raise
    updated = current._replace(**changes)  # type: ignore[arg-type]
    return ProviderView(
        updated,
        secret_present=True if rotated else None,
        warnings=_warnings_for(updated),
        store=label,
    )
