"""The results of `provider add`, `create`, `edit`, `enable`/`disable` and `remove`.

"provider" in each is the provider as `provider show --json` shows it (never its secret);
its secret fields are null where the command did not consult the store.

Plain classes, not frozen dataclasses: every write command imports this module, and the
five dataclasses cost ~4 ms to define (`python -X importtime`), more than the command's
own work in `provider enable`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from duoctl.providers import ProviderView

if TYPE_CHECKING:
    from pathlib import Path

    from duoctl.admin.provision import AppDeletion
    from duoctl.admin.session import AdminSession
    from duoctl.config.model import Provider
    from duoctl.errors import DuoctlError
    from duoctl.providers import Removal


def _switch(enabled: bool) -> str:
    return "enabled" if enabled else "disabled"


class _Outcome:
    """What every provider write result shares: its text is status lines (output.Said)."""

    __slots__ = ()
    headers = None
    empty = ""
    remarks_first = False


class ProviderAdded(_Outcome):
    __slots__ = ("view",)
    # What was normalised in the typed values was said before the secret was asked for;
    # the endpoint warning is about what was typed too: said before the outcome.
    remarks_first = True
    notes: tuple[str, ...] = ()

    def __init__(self, view: ProviderView) -> None:
        self.view = view

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.view.warnings

    def to_dict(self) -> dict[str, Any]:
        return {"changed": True, "provider": self.view.to_dict()}

    def rows(self) -> list[tuple[str]]:
        p, store = self.view.provider, self.view.store
        return [(f"added provider {p.name!r} ({_switch(p.enabled)}); secret stored in {store}",)]


class ProviderCreated(ProviderAdded):
    """`provider create` (arguments as duoctl.admin.provision.Created): its steps were said
    as they happened; this is where they ended."""

    __slots__ = ("duo_name", "health_ms", "integration_key")

    def __init__(
        self, view: ProviderView, integration_key: str, duo_name: str, health_ms: float
    ) -> None:
        super().__init__(view)
        self.integration_key = integration_key
        self.duo_name = duo_name
        self.health_ms = health_ms

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "duo_application": {"integration_key": self.integration_key, "name": self.duo_name},
            "health_check_ms": round(self.health_ms),
        }

    def rows(self) -> list[tuple[str]]:
        name = self.view.provider.name
        return [
            (
                f"created provider {name!r}; the platform's form also needs its Client Secret: "
                f"duoctl provider secret reveal {name}",
            )
        ]


class ProviderEdited(_Outcome):
    __slots__ = ("secret_rotated", "view")
    remarks_first = True  # its notes and warnings are about the values typed

    def __init__(self, view: ProviderView, *, secret_rotated: bool) -> None:
        self.view = view
        self.secret_rotated = secret_rotated

    @property
    def notes(self) -> tuple[str, ...]:
        return self.view.notes

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.view.warnings

    def to_dict(self) -> dict[str, Any]:
        return {
            "changed": self.view.changed,
            "changed_fields": list(self.view.changed_fields),
            "secret_rotated": self.secret_rotated,
            "provider": self.view.to_dict(),
        }

    def rows(self) -> list[tuple[str]]:
        name = self.view.provider.name
        if not self.view.changed:
            return [(f"provider {name!r} already had those values; nothing changed",)]
        rotated = f"; secret rotated in {self.view.store}" if self.secret_rotated else ""
        return [(f"updated provider {name!r}{rotated}",)]


class ProviderSwitched(_Outcome):
    """`provider enable` / `disable`: the config alone changes, the store is not asked."""

    __slots__ = ("changed", "provider")
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def __init__(self, provider: Provider, changed: bool) -> None:
        self.provider = provider
        self.changed = changed

    def to_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "provider": ProviderView(self.provider, secret_present=None).to_dict(),
        }

    def rows(self) -> list[tuple[str]]:
        word = _switch(self.provider.enabled)
        already = "" if self.changed else f" (it already was {word})"
        return [(f"provider {self.provider.name!r} is {word}{already}",)]


class ProviderRemoved(_Outcome):
    """`provider remove`; with --delete-app, what became of its Duo application
    (``app_deleted`` None: not attempted, or it failed and the error says so)."""

    __slots__ = ("app", "app_deleted", "keep_secret", "removal")
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def __init__(
        self,
        removal: Removal,
        keep_secret: bool,
        app: AppDeletion | None = None,
        app_deleted: bool | None = None,
    ) -> None:
        self.removal = removal
        self.keep_secret = keep_secret
        self.app = app
        self.app_deleted = app_deleted

    def with_app_deleted(self, deleted: bool) -> ProviderRemoved:
        return ProviderRemoved(self.removal, self.keep_secret, self.app, deleted)

    def to_dict(self) -> dict[str, Any]:
        r = self.removal
        # As `provider show` would have shown it now: the secret gone, or not asked about.
        present = None if self.keep_secret else False
        view = ProviderView(r.provider, present, store=r.store, backend=r.backend)
        return {
            "changed": True,
            "provider": view.to_dict(),
            "secret_deleted": r.secret_deleted,
            "secret_kept": self.keep_secret,
            "duo_application": None if self.app is None else self._app_dict(self.app),
        }

    def _app_dict(self, app: AppDeletion) -> dict[str, Any]:
        return {
            "integration_key": app.integration_key,
            "name": app.duo_name,
            "deleted": bool(self.app_deleted),
            "already_gone": self.app_deleted is False,
        }

    def rows(self) -> list[tuple[str]]:
        r = self.removal
        if self.keep_secret:
            detail = "; its secret store was not touched (--keep-secret)"
        elif r.secret_deleted:
            detail = f" and its secret from {r.store}"
        else:
            detail = f"; it had no secret in {r.store}"
        lines = [(f"removed provider {r.provider.name!r}{detail}",)]
        if self.app is not None and self.app_deleted:
            app = self.app
            lines.append((f"deleted the Duo application {app.duo_name!r} ({app.integration_key})",))
        elif self.app is not None and self.app_deleted is False:
            lines.append((f"the Duo application {self.app.integration_key} was already gone",))
        return lines


def delete_app_after(
    path: Path, session: AdminSession, removed: ProviderRemoved
) -> tuple[ProviderRemoved, DuoctlError | None]:
    """`remove --delete-app`'s second step, once the provider is gone: the result, and the
    failure to raise after it is said (the removal stands; the error names what remains).
    Under --json the failure carries the result as its data: one envelope holds both."""
    from duoctl.admin.provision import delete_app
    from duoctl.errors import DuoctlError, Interrupted

    app = removed.app
    assert app is not None  # only called for --delete-app
    if not app.exists:
        return removed.with_app_deleted(False), None
    try:
        gone = delete_app(path, session, app, removed.removal.provider.name)
    except DuoctlError as exc:
        exc.data = exc.data if exc.data is not None else removed.to_dict()
        return removed, exc
    except KeyboardInterrupt:
        # The removal stands and is said; the generic "nothing was changed" would hide it.
        return removed, Interrupted(
            f"interrupted (Ctrl+C) while Duo was deleting the application {app.duo_name!r} "
            f"({app.integration_key})",
            hint="the provider was removed; the application may remain: look for it in the "
            "Duo Admin Panel (Applications) and delete it if it is there",
            data=removed.to_dict(),
        )
    return removed.with_app_deleted(gone), None
