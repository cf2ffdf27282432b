"""`provider create` and `provider remove --delete-app`: the Duo side of a provider.

Create is a transaction. Its steps, each said as it happens:

1. create a Web SDK application through the Admin API;
2. store its Client Secret in the secret store (never shown) and
3. register the provider with its Client ID and the API hostname (one locked config edit,
   :func:`duoctl.providers.add_provider`, which takes the secret back if the write fails);
4. run Duo's health check with the new credentials.

A failure (or Ctrl+C) at any step undoes the earlier ones, newest first, each undo said;
an undo that fails is named with what remains and how to remove it by hand.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from duoctl.admin.session import AdminSession, WebSdkIntegration
from duoctl.config.edit import edit_config
from duoctl.config.model import Provider
from duoctl.config.reader import load_config
from duoctl.errors import ConfigError, DuoctlError, DuoNotFound, DuoTimeout, Interrupted
from duoctl.providers import ProviderView, add_provider, remove_provider
from duoctl.secret_edits import store_label
from duoctl.secrets import SecretStore
from duoctl.validation import validate_name


class Created(NamedTuple):
    view: ProviderView
    integration_key: str
    duo_name: str
    health_ms: float


def _remains_app(host: str, created: WebSdkIntegration) -> str:
    return (
        f"the Duo application {created.name!r} (integration key {created.integration_key}) "
        f"remains at {host}: delete it in the Duo Admin Panel (Applications, "
        f"{created.name!r}, Delete Application)"
    )


def create_provider(
    path: Path,
    secrets: SecretStore,
    session: AdminSession,
    *,
    name: str,
    duo_name: str | None,
    enabled: bool,
    health_check: Callable[[Provider, str], float],
    notify: Callable[[str], None],
) -> Created:
    """Run the four steps; on failure undo and re-raise the step's error, its hint saying
    what was undone and what remains. ``health_check`` returns the round trip in ms."""
    validate_name(name)
    if name in load_config(path).providers:
        raise ConfigError(
            f"a provider named {name!r} already exists in {path}",
            hint="choose another name, or use 'duoctl provider edit'",
        )
    # An unusable store fails here, before anything is created in Duo; an orphaned secret
    # of that name (a provider removed with --keep-secret) is what an undo puts back.
    before = secrets.get(name)
    created = _create_in_duo(session, duo_name or name)
    notify(
        f"1. created the Web SDK application {created.name!r} in Duo "
        f"(Client ID {created.integration_key})"
    )
    registered = False
    try:
        _audit_duo(path, "created", created.integration_key, created.name, name)
        view = add_provider(
            path,
            secrets,
            name=name,
            endpoint=session.host,
            client_id=created.integration_key,
            client_secret=created.secret,
            enabled=enabled,
            ca_bundle=session.credential.ca_bundle,
        )
        registered = True
        notify(f"2. stored its Client Secret in {view.store} (not shown)")
        switch = "enabled" if enabled else "disabled"
        notify(f"3. registered provider {name!r} ({switch}), endpoint {session.host}")
        elapsed_ms = health_check(view.provider, created.secret)
        notify(f"4. Duo's health check accepts the new credentials ({elapsed_ms:.0f} ms)")
    except BaseException as exc:
        remains = _undo(path, secrets, session, name, created, registered, before, notify)
        if isinstance(exc, DuoctlError):
            raise _with_outcome(exc, remains) from None
        raise
    return Created(view, created.integration_key, created.name, elapsed_ms)


def _create_in_duo(session: AdminSession, duo_name: str) -> WebSdkIntegration:
    """Step 1. Cut off while Duo was answering (Ctrl+C, the deadline), the request may have
    created the application all the same, and its key is unknown here: say where to look."""
    maybe = (
        f"Duo may have created the application {duo_name!r} before the answer was lost: look "
        f"for it in the Duo Admin Panel (Applications) and delete it if it is there"
    )
    try:
        return session.create_web_sdk_integration(duo_name)
    except DuoTimeout as exc:
        raise DuoTimeout(exc.message, hint=maybe) from None
    except KeyboardInterrupt:
        raise Interrupted(
            "interrupted (Ctrl+C) while Duo was creating the application", hint=maybe
        ) from None


def _undo(
    path: Path,
    secrets: SecretStore,
    session: AdminSession,
    name: str,
    created: WebSdkIntegration,
    registered: bool,
    before: str | None,
    notify: Callable[[str], None],
) -> list[str]:
    """Undo, newest first; returns what could not be undone."""
    remains: list[str] = []
    if registered:
        try:
            # force: before this run the provider did not exist, whatever MFA's state.
            remove_provider(path, name, secrets, force=True)
            notify(f"   undo: removed provider {name!r} and its secret")
        except DuoctlError as exc:
            remains.append(
                f"provider {name!r} remains ({exc.message}): remove it with "
                f"'duoctl provider remove {name} --yes --force'"
            )
    elif (left := _secret_left(secrets, name, before)) is None:
        remains.append(
            f"the secret store could not say whether the new secret of {name!r} was taken "
            f"back: 'duoctl secrets status' lists what it holds"
        )
    elif left:
        remains.append(
            f"a secret for {name!r} remains in {store_label(secrets)}, with no provider "
            f"(doctor reports it as orphaned): the next 'duoctl provider create {name}' or "
            f"'provider add {name}' replaces it"
        )
    try:
        session.delete_integration(created.integration_key)
        notify(f"   undo: deleted the Duo application {created.name!r} ({created.integration_key})")
    except DuoctlError as exc:
        remains.append(f"{_remains_app(session.host, created)} ({exc.message})")
    else:
        # Best effort: the error on its way matters more than this record of the undo.
        with contextlib.suppress(DuoctlError):
            _audit_duo(path, "deleted (undo)", created.integration_key, created.name, name)
    return remains


def _audit_duo(path: Path, action: str, integration_key: str, name: str, provider: str) -> None:
    """An audit record of what was done in Duo: it changes nothing in the config."""
    with edit_config(path) as edit:
        edit.note_duo(action, integration_key, name, provider)


def _secret_left(secrets: SecretStore, name: str, before: str | None) -> bool | None:
    """Whether the new secret is still stored (add_provider takes it back when it can);
    None when the store cannot answer."""
    try:
        return secrets.get(name) not in (None, before)
    except DuoctlError:
        return None


def _with_outcome(exc: DuoctlError, remains: list[str]) -> DuoctlError:
    if not remains:
        outcome = "provider create was undone: nothing remains in Duo or in duoctl"
        hint = f"{exc.hint}; {outcome}" if exc.hint else outcome
        return type(exc)(exc.message, hint=hint, data=exc.data)
    return type(exc)(
        f"{exc.message}; provider create could NOT be fully undone",
        hint="what remains: " + "; ".join(remains),
        data=exc.data,
    )


class AppDeletion(NamedTuple):
    integration_key: str
    duo_name: str
    exists: bool = True  # False: Duo has no such application any more


def app_of(session: AdminSession, provider: Provider) -> AppDeletion:
    """The Duo application behind ``provider`` (its Client ID), looked up before asking.

    Refused when the provider's endpoint is not the Admin API's host: its application then
    belongs to another Duo account, which this credential must not touch.
    """
    if provider.endpoint != session.host:
        raise ConfigError(
            f"provider {provider.name!r} is at {provider.endpoint}, not at the Admin API host "
            f"{session.host}: its Duo application is not in this account",
            hint="delete it in that account's Admin Panel, or remove the provider without "
            "--delete-app",
        )
    try:
        found = session.get_integration(provider.client_id)
    except DuoNotFound:
        return AppDeletion(provider.client_id, provider.client_id, exists=False)
    return AppDeletion(provider.client_id, str(found.get("name", provider.client_id)))


def delete_app(path: Path, session: AdminSession, app: AppDeletion, provider: str) -> bool:
    """Delete the application (after its provider was removed); False: it was already gone.

    A failure names what remains and how to remove it by hand.
    """
    try:
        gone = session.delete_integration(app.integration_key)
    except DuoctlError as exc:
        raise type(exc)(
            f"the provider was removed, but deleting the Duo application {app.duo_name!r} "
            f"({app.integration_key}) failed: {exc.message}",
            hint=f"it remains in Duo: delete it in the Admin Panel (Applications, "
            f"{app.duo_name!r}, Delete Application)",
        ) from None
    action = "deleted" if gone else "already gone"
    _audit_duo(path, action, app.integration_key, app.duo_name, provider)
    return gone
