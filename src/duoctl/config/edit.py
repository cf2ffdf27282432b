"""Editing the TOML config file.

Edits run under an exclusive lock, keep the user's comments, ordering and unknown keys
(line edits where exact, tomlkit otherwise), are validated as a whole before anything is
written, and replace the file atomically, 0600.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duoctl.config.audit_hook import forward_record, record_change, record_failure
from duoctl.config.line_edits import (
    LineEditFailed,
    header_paths,
    is_line_local,
    newline_of,
    remove_table,
    render_value,
    set_keys,
    split_table,
)
from duoctl.config.locked_write import (
    ensure_private_dir,
    exclusive_lock,
    remove_stale_temp_files,
    write_atomic,
)
from duoctl.config.model import (
    SCHEMA_VERSION,
    Config,
    Provider,
    config_after_change,
)
from duoctl.config.reader import parsed_config, read_text, refuse_non_regular
from duoctl.errors import ConfigError

NEW_FILE_HEADER = (
    "# duoctl configuration: Duo Security MFA providers and the external-MFA system parameter.\n"
    "# Secrets are never stored here: they live in a secret store (see [secrets] in\n"
    "# config.example.toml).\n"
)
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def provider_table_key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else f'"{name}"'


def render_provider_block_fields(name: str, fields: dict[str, bool | str | None]) -> str:
    lines = [f"[providers.{provider_table_key(name)}]"]
    lines += [
        f"{key} = {render_value(value)}" for key, value in fields.items() if value is not None
    ]
    return "\n".join(lines) + "\n"


class ConfigEdit:
    """One locked read-modify-write of the config, produced by :func:`edit_config`.

    Changes are recorded, then :meth:`render` applies them twice over: to the parsed data
    (what the file must mean afterwards) and to the text, by line edits that leave every
    other byte alone (:mod:`duoctl.config.line_edits`). The file is parsed and validated
    once, when it is read: when every line stands on its own, each edit is proven by parsing
    only the lines it touched; otherwise the whole edited text is parsed. If it does not
    parse to exactly the expected data, tomlkit redoes the edit on a document; if even that
    does not match, nothing is written.
    """

    def __init__(self, path: Path, text: str | None) -> None:
        self.path = path
        self.original = text
        # The one parse and check of this edit; _expected_data() copies before it changes.
        self._data: dict[str, Any]
        self.before: Config
        # Whether the parse itself showed that every line stands on its own.
        self._line_local = False
        if text is None:
            self._data, self.before = {}, Config(path=path, exists=False)
        else:
            self._data, self.before, self._line_local = parsed_config(path, text)
        self._changes: list[_Change] = []
        # Secret changes made under this lock, for the audit record: never the secret.
        self.secret_events: list[dict[str, str]] = []
        # What was done in Duo through the Admin API (an application created or deleted).
        self.duo_events: list[dict[str, str]] = []
        self.recorded: dict[str, Any] | None = None  # the audit record, once appended
        self._recorded_text: str | None = None
        # render()'s result and how many changes it covers: record_now() and the final
        # write render the same changes, and on 10,000 providers each render costs.
        self._rendered: tuple[int, str, dict[str, Any]] | None = None

    def add_provider(self, provider: Provider) -> None:
        if provider.name in self.before.providers or any(
            c.kind == "add" and c.name == provider.name for c in self._changes
        ):
            raise ConfigError(
                f"a provider named {provider.name!r} already exists in {self.path}",
                hint="choose another name, or use 'duoctl provider edit'",
            )
        self._changes.append(_Change("add", provider.name, _provider_fields(provider)))

    def remove_provider(self, name: str) -> None:
        self.before.provider(name)
        self._changes.append(_Change("remove", name, {}))

    def update_provider(self, name: str, **changes: bool | str | None) -> None:
        self.before.provider(name)
        self._changes.append(_Change("update", name, changes))

    def set_external_mfa(self, enabled: bool) -> None:
        self._changes.append(_Change("table", "external_mfa", {"enabled": enabled}))

    def set_failmode(self, failmode: str) -> None:
        self._changes.append(_Change("table", "external_mfa", {"failmode": failmode}))

    def set_secrets(self, **fields: str | None) -> None:
        """Set keys of [secrets]; None removes one."""
        self._changes.append(_Change("table", "secrets", dict(fields)))

    def set_table(self, table: str, **fields: bool | str | None) -> None:
        """Set keys of a top-level table ([platform], [audit]); None removes one."""
        self._changes.append(_Change("table", table, dict(fields)))

    def note_secret(
        self,
        provider: str,
        action: str,
        fingerprint: str | None = None,
        *,
        target: str | None = None,
    ) -> None:
        """Record, for the audit trail, that a provider's secret was stored, rotated or
        deleted under this edit; ``fingerprint`` comes from
        :func:`duoctl.audit.record.fingerprint`, never the secret itself. ``target`` names
        what a secret that is not a provider's belongs to ("[admin]")."""
        event = {"provider": provider, "action": action}
        if fingerprint is not None:
            event["fingerprint"] = fingerprint
        if target is not None:
            event["target"] = target
        self.secret_events.append(event)

    def note_duo(self, action: str, integration_key: str, name: str, provider: str) -> None:
        """Record, for the audit trail, an application ``action`` ("created", "deleted") in
        Duo through the Admin API, for ``provider``; it has no config change of its own."""
        self.duo_events.append(
            {
                "action": action,
                "integration_key": integration_key,
                "name": name,
                "provider": provider,
            }
        )

    def record_now(self) -> None:
        """Append the audit record of this edit now, before a secret-store call it describes.

        A secret change has no config write to follow it, so the record must come first: a
        kill during the store call then leaves the record, never the change without it. If
        the call fails, :func:`edit_config` appends a record of the failure that voids it.
        """
        text, data = self.render()
        self.validated(data)
        self.recorded = record_change(self, text, data)
        self._recorded_text = text

    def targets(self) -> list[str]:
        """What this edit touches, as audit records name it: "provider NAME", "[table]"."""
        found = [
            f"[{c.name}]" if c.kind == "table" else f"provider {c.name}" for c in self._changes
        ]
        found += [e.get("target") or f"provider {e['provider']}" for e in self.secret_events]
        found += [f"provider {e['provider']}" for e in self.duo_events]
        return list(dict.fromkeys(found))

    def original_data(self) -> dict[str, Any]:
        return self._data

    def touched(self, data: dict[str, Any]) -> dict[str, Any]:
        """The parts of ``data`` this edit's changes touch (and schema_version): what the
        audit record diffs. Diffing 1,000 untouched providers would cost ~10 ms a write."""
        part: dict[str, Any] = {}
        if "schema_version" in data:
            part["schema_version"] = data["schema_version"]
        providers = data.get("providers", {})
        for change in self._changes:
            if change.kind == "table":
                if change.name in data:
                    part[change.name] = data[change.name]
            elif change.name in providers:
                part.setdefault("providers", {})[change.name] = providers[change.name]
        return part

    def after(self) -> Config:
        """The config as it will be once the recorded changes are written."""
        return self.validated(self._expected_data())

    def validated(self, data: dict[str, Any]) -> Config:
        """``data`` (this edit's result) through a load's checks; providers this edit does
        not touch were checked when the file was read and are not checked again."""
        touched = {c.name for c in self._changes if c.kind != "table"}
        return config_after_change(self.before, data, touched)

    def render(self) -> tuple[str, dict[str, Any]]:
        """The new file text and what it parses to; ConfigError rather than a text that is off.

        A text proven by its edited lines is not parsed at all; any other candidate text is
        parsed once, and that parse is also what the caller validates: on a 10,000-provider
        file every tomllib pass costs 150-200 ms.
        """
        if self._rendered is not None and self._rendered[0] == len(self._changes):
            return self._rendered[1], self._rendered[2]
        text, data = self._render()
        self._rendered = (len(self._changes), text, data)
        return text, data

    def _render(self) -> tuple[str, dict[str, Any]]:
        expected = self._expected_data()
        base = self.original if self.original is not None else NEW_FILE_HEADER
        proven = _apply_by_lines_proven(
            base, self._changes, self._data, expected, line_local=self._line_local
        )
        if proven is not None:
            return proven
        try:
            text: str | None = _apply_by_lines(base, self._changes)
        except LineEditFailed:
            text = None
        if text is None or _loads_or_none(text) != expected:
            text = self._apply_with_tomlkit(base)
            if _loads_or_none(text) != expected:
                raise ConfigError(
                    f"cannot edit {self.path} safely: the result would not match the change",
                    hint="the file was left untouched; rewrite the providers as "
                    "[providers.NAME] tables (see config.example.toml)",
                )
        if "schema_version" in expected:
            return text, expected
        text = _with_schema_version(text)
        data = _loads_or_none(text)
        if data is None or data != {"schema_version": SCHEMA_VERSION, **expected}:
            raise ConfigError(f"cannot add schema_version to {self.path} safely")
        return text, data

    def _expected_data(self) -> dict[str, Any]:
        # Copies only what a change touches: a deep copy of 1,000 providers costs ~15 ms.
        data = dict(self._data)
        for change in self._changes:
            if change.kind == "table":
                table = {**data.get(change.name, {}), **change.fields}
                data[change.name] = {k: v for k, v in table.items() if v is not None}
                continue
            providers = data["providers"] = dict(data.get("providers", {}))
            if change.kind == "add":
                providers[change.name] = {k: v for k, v in change.fields.items() if v is not None}
            elif change.kind == "remove":
                del providers[change.name]
            else:
                entry = providers[change.name] = dict(providers[change.name])
                for key, value in change.fields.items():
                    if value is None:
                        entry.pop(key, None)
                    else:
                        entry[key] = value
        return _without_empty_providers(data)

    def _apply_with_tomlkit(self, base: str) -> str:
        import tomlkit
        import tomlkit.exceptions

        try:
            doc = tomlkit.parse(base)
            for change in self._changes:
                if change.kind == "table":
                    if change.name not in doc:
                        doc[change.name] = tomlkit.table()
                    for key, value in change.fields.items():
                        if value is not None:
                            doc[change.name][key] = value
                        elif key in doc[change.name]:
                            del doc[change.name][key]
                    continue
                if "providers" not in doc:
                    doc["providers"] = tomlkit.table(is_super_table=True)
                providers: Any = doc["providers"]
                if change.kind == "add":
                    table = tomlkit.table()
                    for key, value in change.fields.items():
                        if value is not None:
                            table[key] = value
                    providers[change.name] = table
                elif change.kind == "remove":
                    del providers[change.name]
                else:
                    entry = providers[change.name]
                    for key, value in change.fields.items():
                        if value is None:
                            if key in entry:
                                del entry[key]
                        else:
                            entry[key] = value
            return doc.as_string()
        except (tomlkit.exceptions.TOMLKitError, ValueError, KeyError, TypeError) as exc:
            # e.g. providers written as an inline table, which cannot take a [table].
            raise ConfigError(
                f"cannot edit {self.path} automatically ({type(exc).__name__}: {exc})",
                hint="the file was left untouched; write providers as [providers.NAME] tables "
                "(see config.example.toml)",
            ) from None


@dataclass(frozen=True)
class _Change:
    kind: str  # "add", "remove", "update" (a provider) or "table" (a top-level table)
    name: str  # the provider, or the table
    fields: dict[str, bool | str | None]


def _provider_fields(provider: Provider) -> dict[str, bool | str | None]:
    return {
        "type": provider.type,
        "enabled": provider.enabled,
        "endpoint": provider.endpoint,
        "client_id": provider.client_id,
        "ca_bundle": provider.ca_bundle,
    }


def _loads_or_none(text: str) -> dict[str, Any] | None:
    try:
        return _without_empty_providers(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, RecursionError):  # nested too deeply: no match either
        return None


def _without_empty_providers(data: dict[str, Any]) -> dict[str, Any]:
    # Removing the last provider may or may not leave an empty [providers] table behind,
    # depending on how the file spelled it; both mean the same.
    if data.get("providers") == {}:
        del data["providers"]
    return data


def _apply_by_lines(text: str, changes: list[_Change]) -> str:
    for change in changes:
        if change.kind == "add":
            # Appending keeps every byte before it; a provider block is self-contained.
            nl = newline_of(text)
            if text and not text.endswith(("\n", "\r")):
                text += nl
            block = render_provider_block_fields(change.name, change.fields)
            text += nl + block.replace("\n", nl)
        elif change.kind == "remove":
            text = remove_table(text, ("providers", change.name))
        elif change.kind == "update":
            text = set_keys(text, ("providers", change.name), change.fields)
        else:
            text = set_keys(text, (change.name,), change.fields)
    return text


_ABSENT = object()


def _value_at(data: dict[str, Any], path: tuple[str, ...]) -> object:
    value: object = data
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return _ABSENT
        value = value[key]
    return value


def _nested(path: tuple[str, ...], value: object) -> object:
    for key in reversed(path):
        value = {key: value}
    return value


def _change_path(change: _Change) -> tuple[str, ...]:
    return (change.name,) if change.kind == "table" else ("providers", change.name)


def _providers_by_header(text: str, before: dict[str, Any]) -> bool:
    """True when a [providers.NAME] table may be appended: no ``providers`` yet, or one
    opened by a header (not an inline table or dotted keys, which cannot be extended)."""
    if "providers" not in before:
        return True
    return any(p[0] == "providers" for p in header_paths(text.splitlines(keepends=True)))


def _apply_by_lines_proven(
    text: str,
    changes: list[_Change],
    before: dict[str, Any],
    expected: dict[str, Any],
    *,
    line_local: bool = False,
) -> tuple[str, dict[str, Any]] | None:
    """The line-edited text and its data, proven without parsing the whole text; None when
    that cannot be shown this way (the caller then parses the result).

    In a line-local text (:func:`is_line_local`) a table's lines hold all of it. Each change
    is proven on those lines alone: before the edit they parse to the table's old value,
    after it to the expected one, and no other change touches the same table. A new table
    is appended only where it cannot clash: absent until now, and, for a provider, under a
    [providers...] header rather than an inline or dotted-key ``providers``.
    """
    paths = [_change_path(change) for change in changes]
    if len(set(paths)) != len(paths) or any(len(p) == 1 and p[0] == "providers" for p in paths):
        return None
    # ``line_local``: the text was read by config/line_local_toml.py, which reads only
    # texts is_line_local accepts (or refuses on sight for a '"""' in a comment or a string).
    if not line_local and not is_line_local(text):
        return None
    for change, path in zip(changes, paths, strict=True):
        old, new = _value_at(before, path), _value_at(expected, path)
        try:
            if old is _ABSENT:
                # The line-local parser reads no inline table and no dotted key: in a file
                # it read, ``providers`` (a table, or the check refused it) has headers.
                if path[0] == "providers" and not (
                    line_local or _providers_by_header(text, before)
                ):
                    return None
                edited = _apply_by_lines(text, [change])
                head, table, tail = text, edited[len(text) :], ""  # appended at the end
            else:
                parts = split_table(text, path)
                if parts is None or _loads_or_none(parts[1]) != _nested(path, old):
                    return None  # not all of the table is on its lines
                head, old_table, tail = parts
                # Edited on its own lines: the rest of the file is not scanned again.
                table = "" if change.kind == "remove" else _apply_by_lines(old_table, [change])
        except LineEditFailed:
            return None
        # A removed table leaves nothing to check: a valid file defines a table once.
        if new is not _ABSENT and _loads_or_none(table) != _nested(path, new):
            return None
        text = head + table + tail
    if "schema_version" in expected:
        return text, expected
    if "schema_version" in before:
        return None
    # Line-local: the first line that is not a comment is a header or a top-level key.
    return _with_schema_version(text), {"schema_version": SCHEMA_VERSION, **expected}


def _with_schema_version(text: str) -> str:
    """Insert ``schema_version`` before the first key or table (the file lacks one).

    Inserting ahead of the first non-comment line keeps it a top-level key and leaves every
    other byte where it was.
    """
    # Split at "\n" only: str.splitlines also breaks at U+2028, NEL and others, which TOML
    # leaves inside a comment, and the key would land in the middle of that comment.
    lines = text.split("\n")
    lines = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    index = 0
    while index < len(lines) and (
        not lines[index].strip() or lines[index].lstrip().startswith("#")
    ):
        index += 1
    nl = newline_of(text)
    lines.insert(index, f"schema_version = {SCHEMA_VERSION}{nl}{nl}")
    return "".join(lines)


@contextlib.contextmanager
def edit_config(path: Path) -> Iterator[ConfigEdit]:
    """Lock, read, hand out a :class:`ConfigEdit`, then validate and write atomically.

    If the block raises, nothing is written. A symlinked config is edited where it points:
    the lock and the temp file sit beside the target, and the link stays a link (replacing
    it with a regular file would silently fork the config from what others read).
    """
    if path.is_symlink():
        path = path.resolve()
    refuse_non_regular(path)
    ensure_private_dir(path.parent)
    with exclusive_lock(path):
        remove_stale_temp_files(path)
        edit = ConfigEdit(path, read_text(path))
        try:
            yield edit
            text, data = edit.render()
            after = edit.validated(data)  # the new file must pass a load's checks
        except BaseException as exc:
            record_failure(edit, exc)
            raise
        changed = text != edit.original
        stale = edit.recorded is not None and text != edit._recorded_text
        if (edit.recorded is None or stale) and (changed or edit.secret_events or edit.duo_events):
            # The record first, fsynced: a kill before the config write leaves a record
            # whose change never landed (shown as incomplete), never a change without one.
            edit.recorded = record_change(edit, text, data)
        if changed:
            try:
                write_atomic(path, text.encode("utf-8"))
            except BaseException as exc:
                record_failure(edit, exc)  # voids the record before it
                raise
        if edit.recorded is not None:
            forward_record(after, edit.recorded)
