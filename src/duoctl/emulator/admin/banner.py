"""What ``duoctl emulator`` says about its Admin API credential, and where it keeps it.

As for the Web SDK secret, the secret key is never printed (unless ``--show-secret`` in the
prose banner): it lives in a 0600 file, ``admin_skey`` in the state dir (kept across runs,
like the Client ID and secret) or in the emulator's private temp dir.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duoctl.emulator.admin.permissions import ALL_PERMISSIONS
from duoctl.errors import ValidationError
from duoctl.fileio import create_exclusively, replace_atomically

if TYPE_CHECKING:
    from duoctl.emulator.lifecycle import Emulator

ADMIN_IKEY_FILENAME = "admin_ikey"
ADMIN_SKEY_FILENAME = "admin_skey"


@dataclass
class AdminCredential:
    """The kept ikey and skey (None: let the emulator generate them) and the skey's file
    (None until written into the private temp dir)."""

    ikey: str | None = None
    skey: str | None = None
    skey_file: Path | None = None


def kept_admin_credential(state_dir: Path | None) -> AdminCredential:
    """The credential kept in ``state_dir`` (created there on first use); a fresh one to be
    generated when there is no state dir."""
    # Imported here: service imports the emulator, which imports this package.
    from duoctl.emulator.lifecycle import generate_client_id
    from duoctl.emulator.service import check_client_id, read_or_create_secret

    if state_dir is None:
        return AdminCredential()
    ikey_file = state_dir / ADMIN_IKEY_FILENAME
    if ikey_file.is_file():
        ikey = check_client_id(ikey_file.read_text(encoding="utf-8").strip(), str(ikey_file))
        if not ikey.startswith("DI"):
            raise ValidationError(
                f"{ikey_file}: an Admin API integration key starts with DI",
                hint="delete the file to have a new one created",
            )
    else:
        ikey = generate_client_id()
        try:
            replace_atomically(ikey_file, (ikey + "\n").encode())
        except OSError as exc:
            raise ValidationError(f"cannot write {ikey_file}: {exc.strerror}") from None
    skey_file = (state_dir / ADMIN_SKEY_FILENAME).absolute()
    return AdminCredential(ikey, read_or_create_secret(skey_file), skey_file)


def write_pending_admin_secret(credential: AdminCredential, emulator: Emulator) -> Path:
    """The skey's file, written (0600) into the emulator's private dir if not kept."""
    if credential.skey_file is None:
        credential.skey_file = emulator.state_dir / ADMIN_SKEY_FILENAME
        create_exclusively(credential.skey_file, (emulator.admin_skey + "\n").encode())
    return credential.skey_file


def granted_in_order(emulator: Emulator) -> list[str]:
    return [p for p in ALL_PERMISSIONS if p in emulator.admin_permissions]


def admin_banner(emulator: Emulator, skey_file: Path) -> dict[str, Any]:
    """The ``admin_api`` object of ``duoctl emulator --json``."""
    return {
        "ikey": emulator.admin_ikey,
        "skey_file": str(skey_file),
        # What duo_client.Admin takes: host without the port, and the port apart.
        "host": emulator.api_hostname,
        "port": emulator.port,
        "permissions": granted_in_order(emulator),
    }


def admin_banner_lines(emulator: Emulator, skey_file: Path, *, show_secret: bool) -> list[str]:
    secret = emulator.admin_skey if show_secret else f"in {skey_file} (or run with --show-secret)"
    granted = granted_in_order(emulator)
    shown = "all" if len(granted) == len(ALL_PERMISSIONS) else ", ".join(granted) or "none"
    return [
        f"admin ikey:    {emulator.admin_ikey}",
        f"admin skey:    {secret}",
        f"admin grants:  {shown}",
    ]
