"""Isolation shared by every test under tests/.

Each test gets its own config location (DUOCTL_CONFIG in tmp_path), plain fixed-width output,
and none of the caller's variables that change duoctl's behaviour (a secret in the
environment, a proxy, a chosen keyring backend, debug mode). Nothing global is replaced:
the keyring library is left as it is, so real-component tests see the real one.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from duoctl.cli.app import run
from duoctl.cli.state import AppState
from duoctl.output import Streams
from duoctl.secrets.memory import MemorySecretStore

# Variables a developer (or CI) may have set that would change what duoctl does in a test.
_SCRUBBED_ENV = (
    "DUOCTL_CONFIG",
    "DUOCTL_CLIENT_SECRET",
    "DUOCTL_ADMIN_SKEY",
    "DUOCTL_DEBUG",
    "DUOCTL_ALLOW_PLAINTEXT_KEYRING",
    "DUOCTL_KEYRING_TIMEOUT",
    "DUOCTL_SECRET_TIMEOUT",
    "DUOCTL_SECRET_BACKEND",
    "DUOCTL_SCOPE",
    "DUOCTL_SYSTEM_ROOT",
    "DUOCTL_STORE_PASSPHRASE_FILE",
    "SYSTEMD_CREDENTIAL_SECRET",
    "PYTHON_KEYRING_BACKEND",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "FORCE_COLOR",
    "CLICOLOR_FORCE",
)


# pytest-timeout's limit for tests marked slow; the others get pyproject.toml's `timeout`.
SLOW_TEST_TIMEOUT_S = 600


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TEST_TIMEOUT_S))


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in _SCRUBBED_ENV:
        monkeypatch.delenv(name, raising=False)
    # An explicitly named config may be created only in an existing directory (a typo'd
    # directory must not appear), so the directory exists; the file does not. Creating the
    # directory too (0700) is tested on the default location, where duoctl does it.
    (tmp_path / "duoctl").mkdir(mode=0o700)
    monkeypatch.setenv("DUOCTL_CONFIG", str(tmp_path / "duoctl" / "config.toml"))
    # Most tests are about one store: the keyring (a fake one, or the private Secret
    # Service). Tests of store selection and of the server backends unset or change this;
    # without it, a test of "no usable keyring" would fall through to systemd-creds as root.
    monkeypatch.setenv("DUOCTL_SECRET_BACKEND", "keyring")
    # The system scope never reaches the real /etc or /var/lib from a test.
    monkeypatch.setenv("DUOCTL_SYSTEM_ROOT", str(tmp_path / "system-root"))
    # Where platformdirs (default config path) and keyring (keyringrc.cfg) look for config.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("LINES", "50")
    return


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """The config file DUOCTL_CONFIG points at (not created yet)."""
    return tmp_path / "duoctl" / "config.toml"


@pytest.fixture
def mem_store() -> MemorySecretStore:
    return MemorySecretStore()


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


class Cli:
    """Runs duoctl in-process through ``duoctl.cli.app.run`` (the error-mapping edge).

    Click's runner isolation provides stdin (secrets, confirmations) and environment
    overrides; exceptions are not swallowed (run() itself maps only anticipated ones).
    """

    def __init__(self, store: MemorySecretStore) -> None:
        self.store = store
        self.runner = CliRunner()

    def __call__(
        self,
        *args: str | Path,
        input: str | None = None,
        env: dict[str, str | None] | None = None,
        tty: bool = False,
    ) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        store = self.store
        state = AppState(
            # stdin: the runner's, holding ``input``; ``tty``: whether a person is there
            # to answer prompts.
            streams=Streams(out=out, err=err, stdin_tty=tty),
            secret_store_factory=lambda path, streams: store,
        )
        with self.runner.isolation(input=input, env=env) as (iso_out, iso_err, _):
            code = run([str(a) for a in args], state)
            # Click writes --version, usage errors and prompts to sys.stdout/sys.stderr.
            extra_out = iso_out.getvalue().decode()
            extra_err = iso_err.getvalue().decode()
        return CliResult(code, extra_out + out.getvalue(), extra_err + err.getvalue())


@pytest.fixture
def cli(mem_store: MemorySecretStore) -> Callable[..., CliResult]:
    return Cli(mem_store)
