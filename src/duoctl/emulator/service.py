"""``duoctl emulator`` as a CI service: reproducible credentials, several applications, the
JSON banner a script reads with ``jq``.

Credentials are files, never arguments: a Client ID is not secret, a client secret is, so it
lives in a 0600 file (read when it exists, created when it does not), and stdout only ever
names that file. With ``--state-dir`` the Client ID, secret, control token, CA and leaf key
are kept there, so the next run (or a CI image that trusted the CA once) gets them back.
"""

from __future__ import annotations

import ipaddress
import os
import string
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duoctl import __version__
from duoctl.emulator.admin.banner import admin_banner
from duoctl.emulator.control import CONTROL_PREFIX, HEALTH_PATH, user_json
from duoctl.emulator.lifecycle import Emulator, generate_client_id, generate_client_secret
from duoctl.errors import ValidationError
from duoctl.fileio import create_exclusively, ensure_private_dir, replace_atomically

SECRET_FILENAME = "client_secret"  # noqa: S105 (a file name, not a secret)
CLIENT_ID_FILENAME = "client_id"
_UPPER_ALNUM = frozenset(string.ascii_uppercase + string.digits)
_ALNUM = frozenset(string.ascii_letters + string.digits)
_APP_KEYS = frozenset({"name", "client_id", "client_secret_file"})
_APPS_HINT = 'TOML: [[apps]] name = "web" client_id = "DI..." client_secret_file = "web.secret"'


@dataclass(frozen=True)
class ServiceOptions:
    """What ``duoctl emulator`` adds for CI; every field off by default."""

    json: bool = False
    client_id: str | None = None
    client_secret_file: Path | None = None
    state_dir: Path | None = None
    apps_file: Path | None = None
    bind: str | None = None
    hostnames: tuple[str, ...] = ()


@dataclass
class App:
    """One application (Client ID and secret); ``secret_file`` is None until it is written
    (into the emulator's private temp dir, once that exists)."""

    name: str
    client_id: str
    client_secret: str
    secret_file: Path | None


def check_client_id(client_id: str, where: str) -> str:
    if len(client_id) != 20 or not set(client_id) <= _UPPER_ALNUM:
        raise ValidationError(
            f"{where}: a Client ID is 20 upper-case letters and digits",
            hint="e.g. DIWJ8X6AEYOR5OMC6TQ1 (real ones start with DI)",
        )
    return client_id


def read_or_create_secret(path: Path) -> str:
    """The client secret in ``path``; a new one (created 0600) when the file is missing."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        secret = generate_client_secret()
        try:
            create_exclusively(path, (secret + "\n").encode())
        except OSError as exc:
            raise ValidationError(f"cannot create {path}: {exc.strerror}") from None
        return secret
    except (OSError, UnicodeDecodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) else "not text"
        raise ValidationError(f"cannot read the client secret in {path}: {detail}") from None
    if len(text) != 40 or not set(text) <= _ALNUM:
        raise ValidationError(
            f"the client secret in {path} is not 40 letters and digits",
            hint="delete the file to have a new one created",
        )
    return text


def primary_app(options: ServiceOptions) -> App:
    """The Client ID and secret of ``--client-id`` / ``--client-secret-file`` / the state dir,
    each generated (and kept in the state dir, if any) when not given."""
    state_dir = options.state_dir
    if state_dir is not None:
        try:
            ensure_private_dir(state_dir)
        except OSError as exc:
            raise ValidationError(f"cannot create {state_dir}: {exc.strerror}") from None
    kept = state_dir / CLIENT_ID_FILENAME if state_dir is not None else None
    client_id = options.client_id
    if client_id is not None:
        client_id = check_client_id(client_id.strip(), "--client-id")
    elif kept is not None and kept.is_file():
        client_id = check_client_id(kept.read_text(encoding="utf-8").strip(), str(kept))
    else:
        client_id = generate_client_id()
    # Rewritten (and fsynced) only when it changes: most starts just read it back.
    if kept is not None and not (
        kept.is_file() and kept.read_text(encoding="utf-8").strip() == client_id
    ):
        try:
            replace_atomically(kept, (client_id + "\n").encode())
        except OSError as exc:
            raise ValidationError(f"cannot write {kept}: {exc.strerror}") from None
    secret_file = options.client_secret_file
    if secret_file is None and state_dir is not None:
        secret_file = state_dir / SECRET_FILENAME
    if secret_file is None:
        return App("default", client_id, generate_client_secret(), None)
    return App("default", client_id, read_or_create_secret(secret_file), secret_file.absolute())


def load_apps(path: Path, state_dir: Path | None) -> list[App]:
    """``[[apps]]`` tables: ``client_id`` (required), ``name``, ``client_secret_file``
    (relative to the TOML file; default: ``client_secret.<client_id>`` in the state dir)."""
    try:
        with path.open("rb") as fh:
            document = tomllib.load(fh)
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"invalid apps file {path}: {exc}", hint=_APPS_HINT) from None
    entries = document.get("apps")
    if not isinstance(entries, list) or not entries:
        raise ValidationError(f"{path}: expected at least one [[apps]] table", hint=_APPS_HINT)
    apps = [_app(entry, path, i, state_dir) for i, entry in enumerate(entries, 1)]
    ids = [a.client_id for a in apps]
    if len(set(ids)) != len(ids):
        raise ValidationError(f"{path}: a Client ID appears twice")
    return apps


def _app(entry: Any, path: Path, index: int, state_dir: Path | None) -> App:
    where = f"{path}: apps #{index}"
    if not isinstance(entry, Mapping):
        raise ValidationError(f"{where}: expected a table", hint=_APPS_HINT)
    unknown = sorted(set(entry) - _APP_KEYS)
    if unknown:
        raise ValidationError(f"{where}: unknown key(s) {', '.join(unknown)}", hint=_APPS_HINT)
    client_id, name = entry.get("client_id"), entry.get("name", f"app{index}")
    secret_name = entry.get("client_secret_file")
    if not isinstance(client_id, str) or not isinstance(name, str):
        raise ValidationError(f"{where}: client_id and name must be strings", hint=_APPS_HINT)
    check_client_id(client_id, where)
    if secret_name is not None and not isinstance(secret_name, str):
        raise ValidationError(f"{where}: client_secret_file must be a string")
    if secret_name is not None:
        secret_file = (path.parent / secret_name).absolute()
    elif state_dir is not None:
        secret_file = state_dir.absolute() / f"{SECRET_FILENAME}.{client_id}"
    else:
        return App(name, client_id, generate_client_secret(), None)
    return App(name, client_id, read_or_create_secret(secret_file), secret_file)


def write_pending_secrets(apps: Sequence[App], directory: Path) -> None:
    """Give every app still without a file one in ``directory`` (the private temp dir)."""
    for app in apps:
        if app.secret_file is None:
            suffix = "" if app.name == "default" else f".{app.client_id}"
            app.secret_file = directory / f"{SECRET_FILENAME}{suffix}"
            create_exclusively(app.secret_file, (app.client_secret + "\n").encode())


def is_non_loopback(address: str) -> bool:
    """Would binding ``address`` let other machines reach the emulator?"""
    if address == "localhost":
        return False
    try:
        return not ipaddress.ip_address(address).is_loopback
    except ValueError:
        return True


def non_loopback_warning(address: str) -> str:
    return (
        f"warning: bound to {address}, which other machines may reach. The emulator approves "
        "any push for its scripted users and its control API scripts them: expose it only "
        "to the CI network that needs it.\n"
    )


def banner(
    emulator: Emulator, apps: Sequence[App], bind: str, admin_skey_file: Path
) -> dict[str, Any]:
    """The data of the JSON envelope ``duoctl emulator --json`` prints once it is ready
    (``{"duoctl": 1, "command": "emulator", "ok": true, "data": ...}``, as every command's
    ``--json``: :mod:`duoctl.output`). Secrets only ever as the files holding them."""
    base = f"https://{emulator.api_host}"
    primary = apps[0]
    return {
        "duoctl_version": __version__,
        "pid": os.getpid(),
        "endpoint": base,
        "api_host": emulator.api_host,
        "port": emulator.port,
        "bind": bind,
        "hostnames": list(emulator.hostnames),
        "client_id": primary.client_id,
        "client_secret_file": str(primary.secret_file),
        "ca_bundle": str(emulator.ca_bundle.absolute()),
        "state_dir": str(emulator.state_dir.absolute()),
        "apps": [
            {"name": a.name, "client_id": a.client_id, "client_secret_file": str(a.secret_file)}
            for a in apps
        ],
        "control": {
            "url": base + CONTROL_PREFIX,
            "health": base + HEALTH_PATH,
            "token": emulator.control_token,
            "token_file": str(emulator.control_token_file.absolute()),
        },
        "new_user_policy": emulator.new_user_policy.value,
        "users": [user_json(u) for u in emulator.users.values()],
        "admin_ikey": emulator.admin_ikey,
        "admin_skey_file": str(admin_skey_file),
        "admin_api": admin_banner(emulator, admin_skey_file),
    }
