"""The ``duo_emulator`` fixture as another project uses it: a throwaway project with its own
small Duo integration, duoctl installed into its own environment, its own pytest run.

Fast and offline: the throwaway venv reuses this environment's third-party packages (pytest,
duo_universal, cryptography, ...) through a .pth file naming a directory of links to them,
with every trace of this checkout's duoctl left out; duoctl itself is then pip-installed into
the venv from a copy of the checkout (--no-deps --no-index), so the fixture can only be found
through that install's own pytest11 entry point.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
import textwrap
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

INTEGRATION = '''
"""A tiny Duo login, as an application would write it."""
import duo_universal


def make_client(client_id, secret, host, redirect_uri, ca_bundle):
    return duo_universal.Client(client_id, secret, host, redirect_uri, duo_certs=ca_bundle)


def finish_login(client, code, username):
    token = client.exchange_authorization_code_for_2fa_result(code, username)
    return token["auth_result"]["status"] == "allow"
'''

PROJECT_TEST = """
from urllib.parse import parse_qs, urlsplit

import requests

from myapp import finish_login, make_client

REDIRECT = "http://localhost:8080/callback"


def login(emu, username):
    client = make_client(
        emu.client_id, emu.client_secret, emu.api_host, REDIRECT, str(emu.ca_bundle)
    )
    assert client.health_check()["stat"] == "OK"
    url = client.create_auth_url(username, client.generate_state())
    hop = requests.get(url, verify=str(emu.ca_bundle), allow_redirects=False, timeout=10)
    params = parse_qs(urlsplit(hop.headers["Location"]).query)
    return finish_login(client, params["duo_code"][0], username)


def test_alice_gets_in(duo_emulator):
    assert login(duo_emulator, "alice")


def test_a_denied_push_keeps_bob_out(duo_emulator):
    from duoctl.emulator import EmulatedUser, Outcome

    duo_emulator.add_user(EmulatedUser("bob", Outcome.DENY))
    assert not login(duo_emulator, "bob")


def test_the_fixture_comes_from_this_venv(duo_emulator):
    import duoctl, sys
    assert duoctl.__file__.startswith(sys.prefix), duoctl.__file__
"""


def _is_duoctl(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith(("duoctl", "__editable__.duoctl", "__editable___duoctl"))


def _third_party_dir(target: Path) -> Path:
    """A directory of links to this environment's packages, duoctl's excluded."""
    target.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        if not _is_duoctl(entry.name) and not entry.name.endswith(".pth"):
            (target / entry.name).symlink_to(entry)
    return target


def _source_copy(target: Path) -> Path:
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources, and the
    # work tree is shared.
    shutil.copytree(ROOT / "src", target / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    return target


@pytest.mark.slow
def test_fixture_works_in_another_project(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env_dir)
    python = env_dir / "bin" / "python"
    env_site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    links = _third_party_dir(tmp_path / "third-party")
    (env_site / "third_party.pth").write_text(f"{links}\n")

    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PIP_REQUIRE_VIRTUALENV"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", str(_source_copy(tmp_path / "duoctl-src"))],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr

    project = tmp_path / "project"
    (project / "myapp").mkdir(parents=True)
    (project / "myapp" / "__init__.py").write_text(textwrap.dedent(INTEGRATION))
    (project / "tests").mkdir()
    (project / "tests" / "test_login.py").write_text(textwrap.dedent(PROJECT_TEST))
    (project / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')

    run = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W",
         "ignore::DeprecationWarning", "tests"],
        cwd=project, capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout, run.stdout
