"""The credential files both file backends share (duoctl.secrets.credfiles), in process:
what each operation does with a missing, hostile or broken file or directory, and the exact
findings doctor shows for the directory (a person acts on each one's text and fix)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from duoctl.errors import SecretStoreError
from duoctl.secrets import StoreProblem
from duoctl.secrets import credfiles as credfiles_module
from duoctl.secrets.credfiles import CredentialDir, backend_with_files

SUFFIX = ".enc"


@pytest.fixture
def creds(tmp_path: Path) -> CredentialDir:
    return CredentialDir(tmp_path / "credentials", SUFFIX)


def _private_dir(creds: CredentialDir) -> Path:
    creds.directory.mkdir(mode=0o700)
    return creds.directory


# -- read -----------------------------------------------------------------------------------


def test_read_of_nothing_stored_is_none(creds: CredentialDir) -> None:
    assert creds.read("prod") is None


def test_read_returns_what_write_stored(creds: CredentialDir) -> None:
    creds.write("prod", b"sealed bytes")
    assert creds.read("prod") == b"sealed bytes"
    path = creds.file_for("prod")
    assert path == creds.directory / "prod.enc"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(creds.directory.stat().st_mode) == 0o700


def test_read_refuses_a_symlink_instead_of_following_it(
    creds: CredentialDir, tmp_path: Path
) -> None:
    # Someone who can write the directory swaps the file for a link to a file of theirs.
    _private_dir(creds)
    decoy = tmp_path / "decoy"
    decoy.write_bytes(b"attacker's credential")
    creds.file_for("prod").symlink_to(decoy)
    with pytest.raises(SecretStoreError) as info:
        creds.read("prod")
    path = creds.file_for("prod")
    assert info.value.message == (
        f"cannot read the credential file {path}: Too many levels of symbolic links"
    )
    assert info.value.hint == f"check the file and its directory (ls -l {creds.directory})"


def test_read_of_a_fifo_fails_at_once_instead_of_blocking(creds: CredentialDir) -> None:
    # Without O_NONBLOCK, opening a FIFO for reading waits for a writer: a hang.
    _private_dir(creds)
    os.mkfifo(creds.file_for("prod"), 0o600)
    with pytest.raises(SecretStoreError) as info:
        creds.read("prod")
    assert info.value.message == (
        f"the credential file {creds.file_for('prod')} is not a regular file"
    )


def test_read_takes_at_most_one_mebibyte(creds: CredentialDir) -> None:
    creds.write("prod", b"x" * ((1 << 20) + 10))
    assert len(creds.read("prod") or b"") == 1 << 20


# -- write ----------------------------------------------------------------------------------


def test_write_refuses_a_directory_open_to_others(creds: CredentialDir) -> None:
    _private_dir(creds).chmod(0o755)
    with pytest.raises(SecretStoreError) as info:
        creds.write("prod", b"sealed")
    assert info.value.message == (
        f"the credential directory {creds.directory} is open to others (mode 0755); "
        "refusing to store a secret there"
    )
    assert info.value.hint == f"chmod 700 {creds.directory}"
    assert not creds.file_for("prod").exists()


def test_write_keeps_the_file_private_over_an_open_one(creds: CredentialDir) -> None:
    _private_dir(creds)
    creds.file_for("prod").write_bytes(b"old")
    creds.file_for("prod").chmod(0o644)
    creds.write("prod", b"new")
    assert stat.S_IMODE(creds.file_for("prod").stat().st_mode) == 0o600
    assert creds.read("prod") == b"new"


def test_write_that_cannot_create_the_directory_says_so(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    creds = CredentialDir(blocker / "credentials", SUFFIX)
    with pytest.raises(SecretStoreError) as info:
        creds.write("prod", b"sealed")
    assert info.value.message == (
        f"cannot write the credential file {creds.file_for('prod')}: Not a directory"
    )
    assert info.value.hint == f"check that {creds.directory} exists, is yours and is writable"


# -- delete ---------------------------------------------------------------------------------


def test_delete_removes_the_file_and_syncs_the_directory(
    creds: CredentialDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds.write("prod", b"sealed")
    creds.write("other", b"kept")
    synced: list[Path] = []
    monkeypatch.setattr(credfiles_module, "fsync_dir", synced.append)
    assert creds.delete("prod") is True
    assert not creds.file_for("prod").exists()
    assert creds.read("other") == b"kept"
    assert synced == [creds.directory]


def test_delete_of_nothing_is_false(creds: CredentialDir) -> None:
    assert creds.delete("prod") is False


def test_delete_that_fails_says_which_file(creds: CredentialDir) -> None:
    _private_dir(creds)
    creds.file_for("prod").mkdir()  # unlink() of a directory fails
    with pytest.raises(SecretStoreError) as info:
        creds.delete("prod")
    # Linux's unlink(2) of a directory: EISDIR.
    assert info.value.message == (
        f"cannot delete the credential file {creds.file_for('prod')}: Is a directory"
    )


# -- names ----------------------------------------------------------------------------------


def test_names_are_this_backends_files_only(creds: CredentialDir) -> None:
    directory = _private_dir(creds)
    for entry in ("prod.enc", "b.enc", ".prod.enc.1234.tmp", "x.cred", "_admin-skey.enc"):
        (directory / entry).write_bytes(b"")
    (directory / ".hidden.enc").write_bytes(b"")
    assert creds.names() == ["b", "prod"]


def test_names_of_no_directory_is_empty(creds: CredentialDir) -> None:
    assert creds.names() == []


def test_names_of_an_unreadable_directory_says_so(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    creds = CredentialDir(blocker, SUFFIX)
    with pytest.raises(SecretStoreError) as info:
        creds.names()
    assert info.value.message == f"cannot list {blocker}: Not a directory"


# -- problems: what doctor shows ------------------------------------------------------------


def test_no_problems_for_no_directory_or_a_tidy_one(creds: CredentialDir) -> None:
    assert creds.problems() == []
    creds.write("prod", b"sealed")
    assert creds.problems() == []


def test_problem_when_the_directory_cannot_be_inspected(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    creds = CredentialDir(blocker / "credentials", SUFFIX)
    assert creds.problems() == [
        StoreProblem("fail", f"cannot inspect {creds.directory}: Not a directory", "")
    ]


def test_problems_name_each_open_directory_file_and_leftover(creds: CredentialDir) -> None:
    creds.write("prod", b"sealed")
    creds.write("staging", b"sealed")
    directory = creds.directory
    directory.chmod(0o750)
    creds.file_for("prod").chmod(0o640)
    leftover = directory / ".prod.enc.0a1b2c.tmp"
    leftover.write_bytes(b"half")
    # A file of another suffix is not this backend's: its mode is not our business.
    (directory / "notes.txt").write_bytes(b"")
    (directory / "notes.txt").chmod(0o644)
    prod = creds.file_for("prod")
    assert creds.problems() == [
        StoreProblem(
            "fail", f"{directory} is open to others (mode 0750)", f"chmod 700 {directory}"
        ),
        StoreProblem(
            "warn",
            f"{leftover} was left by an interrupted write",
            f"rm {leftover} (no duoctl command is running)",
        ),
        StoreProblem("fail", f"{prod} is open to others (mode 0640)", f"chmod 600 {prod}"),
    ]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a directory away needs root")
def test_problem_when_the_directory_belongs_to_someone_else(creds: CredentialDir) -> None:
    creds.write("prod", b"sealed")
    os.chown(creds.directory, 65534, 65534)
    uid = os.geteuid()
    assert creds.problems() == [
        StoreProblem(
            "warn",
            f"{creds.directory} is owned by uid 65534, not by you (uid {uid})",
            f"chown {uid} {creds.directory}",
        )
    ]


# -- which backend's files are there --------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "backend"),
    [
        ((), None),
        (("prod.cred",), "systemd-creds"),
        (("prod.enc",), "encrypted-file"),
        ((".prod.cred.1.tmp", "key"), None),
        ((".x.enc",), None),
    ],
)
def test_backend_with_files(tmp_path: Path, entries: tuple[str, ...], backend: str | None) -> None:
    for entry in entries:
        (tmp_path / entry).write_bytes(b"")
    assert backend_with_files(tmp_path) == backend


def test_backend_with_files_of_no_directory_is_none(tmp_path: Path) -> None:
    assert backend_with_files(tmp_path / "missing") is None


def test_only_dot_tmp_files_are_leftovers(creds: CredentialDir) -> None:
    creds.write("prod", b"sealed")
    for entry in (".notes", "draft.tmp"):
        (creds.directory / entry).write_bytes(b"")
        (creds.directory / entry).chmod(0o600)
    assert creds.problems() == []


def test_problems_still_reports_the_directory_when_it_cannot_be_listed(
    creds: CredentialDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Seen by stat but not listable (no read permission, for a plain user; root reads
    # anyway, so a seam refuses):
    # what is known is still reported, nothing raises.
    creds.write("prod", b"sealed")
    creds.directory.chmod(0o711)

    def refuse(path: object) -> list[str]:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(credfiles_module.os, "listdir", refuse)
    assert creds.problems() == [
        StoreProblem(
            "fail",
            f"{creds.directory} is open to others (mode 0711)",
            f"chmod 700 {creds.directory}",
        )
    ]
