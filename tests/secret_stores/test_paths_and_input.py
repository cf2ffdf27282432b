"""Where the config and its credential files are; where a secret or passphrase comes from."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from duoctl.errors import SecretStoreError, ValidationError
from duoctl.output import Streams
from duoctl.paths import credentials_dir, locate_config
from duoctl.secret_input import confirmed_prompt, read_client_secret, read_store_passphrase


def test_lookup_order(tmp_path: Path) -> None:
    root = tmp_path / "root"
    env = {
        "DUOCTL_CONFIG": "/srv/env.toml",
        "DUOCTL_SCOPE": "system",
        "DUOCTL_SYSTEM_ROOT": str(root),
    }
    system = root / "etc/duoctl/config.toml"
    assert locate_config(Path("/srv/cli.toml"), system=True, env=env)[:2] == (
        Path("/srv/cli.toml"),
        "--config",
    )
    assert locate_config(None, system=True, env=env)[:2] == (Path("/srv/env.toml"), "DUOCTL_CONFIG")
    del env["DUOCTL_CONFIG"]
    assert locate_config(None, system=True, env=env) == (system, "--system", True)
    assert locate_config(None, env=env) == (system, "DUOCTL_SCOPE=system", True)
    del env["DUOCTL_SCOPE"]
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    user = locate_config(None, env=env)
    assert (user.rule, user.system) == ("user config dir", False)
    # Naming the system file explicitly is still the system scope (its secrets: /var/lib).
    assert locate_config(system, env=env).system is True


def test_credential_directories_never_collide(tmp_path: Path) -> None:
    a = tmp_path / "a" / "config.toml"
    b = tmp_path / "b" / "config.toml"
    assert credentials_dir(a, system=False) != credentials_dir(b, system=False)
    assert credentials_dir(a, system=False).parent == tmp_path / "a" / "credentials"
    # A link to a config files its secrets where the target's are.
    (tmp_path / "a").mkdir()
    a.write_text("")
    link = tmp_path / "link.toml"
    link.symlink_to(a)
    assert credentials_dir(link, system=False) == credentials_dir(a, system=False)
    root = {"DUOCTL_SYSTEM_ROOT": str(tmp_path / "root")}
    assert credentials_dir(a, system=True, env=root).parent == (
        tmp_path / "root/var/lib/duoctl/credentials"
    )


class Typist:
    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.answers.pop(0)


def test_mismatched_entries_are_asked_again_up_to_three_times() -> None:
    typist = Typist("a", "b", "c", "d", "same", "same")
    assert confirmed_prompt("Client Secret", typist) == "same"
    assert len(typist.prompts) == 6
    with pytest.raises(ValidationError, match="differed 3 times"):
        confirmed_prompt("Client Secret", Typist("a", "b", "c", "d", "e", "f"))


class TtyInput(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_stdin_at_a_terminal_is_read_hidden() -> None:
    typist = Typist("typed-secret")
    stdin = TtyInput("would-echo\n")
    got = read_client_secret(
        from_stdin=True, streams=Streams(stdin=stdin), environ={}, prompt=typist
    )
    assert got == "typed-secret"
    assert stdin.read() == "would-echo\n"  # the echoing stream was never read


def test_the_variable_is_announced_and_taken_out() -> None:
    heard: list[str] = []
    env = {"DUOCTL_CLIENT_SECRET": "from-env"}
    got = read_client_secret(
        from_stdin=False, streams=Streams(stdin=io.StringIO()), environ=env, notify=heard.append
    )
    assert got == "from-env"
    assert env == {}
    assert heard == [
        "using the Client Secret from $DUOCTL_CLIENT_SECRET (unset it if that is not intended)"
    ]


def test_passphrase_file_rules(tmp_path: Path) -> None:
    path = tmp_path / "pass"
    path.write_text("a passphrase\n")
    path.chmod(0o600)
    env = {"DUOCTL_STORE_PASSPHRASE_FILE": str(path)}
    assert read_store_passphrase(confirm=True, interactive=False, environ=env) == "a passphrase"
    path.chmod(0o644)
    with pytest.raises(SecretStoreError, match="which others may read"):
        read_store_passphrase(confirm=False, interactive=False, environ=env)
    path.write_text("")
    path.chmod(0o600)
    with pytest.raises(SecretStoreError, match="holds no passphrase"):
        read_store_passphrase(confirm=False, interactive=False, environ=env)
    with pytest.raises(SecretStoreError, match="no terminal"):
        read_store_passphrase(confirm=False, interactive=False, environ={})
    typist = Typist("x" * 10, "x" * 10)
    assert read_store_passphrase(confirm=True, interactive=True, environ={}, ask=typist) == "x" * 10
    assert len(typist.prompts) == 2
