"""The write commands' result types (duoctl.outcomes): the --json data and the text, unit by
unit; the console tests (test_write_json.py) check them through the real `duoctl`."""

from __future__ import annotations

from typing import Any

import pytest

from duoctl.admin.provision import AppDeletion
from duoctl.config.model import Provider
from duoctl.mfa import FAILMODE_OPEN_WARNING, MfaStatus
from duoctl.outcomes import mfa as mfa_outcome
from duoctl.outcomes.provider import (
    ProviderAdded,
    ProviderEdited,
    ProviderRemoved,
    ProviderSwitched,
)
from duoctl.output import Said
from duoctl.platform_url import UNSET_WARNING
from duoctl.providers import ProviderView, Removal
from foundation.helpers import CLIENT_ID, ENDPOINT

PROD = Provider("prod", ENDPOINT, CLIENT_ID, enabled=True)
STORE = "the OS keyring (keyring.backends.SecretService.Keyring)"


def _provider(**changes: Any) -> dict[str, Any]:
    shown = {
        "name": "prod",
        "type": "duo",
        "enabled": True,
        "endpoint": ENDPOINT,
        "client_id": CLIENT_ID,
        "ca_bundle": None,
        "secret_present": None,
        "secret_backend": None,
        "secret_store": None,
        "warnings": [],
    }
    return {**shown, **changes}


def test_added_is_the_provider_as_show_shows_it_and_one_line() -> None:
    view = ProviderView(PROD, True, warnings=("odd host",), store=STORE, backend="keyring")
    added = ProviderAdded(view)
    assert added.to_dict() == {"changed": True, "provider": view.to_dict()}
    assert added.to_dict()["provider"] == _provider(
        secret_present=True, secret_store=STORE, secret_backend="keyring", warnings=["odd host"]
    )
    assert added.rows() == [(f"added provider 'prod' (enabled); secret stored in {STORE}",)]
    assert added.warnings == ("odd host",)
    # The endpoint warning is about what was typed: said before the outcome.
    assert isinstance(added, Said)
    assert added.remarks_first


def test_added_disabled_says_so() -> None:
    added = ProviderAdded(ProviderView(PROD._replace(enabled=False), True, store=STORE))
    assert added.rows() == [(f"added provider 'prod' (disabled); secret stored in {STORE}",)]


def test_an_edit_names_the_fields_it_changed_and_a_rotation() -> None:
    moved = PROD._replace(client_id="DIZZZZZZZZZZZZZZZZZZ")
    view = ProviderView(moved, True, store=STORE, backend="keyring", changed_fields=("client_id",))
    edited = ProviderEdited(view, secret_rotated=True)
    assert edited.to_dict() == {
        "changed": True,
        "changed_fields": ["client_id"],
        "secret_rotated": True,
        "provider": _provider(
            client_id="DIZZZZZZZZZZZZZZZZZZ",
            secret_present=True,
            secret_store=STORE,
            secret_backend="keyring",
        ),
    }
    assert edited.rows() == [(f"updated provider 'prod'; secret rotated in {STORE}",)]


def test_an_edit_that_changed_nothing_says_so() -> None:
    view = ProviderView(PROD, None, notes=("normalised",), changed=False)
    edited = ProviderEdited(view, secret_rotated=False)
    assert edited.to_dict()["changed"] is False
    assert edited.to_dict()["changed_fields"] == []
    assert edited.rows() == [("provider 'prod' already had those values; nothing changed",)]
    assert edited.notes == ("normalised",)


@pytest.mark.parametrize(
    ("enabled", "changed", "line"),
    [
        (True, True, "provider 'prod' is enabled"),
        (False, True, "provider 'prod' is disabled"),
        (False, False, "provider 'prod' is disabled (it already was disabled)"),
    ],
)
def test_a_switch_says_whether_it_changed(enabled: bool, changed: bool, line: str) -> None:
    switched = ProviderSwitched(PROD._replace(enabled=enabled), changed)
    assert switched.to_dict() == {"changed": changed, "provider": _provider(enabled=enabled)}
    assert switched.rows() == [(line,)]
    assert switched.warnings == ()
    assert not switched.remarks_first


@pytest.mark.parametrize(
    ("deleted", "keep", "present", "line"),
    [
        (True, False, False, f"removed provider 'prod' and its secret from {STORE}"),
        (False, False, False, f"removed provider 'prod'; it had no secret in {STORE}"),
        (
            False,
            True,
            None,
            "removed provider 'prod'; its secret store was not touched (--keep-secret)",
        ),
    ],
)
def test_a_removal_says_what_became_of_the_secret(
    deleted: bool, keep: bool, present: bool | None, line: str
) -> None:
    store, backend = (None, None) if keep else (STORE, "keyring")
    removed = ProviderRemoved(Removal(PROD, deleted, store, backend), keep_secret=keep)
    assert removed.to_dict() == {
        "changed": True,
        "provider": _provider(secret_present=present, secret_store=store, secret_backend=backend),
        "secret_deleted": deleted,
        "secret_kept": keep,
        "duo_application": None,
    }
    assert removed.rows() == [(line,)]


APP = AppDeletion(CLIENT_ID, "PAM production")


@pytest.mark.parametrize(
    ("app_deleted", "app_dict", "app_line"),
    [
        (True, {"deleted": True, "already_gone": False},
         f"deleted the Duo application 'PAM production' ({CLIENT_ID})"),
        (False, {"deleted": False, "already_gone": True},
         f"the Duo application {CLIENT_ID} was already gone"),
        (None, {"deleted": False, "already_gone": False}, None),  # its deletion failed
    ],
)  # fmt: skip
def test_a_removal_with_its_duo_application(
    app_deleted: bool | None, app_dict: dict[str, bool], app_line: str | None
) -> None:
    removal = Removal(PROD, True, STORE, "keyring")
    removed = ProviderRemoved(removal, keep_secret=False, app=APP, app_deleted=app_deleted)
    assert removed.to_dict()["duo_application"] == {
        "integration_key": CLIENT_ID,
        "name": "PAM production",
        **app_dict,
    }
    first = (f"removed provider 'prod' and its secret from {STORE}",)
    assert removed.rows() == [first] + ([(app_line,)] if app_line else [])


def _status(enabled: bool, failmode: str | None) -> MfaStatus:
    same_site = "Lax" if enabled else "Strict"
    return MfaStatus(enabled, same_site, ("prod",), ("from mfa status",), failmode)


def test_mfa_enabled_is_the_status_after_and_the_risks_of_it() -> None:
    after = _status(True, "open")
    result = mfa_outcome.enabled(after, platform_url_set=False)
    assert result.to_dict() == {"changed": True, "mfa": after.to_dict()}
    assert result.to_dict()["mfa"]["failmode"] == "open"
    assert result.rows() == [
        ("external MFA is enabled; session cookie SameSite is now Lax (was Strict); failmode open",)
    ]
    # Not the status's own warnings (`mfa status`'s): what this change risks.
    assert result.warnings == (FAILMODE_OPEN_WARNING, UNSET_WARNING)
    assert mfa_outcome.enabled(_status(True, "closed"), platform_url_set=True).warnings == ()


@pytest.mark.parametrize(
    ("result", "changed", "line", "warnings"),
    [
        (mfa_outcome.unchanged(_status(True, "open")), False,
         "external MFA is already enabled; nothing changed", ()),
        (mfa_outcome.unchanged(_status(False, None)), False,
         "external MFA is already disabled; nothing changed", ()),
        (mfa_outcome.failmode_while_enabled(_status(True, "open")), True,
         "external MFA is already enabled; failmode is now open", (FAILMODE_OPEN_WARNING,)),
        (mfa_outcome.disabled(_status(False, "closed")), True,
         "external MFA is disabled; session cookie SameSite is Strict", ()),
        (mfa_outcome.failmode_set(_status(False, "closed"), False), False,
         "failmode is closed: while Duo cannot be reached, nobody can log in (users are "
         "locked out)", ()),
    ],
)  # fmt: skip
def test_each_mfa_change_says_one_line(
    result: mfa_outcome.MfaChanged, changed: bool, line: str, warnings: tuple[str, ...]
) -> None:
    assert result.to_dict() == {"changed": changed, "mfa": result.status.to_dict()}
    assert result.rows() == [(line,)]
    assert result.warnings == warnings


def test_failmode_shown_is_a_read_on_stdout() -> None:
    shown = mfa_outcome.FailmodeShown("closed")
    assert not isinstance(shown, Said)
    assert shown.to_dict() == {
        "failmode": "closed",
        "consequence": "while Duo cannot be reached, nobody can log in (users are locked out)",
    }
    assert shown.rows() == [
        (
            "failmode",
            "closed: while Duo cannot be reached, nobody can log in (users are locked out)",
        )
    ]
    unset = mfa_outcome.FailmodeShown(None)
    assert unset.to_dict() == {"failmode": None, "consequence": None}
    assert unset.rows() == [("failmode", "not set")]
