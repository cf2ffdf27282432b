"""Issue 9's guards through the console script: no MFA lockout, explicit config paths that
must exist, options where people type them, pasted values, `add --verify`, usage mistakes,
a symlinked config. Secrets go to a plain-text test keyring file (tests/support)."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from duoctl.emulator import Emulator
from duoctl.secrets.keyring_store import service_for
from foundation.helpers import SECRET, add_args, config_with, run_duoctl, write_private

PLAIN = "support.keyring_backends.PlaintextFileKeyring"


@pytest.fixture
def keyring_file(tmp_path: Path) -> Path:
    return tmp_path / "keyring.json"


def _duoctl(args: list[str], keyring_file: Path, **kwargs: Any) -> Any:
    env = {
        "DUOCTL_TEST_KEYRING_FILE": str(keyring_file),
        "DUOCTL_ALLOW_PLAINTEXT_KEYRING": "1",
        **kwargs.pop("env", {}),
    }
    return run_duoctl(args, keyring_backend=PLAIN, env=env, **kwargs)


def _stored(keyring_file: Path) -> list[str]:
    """The client secrets in the file (not the audit trail's fingerprint key)."""
    data = json.loads(keyring_file.read_text()) if keyring_file.exists() else {}
    return [value for key, value in data.items() if not key.endswith("\x00_audit-fingerprint-key")]


# --- no lockout ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["provider", "disable", "p0"],
        ["provider", "remove", "p0", "--yes"],
        ["provider", "remove", "p0", "--yes", "--keep-secret"],
    ],
    ids=["disable", "remove", "remove-keep-secret"],
)
def test_the_last_enabled_provider_stays_while_mfa_is_on(
    config_path: Path, keyring_file: Path, args: list[str]
) -> None:
    write_private(config_path, config_with(1, mfa=True))
    before = config_path.read_bytes()

    refused = _duoctl(args, keyring_file)
    assert refused.returncode == 13, refused.stderr
    assert "nobody could complete a login" in refused.stderr
    assert "--force does it anyway" in refused.stderr
    assert config_path.read_bytes() == before

    forced = _duoctl([*args, "--force"], keyring_file)
    assert forced.returncode == 0, forced.stderr
    assert config_path.read_bytes() != before


def test_another_enabled_provider_makes_it_safe(config_path: Path, keyring_file: Path) -> None:
    write_private(config_path, config_with(2, mfa=True))
    assert _duoctl(["provider", "disable", "p0"], keyring_file).returncode == 0
    refused = _duoctl(["provider", "disable", "p1"], keyring_file)
    assert refused.returncode == 13
    again = _duoctl(["provider", "disable", "p0"], keyring_file)
    assert (again.returncode, "already was disabled" in again.stderr) == (0, True)


# --- explicit paths -------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["option", "variable", "option-after"])
def test_a_missing_explicit_config_is_an_error_with_a_suggestion(tmp_path: Path, how: str) -> None:
    real = tmp_path / "etc" / "config.toml"
    write_private(real, config_with(1))
    typo = real.with_name("confg.toml")
    argv = {
        "option": ["-c", str(typo), "mfa", "status", "--json"],
        "variable": ["mfa", "status", "--json"],
        "option-after": ["mfa", "status", "--json", "--config", str(typo)],
    }[how]
    result = run_duoctl(argv, env={"DUOCTL_CONFIG": str(typo)} if how == "variable" else {})
    assert result.returncode == 4
    error = json.loads(result.stdout)["error"]
    assert error["message"].startswith(f"no config file at {typo} (named by ")
    assert f"did you mean {real}?" in error["hint"]
    listed = run_duoctl(["provider", "list", "--config", str(typo)])
    assert listed.returncode == 4


def test_the_default_config_may_be_absent(tmp_path: Path) -> None:
    env = {"DUOCTL_CONFIG": "", "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    result = run_duoctl(["provider", "list"], env=env)
    assert result.returncode == 0
    assert "no providers" in result.stderr


def test_writes_create_an_explicit_config_only_in_an_existing_directory(
    tmp_path: Path, keyring_file: Path
) -> None:
    nowhere = tmp_path / "no-such-dir" / "config.toml"
    refused = _duoctl(["mfa", "disable", "--yes", "-c", str(nowhere)], keyring_file)
    assert refused.returncode == 4
    assert f"mkdir -p {nowhere.parent}" in refused.stderr
    assert not nowhere.parent.exists()

    here = tmp_path / "config.toml"
    created = _duoctl([*add_args("prod"), "--config", str(here)], keyring_file, input=SECRET + "\n")
    assert created.returncode == 0, created.stderr
    assert f"created {here}" in created.stderr
    again = _duoctl(
        [*add_args("next", cid="DI" + "1" * 18), "--config", str(here)],
        keyring_file,
        input=SECRET + "\n",
    )
    assert "created" not in again.stderr


def test_system_after_the_subcommand(tmp_path: Path) -> None:
    result = run_duoctl(["config", "path", "--json", "--system"], env={"DUOCTL_CONFIG": ""})
    data = json.loads(result.stdout)["data"]
    assert (data["rule"], data["scope"]) == ("--system", "system")


# --- pasted values, --verify, usage mistakes ---------------------------------------------------


def test_pasted_values_are_taken_as_meant(config_path: Path, keyring_file: Path) -> None:
    args = add_args(
        "prod", endpoint="https://api-1234abcd.duosecurity.com/", cid=" diabcdefghijklmnopqr "
    )
    result = _duoctl(args, keyring_file, input=SECRET + "\n")
    assert result.returncode == 0, result.stderr
    assert "stored the host name 'api-1234abcd.duosecurity.com'" in result.stderr
    entry = tomllib.loads(config_path.read_text())["providers"]["prod"]
    assert (entry["endpoint"], entry["client_id"]) == (
        "api-1234abcd.duosecurity.com",
        "DIABCDEFGHIJKLMNOPQR",
    )
    with_path = add_args("other", endpoint="https://api-1234abcd.duosecurity.com/admin")
    assert _duoctl(with_path, keyring_file, input=SECRET + "\n").returncode == 3


def test_add_verify_stores_nothing_that_duo_rejects(
    config_path: Path, keyring_file: Path, tmp_path: Path
) -> None:
    with Emulator(state_dir=tmp_path / "emu") as emu:
        args = [*add_args("emu", endpoint=emu.api_host, cid=emu.client_id), "--verify"]
        args += ["--ca-bundle", str(emu.ca_bundle)]
        wrong = _duoctl(args, keyring_file, input="W" * 40 + "\n")
        assert wrong.returncode == 8, wrong.stderr
        assert not config_path.exists()
        assert _stored(keyring_file) == []

        right = _duoctl(args, keyring_file, input=emu.client_secret + "\n")
        assert right.returncode == 0, right.stderr
        assert "Duo accepted them" in right.stderr
        assert _stored(keyring_file) == [emu.client_secret]


@pytest.mark.parametrize(
    "args",
    [
        ["provider", "edit", "p0", "--ca-bundle", "/etc/ssl/certs/x.pem", "--clear-ca-bundle"],
        ["provider", "edit", "p0", "--client-secret-stdin"],
    ],
    ids=["ca-bundle-and-clear", "stdin-without-rotate"],
)
def test_usage_mistakes_exit_2(config_path: Path, keyring_file: Path, args: list[str]) -> None:
    write_private(config_path, config_with(1))
    result = _duoctl(args, keyring_file, input=SECRET + "\n")
    assert result.returncode == 2, result.stderr
    assert config_path.read_text() == config_with(1)


def test_an_edit_that_changes_nothing_says_so(config_path: Path, keyring_file: Path) -> None:
    write_private(config_path, config_with(1))
    same = config_with(1).split('endpoint = "')[1].split('"')[0]
    result = _duoctl(["provider", "edit", "p0", "--endpoint", same], keyring_file)
    assert result.returncode == 0
    assert "already had those values; nothing changed" in result.stderr


# --- a symlinked config ---------------------------------------------------------------------


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_a_symlinked_config_is_edited_where_it_points(
    tmp_path: Path, keyring_file: Path, relative: bool
) -> None:
    target = tmp_path / "real" / "config.toml"
    write_private(target, config_with(0))
    link = tmp_path / "link.toml"
    link.symlink_to(os.path.relpath(target, link.parent) if relative else target)

    added = _duoctl([*add_args("prod"), "-c", str(link)], keyring_file, input=SECRET + "\n")
    assert added.returncode == 0, added.stderr
    assert link.is_symlink()
    assert "prod" in tomllib.loads(target.read_text())["providers"]
    # The secret is filed under the target's identity: through the link or not, one name.
    assert service_for(link) == service_for(target)
    for path in (link, target):
        shown = _duoctl(["provider", "show", "prod", "--json", "-c", str(path)], keyring_file)
        assert json.loads(shown.stdout)["data"]["secret_present"] is True
    assert not (tmp_path / "link.toml.lock").exists()
    assert (target.parent / "config.toml.lock").exists()


# --- what a kill -9 between the store and the config leaves, and the next write mends ------


def test_an_orphan_secret_is_replaced_by_the_next_add(config_path: Path, tmp_path: Path) -> None:
    # A kill after the secret was stored and before the config was written leaves this.
    # The encrypted-file store, as a plain user on a server would have it: it can list.
    from duoctl.secrets.encrypted_file import EncryptedFileStore

    passphrase = tmp_path / "passphrase"
    passphrase.write_text("a long passphrase\n")
    passphrase.chmod(0o600)
    env = {
        "DUOCTL_SECRET_BACKEND": "encrypted-file",
        "DUOCTL_STORE_PASSPHRASE_FILE": str(passphrase),
    }
    write_private(config_path, config_with(0))
    store = EncryptedFileStore(config_path, passphrase=lambda _confirm: "a long passphrase")
    store.set("prod", "X" * 40)
    doctor = run_duoctl(["doctor", "--json"], env=env)
    checks = {c["id"]: c for c in json.loads(doctor.stdout)["data"]["checks"]}
    orphans = checks["secrets.orphans"]
    assert (orphans["status"], orphans["data"]["orphans"]) == ("warn", ["prod"]), orphans

    added = run_duoctl(add_args("prod"), input=SECRET + "\n", env=env)
    assert added.returncode == 0, added.stderr
    assert store.get("prod") == SECRET


def test_a_provider_without_its_secret_is_mended_by_rotation_or_removal(
    config_path: Path, keyring_file: Path
) -> None:
    # A kill after the secret was deleted and before the config was written leaves this.
    write_private(config_path, config_with(2))
    shown = _duoctl(["provider", "show", "p0", "--json"], keyring_file)
    assert json.loads(shown.stdout)["data"]["secret_present"] is False

    rotate = ["provider", "edit", "p0", "--rotate-secret", "--client-secret-stdin"]
    assert _duoctl(rotate, keyring_file, input=SECRET + "\n").returncode == 0
    shown = _duoctl(["provider", "show", "p0", "--json"], keyring_file)
    assert json.loads(shown.stdout)["data"]["secret_present"] is True

    removed = _duoctl(["provider", "remove", "p1", "--yes"], keyring_file)
    assert removed.returncode == 0
    assert "it had no secret in" in removed.stderr
