"""The console script's secret handling: checks before the secret is asked for, one-shot
secrets (hidden at a terminal), `config path`, `secrets status`, `remove --keep-secret`."""

from __future__ import annotations

import json
from pathlib import Path

from duoctl.emulator import Emulator
from foundation.helpers import (
    add_args,
    child_env,
    config_with,
    run_duoctl,
    write_private,
)
from support.terminal import run_answering

FAIL = "keyring.backends.fail.Keyring"


def test_add_checks_fields_before_asking_for_the_secret(config_path: Path) -> None:
    bad = add_args("prod", cid="DIABC")
    result = run_duoctl(bad, input="")  # no secret anywhere: it must not get that far
    assert result.returncode == 3
    assert "invalid Client ID" in result.stderr
    assert "no Client Secret" not in result.stderr


def test_add_checks_the_store_before_asking_for_the_secret(config_path: Path) -> None:
    result = run_duoctl(add_args("prod"), input="", keyring_backend=FAIL)
    assert result.returncode == 5
    assert "no usable OS keyring" in result.stderr
    assert "no Client Secret" not in result.stderr
    assert not config_path.exists()


def test_add_refuses_a_taken_name_before_asking(config_path: Path) -> None:
    write_private(config_path, config_with(1))
    result = run_duoctl(add_args("p0"), input="")
    assert result.returncode == 4
    assert "already exists" in result.stderr


def test_config_path_says_which_rule_chose_it(config_path: Path, tmp_path: Path) -> None:
    by_env = run_duoctl(["config", "path"])
    assert by_env.returncode == 0
    assert by_env.stdout == f"{config_path}\n"  # the path alone: $(duoctl config path)
    assert "chosen by DUOCTL_CONFIG; it does not exist yet" in by_env.stderr

    other = tmp_path / "other.toml"
    write_private(other, config_with(0))
    by_option = run_duoctl(["--config", str(other), "config", "path", "--json"])
    data = json.loads(by_option.stdout)["data"]
    assert (data["path"], data["rule"], data["exists"], data["scope"]) == (
        str(other),
        "--config",
        True,
        "user",
    )
    assert data["credentials_dir"].startswith(str(tmp_path / "credentials" / "other-"))

    system = run_duoctl(["--system", "config", "path", "--json"], env={"DUOCTL_CONFIG": ""})
    data = json.loads(system.stdout)["data"]
    assert (data["rule"], data["scope"]) == ("--system", "system")
    assert data["path"].endswith("/etc/duoctl/config.toml")


def test_secrets_status_names_the_store_and_why(config_path: Path) -> None:
    write_private(config_path, config_with(0))
    result = run_duoctl(
        ["secrets", "status", "--json"],
        env={"DUOCTL_SECRET_BACKEND": "encrypted-file", "DUOCTL_STORE_PASSPHRASE_FILE": "/nope"},
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)["data"]
    assert (data["backend"], data["chosen_by"], data["stored"]) == (
        "encrypted-file",
        "DUOCTL_SECRET_BACKEND",
        [],
    )


def test_remove_keep_secret_works_without_a_store(config_path: Path) -> None:
    write_private(config_path, config_with(2))
    refused = run_duoctl(["provider", "remove", "p0", "--yes"], keyring_backend=FAIL)
    assert refused.returncode == 5
    kept = run_duoctl(["provider", "remove", "p0", "--yes", "--keep-secret"], keyring_backend=FAIL)
    assert kept.returncode == 0, kept.stderr
    assert "its secret store was not touched (--keep-secret)" in kept.stderr
    assert "p0" not in config_path.read_text()
    assert "p1" in config_path.read_text()


def _emulator_config(config: Path, emulator: Emulator, names: tuple[str, ...] = ("emu",)) -> None:
    blocks = "".join(
        f'\n[providers.{name}]\nendpoint = "{emulator.api_host}"\n'
        f'client_id = "{emulator.client_id}"\nca_bundle = "{emulator.ca_bundle}"\n'
        for name in names
    )
    write_private(config, "schema_version = 1\n" + blocks)


def test_one_shot_secret_from_stdin_at_a_terminal_is_hidden(
    config_path: Path, tmp_path: Path
) -> None:
    with Emulator(state_dir=tmp_path / "emu") as emulator:
        _emulator_config(config_path, emulator)
        env = child_env(keyring_backend=FAIL)  # no store at all: the one-shot must not need one
        argv = ["test-login", "emu", "-u", "alice", "--browser", "follow"]
        code, screen = run_answering(
            [*argv, "--client-secret-stdin"],
            env,
            [(b"Client Secret:", emulator.client_secret.encode() + b"\n")],
        )
    assert code == 0, screen
    assert emulator.client_secret not in screen  # typed, never echoed
    assert "allowed" in screen.lower()


def test_doctor_one_shot_secret_needs_one_provider(config_path: Path, tmp_path: Path) -> None:
    with Emulator(state_dir=tmp_path / "emu") as emulator:
        _emulator_config(config_path, emulator, ("a", "b"))
        env = {"DUOCTL_CLIENT_SECRET": emulator.client_secret}
        both = run_duoctl(["doctor", "--json"], env=env, keyring_backend=FAIL)
        assert both.returncode == 2
        assert "several are enabled: a, b" in both.stderr
        one = run_duoctl(["doctor", "a", "--json"], env=env, keyring_backend=FAIL)
        checks = {(c["scope"], c["id"]): c for c in json.loads(one.stdout)["data"]["checks"]}
        assert checks[("provider:a", "credentials")]["status"] == "ok"
        assert checks[("global", "secrets.backend")]["data"]["backend"] == "one-shot"
        assert "using the Client Secret from $DUOCTL_CLIENT_SECRET" in one.stderr
        assert emulator.client_secret not in one.stdout + one.stderr
