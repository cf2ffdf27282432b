"""Reading and editing the TOML config file.

Reads use stdlib ``tomllib`` (fast, strict). Edits run under an exclusive lock, keep the
user's comments, ordering and unknown keys (tomlkit, or a plain append for ``add``), are
validated as a whole before anything is written, and replace the file atomically, 0600.
"""

from __future__ import annotations

import contextlib
import os
import re
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duoctl.config.atomic import ensure_private_dir, exclusive_lock, write_atomic
from duoctl.config.model import SCHEMA_VERSION, Config, Provider, config_from_data
from duoctl.errors import ConfigError

if TYPE_CHECKING:
    import tomlkit.toml_document

NEW_FILE_HEADER = (
    "# duoctl configuration: Duo Security MFA providers and the external-MFA system parameter.\n"
    "# Secrets are never stored here: they live in the OS keyring. See config.example.toml.\n"
)
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _read_text(path: Path) -> str | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a directory, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"cannot parse {path}: not UTF-8 text (byte {exc.start})",
            hint="the file was left untouched; fix or restore it",
        ) from None


def _parse_fast(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already ends with "(at line L, column C)".
        raise ConfigError(
            f"cannot parse {path}: {exc}",
            hint="the file was left untouched; fix the TOML syntax at that line and column",
        ) from None


def load_config(path: Path) -> Config:
    """Read-only load; a missing file is an empty config (``exists=False``)."""
    text = _read_text(path)
    if text is None:
        return Config(path=path, exists=False)
    return config_from_data(path, _parse_fast(path, text))


def provider_table_key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else f'"{name}"'


def render_provider_block(provider: Provider) -> str:
    lines = [
        f"[providers.{provider_table_key(provider.name)}]",
        f'type = "{provider.type}"',
        f"enabled = {'true' if provider.enabled else 'false'}",
        f'endpoint = "{provider.endpoint}"',
        f'client_id = "{provider.client_id}"',
    ]
    if provider.ca_bundle is not None:
        import tomlkit

        lines.append(f"ca_bundle = {tomlkit.string(provider.ca_bundle).as_string()}")
    return "\n".join(lines) + "\n"


class ConfigEdit:
    """One locked read-modify-write of the config, produced by :func:`edit_config`.

    Mutations are recorded as text (an append) or on a tomlkit document (anything else);
    :meth:`render` produces the new file text, which the caller validates before writing.
    """

    def __init__(self, path: Path, text: str | None) -> None:
        self.path = path
        self.original = text
        self._data: dict[str, Any] = {} if text is None else _parse_fast(path, text)
        self.before: Config = (
            Config(path=path, exists=False) if text is None else config_from_data(path, self._data)
        )
        self._appended: list[str] = []
        self._pending_add: Provider | None = None
        self._doc: tomlkit.toml_document.TOMLDocument | None = None

    # -- tomlkit document, parsed lazily: it costs ~0.5 s on a 1,000-provider file --
    def _document(self) -> tomlkit.toml_document.TOMLDocument:
        import tomlkit
        import tomlkit.exceptions

        if self._doc is None:
            # Appends recorded so far are folded in before the document takes over.
            text = self.original if self.original is not None else NEW_FILE_HEADER
            text += "".join(self._appended)
            self._appended = []
            self._pending_add = None
            try:
                self._doc = tomlkit.parse(text)
            except tomlkit.exceptions.ParseError as exc:
                raise ConfigError(f"cannot parse {self.path}: {exc}") from None
        return self._doc

    def _providers_table(self) -> Any:
        import tomlkit

        doc = self._document()
        if "providers" not in doc:
            doc["providers"] = tomlkit.table(is_super_table=True)
        return doc["providers"]

    def add_provider(self, provider: Provider) -> None:
        if provider.name in self.before.providers:
            raise ConfigError(
                f"a provider named {provider.name!r} already exists in {self.path}",
                hint="choose another name, or use 'duoctl provider edit'",
            )
        if self._doc is None and self._pending_add is None:
            # A plain append keeps every byte before it; render() proves the result parses
            # to exactly the old data plus this provider, else falls back to tomlkit.
            self._appended.append("\n" + render_provider_block(provider))
            self._pending_add = provider
            return
        self._tomlkit_add(provider)

    def _tomlkit_add(self, provider: Provider) -> None:
        import tomlkit

        table = tomlkit.table()
        table["type"] = provider.type
        table["enabled"] = provider.enabled
        table["endpoint"] = provider.endpoint
        table["client_id"] = provider.client_id
        if provider.ca_bundle is not None:
            table["ca_bundle"] = provider.ca_bundle
        self._providers_table()[provider.name] = table

    def remove_provider(self, name: str) -> None:
        self.before.provider(name)
        del self._providers_table()[name]

    def update_provider(self, name: str, **changes: object) -> None:
        self.before.provider(name)
        table = self._providers_table()[name]
        for key, value in changes.items():
            if value is None:
                if key in table:
                    del table[key]
            else:
                table[key] = value

    def set_external_mfa(self, enabled: bool) -> None:
        import tomlkit

        doc = self._document()
        if "external_mfa" not in doc:
            doc["external_mfa"] = tomlkit.table()
        doc["external_mfa"]["enabled"] = enabled

    def render(self) -> str:
        """The new file text: the append fast path when it is provably exact, else tomlkit."""
        if self._doc is None:
            base = self.original if self.original is not None else NEW_FILE_HEADER
            if base and not base.endswith("\n"):
                base += "\n"
            text = base + "".join(self._appended)
            if self._pending_add is not None and not self._append_is_exact(text):
                pending, self._appended = self._pending_add, []
                self._tomlkit_add(pending)
                text = self._document().as_string()
        else:
            text = self._document().as_string()
        return _with_schema_version(text)

    def _append_is_exact(self, text: str) -> bool:
        assert self._pending_add is not None
        try:
            new = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return False
        block = tomllib.loads(render_provider_block(self._pending_add))
        expected = dict(self._data)
        expected["providers"] = {**expected.get("providers", {}), **block["providers"]}
        return new == expected


def _with_schema_version(text: str) -> str:
    """Insert ``schema_version`` before the first key or table if the file lacks one.

    Inserting ahead of the first non-comment line keeps it a top-level key and leaves every
    other byte where it was.
    """
    if "schema_version" in tomllib.loads(text):
        return text
    lines = text.splitlines(keepends=True)
    index = 0
    while index < len(lines) and (
        not lines[index].strip() or lines[index].lstrip().startswith("#")
    ):
        index += 1
    lines.insert(index, f"schema_version = {SCHEMA_VERSION}\n\n")
    return "".join(lines)


@contextlib.contextmanager
def edit_config(
    path: Path, *, on_commit: Callable[[Config], None] | None = None
) -> Iterator[ConfigEdit]:
    """Lock, read, hand out a :class:`ConfigEdit`, then validate and write atomically.

    If the block raises, nothing is written. ``on_commit`` sees the validated new config
    just before it is written (for example to refuse a state the caller cannot allow).
    """
    ensure_private_dir(path.parent)
    with exclusive_lock(path):
        edit = ConfigEdit(path, _read_text(path))
        yield edit
        text = edit.render()
        new_config = config_from_data(path, _parse_fast(path, text))
        if on_commit is not None:
            on_commit(new_config)
        if text != edit.original:
            write_atomic(path, text.encode("utf-8"))


def config_mode_problem(path: Path) -> str | None:
    """Describe why the file's owner or mode is unsafe, or None when it is fine."""
    try:
        st = path.stat()
    except OSError:
        return None
    problems = []
    if st.st_uid != os.getuid():
        problems.append(f"owned by uid {st.st_uid}, not you (uid {os.getuid()})")
    if st.st_mode & 0o077:
        problems.append(f"readable or writable by group/others (mode {st.st_mode & 0o777:o})")
    return "; ".join(problems) or None
