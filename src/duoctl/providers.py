"""Provider management: the core behind ``duoctl provider ...``.

Each operation that touches both the keyring and the config orders its steps so that a
failure at any point leaves the previous state: the secret is written first and rolled back
if the config write fails; nothing is written to the config unless the keyring step worked.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from duoctl.config.edit import edit_config
from duoctl.config.model import Provider
from duoctl.config.store import load_config
from duoctl.errors import SecretStoreError, ValidationError
from duoctl.secretstore import SecretStore
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
    secret_present: bool | None  # None: the keyring was not consulted or could not answer
    warnings: tuple[str, ...] = ()


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
    # A bounded read before anything else: an unusable, locked or hung keyring fails here,
    # before the config directory, its lock or any write exists. It also loads the keyring
    # library (~0.3 s) outside the config lock, so parallel duoctl processes wait far less.
    secrets.get(name)


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
    provider = Provider(
        name=validate_name(name),
        endpoint=validate_endpoint(endpoint),
        client_id=validate_client_id(client_id),
        enabled=enabled,
        ca_bundle=validate_ca_bundle(ca_bundle) if ca_bundle is not None else None,
    )
    secret = validate_client_secret(client_secret)
    _warm_up(secrets, provider.name)
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
    return ProviderView(provider, secret_present=True, warnings=_warnings_for(provider))


def show_provider(path: Path, name: str, secrets: SecretStore | None) -> ProviderView:
    provider = load_config(path).provider(name)
    present: bool | None = None
    warnings = list(_warnings_for(provider))
    if secrets is not None:
        try:
            present = secrets.get(name) is not None
        except SecretStoreError as exc:
            warnings.append(f"could not check the keyring: {exc.message}")
    return ProviderView(provider, secret_present=present, warnings=tuple(warnings))


def remove_provider(path: Path, name: str, secrets: SecretStore) -> Provider:
    _warm_up(secrets, name)
    removed: Provider | None = None
    previous: str | None = None
    deleted = False
    try:
        with edit_config(path) as edit:
            removed = edit.before.provider(name)
            edit.remove_provider(name)
            previous = secrets.get(name)
            if previous is not None:
                deleted = secrets.delete(name)
    except BaseException:
        if deleted:
            _restore(secrets, name, previous)
        raise
    assert removed is not None
    return removed


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
    if secret is not None:
        _warm_up(secrets, name)
    rotated = False
    previous: str | None = None
    try:
        with edit_config(path) as edit:
            current = edit.before.provider(name)
            if changes:
                edit.update_provider(name, **changes)
            if secret is not None:
                previous = secrets.get(name)
                secrets.set(name, secret)
                rotated = True
    except BaseException:
        if rotated:
            _restore(secrets, name, previous)
        raise
    updated = current._replace(**changes)  # type: ignore[arg-type]
    return ProviderView(
        updated, secret_present=True if rotated else None, warnings=_warnings_for(updated)
    )
