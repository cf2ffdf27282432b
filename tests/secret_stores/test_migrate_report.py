"""`secrets migrate`'s result (MigrationReport through duoctl.output.render): one summary
line on stderr for each way a run ends, the envelope's data, and what is still to do."""

from __future__ import annotations

import io
import json
from pathlib import Path

from duoctl.output import Streams, render
from duoctl.secrets.memory import MemorySecretStore
from duoctl.secrets.migrate import MigrationReport, drop_abandoned_copies, migrate_secrets
from foundation.helpers import SECRET, add_args, run_duoctl, write_private

PLAINTEXT = "support.keyring_backends.PlaintextFileKeyring"


def _rendered(report: MigrationReport, *, json_output: bool) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    render(Streams(out=out, err=err), "secrets migrate", report, json_output=json_output)
    return out.getvalue(), err.getvalue()


def _config(path: Path, *names: str) -> Path:
    blocks = [
        f'[providers.{n}]\ntype = "duo"\nendpoint = "api-1234abcd.duosecurity.com"\n'
        f'client_id = "DIABCDEFGHIJKLMNOPQ{i}"\n'
        for i, n in enumerate(names)
    ]
    write_private(path, "schema_version = 1\n\n" + "\n".join(blocks))
    return path


def test_a_move_says_its_counts_and_has_nothing_for_stdout(config_path: Path) -> None:
    source, target = MemorySecretStore(), MemorySecretStore()
    _config(config_path, "a", "b", "c")
    source.set("a", SECRET)
    target.set("b", SECRET)  # an earlier run moved it and cleaned up
    report = migrate_secrets(
        config_path, source, target, source_name="keyring", target_name="encrypted-file"
    )
    assert _rendered(report, json_output=False) == (
        "",
        "moved 1 secret(s) from keyring to encrypted-file (1 already there, 1 had none); "
        "deleted 1 from keyring\n",
    )
    out, err = _rendered(report, json_output=True)
    assert json.loads(out)["data"] == {
        "from": "keyring",
        "to": "encrypted-file",
        "copied": ["a"],
        "already_in_target": ["b"],
        "missing": ["c"],
        "deleted_from_source": ["a"],
        "left_in_source": [],
    }
    assert err == ""


def test_nothing_to_move_and_copies_dropped_each_say_so(config_path: Path) -> None:
    assert _rendered(MigrationReport("keyring", "keyring"), json_output=False) == (
        "",
        "the secrets are already in keyring; nothing to move\n",
    )
    stale = MemorySecretStore()
    _config(config_path, "a", "b")
    stale.set("a", SECRET)
    stale.set("b", SECRET)
    report = drop_abandoned_copies(
        config_path, stale, stale_name="systemd-creds", current_name="keyring"
    )
    assert _rendered(report, json_output=False)[1] == (
        "the secrets stay in keyring; removed 2 copies that an interrupted move to "
        "systemd-creds had left there\n"
    )


def test_a_secret_left_in_the_source_is_a_warning_with_json_too() -> None:
    report = MigrationReport("keyring", "encrypted-file", copied=["a"], left_in_source=["a"])
    warning = "warning: the secret of 'a' is still in keyring: run the same command again\n"
    assert _rendered(report, json_output=False)[1].endswith(warning)
    out, err = _rendered(report, json_output=True)
    assert json.loads(out)["data"]["left_in_source"] == ["a"]
    assert err == warning


def test_the_console_script_moves_and_then_has_nothing_to_move(
    config_path: Path, tmp_path: Path
) -> None:
    passphrase = tmp_path / "passphrase"
    write_private(passphrase, "a long store passphrase\n")
    env = {
        "DUOCTL_TEST_KEYRING_FILE": str(tmp_path / "keyring.json"),
        "DUOCTL_ALLOW_PLAINTEXT_KEYRING": "1",
        "DUOCTL_STORE_PASSPHRASE_FILE": str(passphrase),
    }
    added = run_duoctl(add_args("prod"), input=SECRET, keyring_backend=PLAINTEXT, env=env)
    assert added.returncode == 0, added.stderr
    moved = run_duoctl(
        ["secrets", "migrate", "--to", "encrypted-file", "--json"],
        keyring_backend=PLAINTEXT,
        env=env,
    )
    assert moved.returncode == 0, moved.stderr
    assert json.loads(moved.stdout)["data"]["copied"] == ["prod"]
    # The test's DUOCTL_SECRET_BACKEND=keyring still points away from the move's target.
    assert "warning: DUOCTL_SECRET_BACKEND=keyring overrides the config" in moved.stderr
    again = run_duoctl(
        ["secrets", "migrate", "--to", "encrypted-file"],
        keyring_backend=PLAINTEXT,
        env={**env, "DUOCTL_SECRET_BACKEND": "encrypted-file"},
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""
    assert again.stderr == "the secrets are already in encrypted-file; nothing to move\n"
