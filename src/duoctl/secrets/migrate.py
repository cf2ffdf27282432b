"""``duoctl secrets migrate``: move every provider's secret to another backend.

The config's ``[secrets] backend`` says where duoctl looks, so a move is ordered around that
one switch, and a kill at any point leaves every secret retrievable where the config points:

0. name the source in ``[secrets] backend`` if it says ``auto``;
1. under the config lock (no add or rotation can slip in between), copy each secret to the
   target and read it back: the same value, or the move stops with nothing switched;
2. switch ``[secrets] backend`` to the target, noting ``migrating_from = <source>`` (one
   atomic config write);
3. only then delete the copies in the source, and drop ``migrating_from``.

Interrupted before 2, the source still holds everything and the config still names it;
after 2, the target does. Running the same command again after an interruption in 3
finishes it: ``migrating_from`` says where the leftovers are.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duoctl.audit.record import FINGERPRINT_KEY_NAME
from duoctl.config.edit import edit_config
from duoctl.errors import SecretStoreError
from duoctl.secrets import ADMIN_SKEY_ENTRY, SecretStore

# duoctl's own entries in a store (not providers'), moved along by a migration.
_INTERNAL_ENTRIES = (FINGERPRINT_KEY_NAME, ADMIN_SKEY_ENTRY)


@dataclass
class MigrationReport:
    """What a move did; also `secrets migrate`'s result (duoctl.output.render), whose text
    is one summary line on stderr."""

    source: str
    target: str
    copied: list[str] = field(default_factory=list)  # written to the target and verified
    already: list[str] = field(default_factory=list)  # the target held the same value
    missing: list[str] = field(default_factory=list)  # no secret in the source
    deleted: list[str] = field(default_factory=list)  # removed from the source afterwards
    left_in_source: list[str] = field(default_factory=list)  # could not be removed
    # The source held copies a move to it left when stopped before switching, and the
    # secrets stayed in the target (drop_abandoned_copies).
    abandoned: bool = False

    headers = None
    empty = ""

    @property
    def notes(self) -> tuple[str, ...]:
        if self.abandoned:
            return (
                f"the secrets stay in {self.target}; removed {len(self.deleted)} copies that "
                f"an interrupted move to {self.source} had left there",
            )
        if self.source == self.target:
            return (f"the secrets are already in {self.target}; nothing to move",)
        return (
            f"moved {len(self.copied)} secret(s) from {self.source} to {self.target} "
            f"({len(self.already)} already there, {len(self.missing)} had none); "
            f"deleted {len(self.deleted)} from {self.source}",
        )

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(
            f"the secret of {name!r} is still in {self.source}: run the same command again"
            for name in self.left_in_source
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "copied": self.copied,
            "already_in_target": self.already,
            "missing": self.missing,
            "deleted_from_source": self.deleted,
            "left_in_source": self.left_in_source,
        }

    def rows(self) -> list[tuple[str, ...]]:
        return []  # the summary (a note) is all the text: nothing for stdout


def migrate_secrets(
    config_path: Path,
    source: SecretStore,
    target: SecretStore,
    *,
    source_name: str,
    target_name: str,
    on_step: Callable[[str], None] = lambda _message: None,
) -> MigrationReport:
    report = MigrationReport(source=source_name, target=target_name)
    # Both stores answer before anything changes: a dead target must not half-run.
    source.backend()
    target.backend()
    with edit_config(config_path) as edit:
        # "auto" would choose a file backend as soon as its first file exists: name the
        # source explicitly before any copy is made, so a kill mid-copy cannot swing it. And
        # say where copies are about to appear: a run killed before the switch leaves them
        # there, and a later run (to either backend) must know to finish or remove them.
        pending: dict[str, str | None] = {}
        if edit.before.secrets_backend == "auto":
            pending["backend"] = source_name
        if edit.before.secrets_migrating_to != target_name:
            pending["migrating_to"] = target_name
        if pending:
            edit.set_secrets(**pending)
    with edit_config(config_path) as edit:
        for name in edit.before.providers:
            secret = source.get(name)
            if secret is None:
                if target.get(name) is not None:
                    report.already.append(name)  # an earlier run moved it and cleaned up
                else:
                    report.missing.append(name)
                continue
            if target.get(name) == secret:
                report.already.append(name)
                continue
            target.set(name, secret)
            if target.get(name) != secret:
                raise SecretStoreError(
                    f"the secret of provider {name!r} did not read back from {target_name} "
                    "as written; nothing was switched",
                    hint=f"the config still uses {source_name}; run 'duoctl doctor'",
                )
            report.copied.append(name)
            edit.note_secret(name, f"copied to {target_name}")
            on_step(f"copied {name!r} to {target_name}")
        _move_internal_entries(source, target)
        edit.set_secrets(backend=target_name, migrating_from=source_name, migrating_to=None)
    on_step(f"the config now uses {target_name}")
    for name in [*report.copied, *report.already]:
        try:
            if source.get(name) is not None and source.delete(name):
                report.deleted.append(name)
        except SecretStoreError:
            report.left_in_source.append(name)
    if not report.left_in_source:
        _delete_internal_entries(source)
        with edit_config(config_path) as edit:
            if edit.before.secrets_migrating_from is not None:
                edit.set_secrets(migrating_from=None)
    return report


def _move_internal_entries(source: SecretStore, target: SecretStore) -> None:
    """duoctl's own entries move with the secrets: the audit trail's fingerprint key (records
    written after the move must stay comparable with those before it) and the Admin API
    secret key."""
    for entry in _INTERNAL_ENTRIES:
        value = source.get(entry)
        if value is not None and target.get(entry) != value:
            target.set(entry, value)


def _delete_internal_entries(store: SecretStore) -> None:
    for entry in _INTERNAL_ENTRIES:
        with contextlib.suppress(SecretStoreError):
            store.delete(entry)


def source_for(
    target: str, *, named: str | None, in_use: str, migrating_from: str | None
) -> str | None:
    """Where to move from: as named, else an interrupted move's source, else the store in use.

    None when there is nothing to move (the secrets are already in ``target``).
    """
    if named is not None:
        return named
    if in_use == target and migrating_from is not None:
        return migrating_from  # finish what an interrupted run started
    return None if in_use == target else in_use


def drop_abandoned_copies(
    config_path: Path, stale: SecretStore, *, stale_name: str, current_name: str
) -> MigrationReport:
    """Delete the copies a move to ``stale_name`` left there when it was stopped before
    switching; the secrets stay where the config points (``current_name``)."""
    report = MigrationReport(source=stale_name, target=current_name, abandoned=True)
    with edit_config(config_path) as edit:
        for name in edit.before.providers:
            try:
                if stale.delete(name):
                    report.deleted.append(name)
            except SecretStoreError:
                report.left_in_source.append(name)
        if not report.left_in_source:
            _delete_internal_entries(stale)
            edit.set_secrets(migrating_to=None)
    return report
