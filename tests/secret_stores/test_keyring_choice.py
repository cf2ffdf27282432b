"""duoctl's keyring backend detection (duoctl.secrets.keyring_session) picks what keyring's
own ``keyring.core._detect_backend`` picks, in a fresh child process per case (keyring keeps
its backend list for the life of a process), with the real Secret Service running.

Each case also says whether duoctl kept its probe's D-Bus connection: only when the choice
is keyring's SecretService backend.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.real_components import require_real, secret_service_available

pytestmark = pytest.mark.real_keyring

TESTS_DIR = Path(__file__).resolve().parents[1]
SECRET_SERVICE = "keyring.backends.SecretService.Keyring"
CHAINER = "keyring.backends.chainer.ChainerBackend"
NULL = "keyring.backends.null.Keyring"
FAIL = "keyring.backends.fail.Keyring"

# The child: optionally an extra backend with a given priority (registered, as a plugin's
# would be, by defining it), then duoctl's detection first (it must not find keyring's
# process-wide backend already set) and keyring's own.
CHILD = """
import json, sys
from keyring.backend import KeyringBackend

if sys.argv[1] != "none":
    class Extra(KeyringBackend):
        priority = float(sys.argv[1])
        def get_password(self, service, username): return None
        def set_password(self, service, username, password): pass

from duoctl.secrets.keyring_session import detect
import keyring.core

mine, connection = detect()
theirs = keyring.core._detect_backend()
name = lambda b: f"{type(b).__module__}.{type(b).__qualname__}"
print(json.dumps({"mine": name(mine), "theirs": name(theirs), "kept": connection is not None}))
"""


def _choose(tmp_path: Path, extra: str = "none", **env: str | None) -> dict[str, object]:
    child_env = {**os.environ, "PYTHONPATH": str(TESTS_DIR), "XDG_CONFIG_HOME": str(tmp_path)}
    for key, value in env.items():
        if value is None:
            child_env.pop(key, None)
        else:
            child_env[key] = value
    # A failing child raises CalledProcessError; its stderr goes to the captured output.
    out = subprocess.check_output([sys.executable, "-c", CHILD, extra], env=child_env, timeout=60)
    result: dict[str, object] = json.loads(out)
    return result


@pytest.fixture(autouse=True)
def _secret_service() -> None:
    require_real("Secret Service", *secret_service_available())


@pytest.mark.parametrize(
    ("extra", "expected", "kept"),
    [
        pytest.param("none", SECRET_SERVICE, True, id="secret-service-alone"),
        pytest.param("0", SECRET_SERVICE, True, id="another-at-priority-0"),
        # Two backends above 0: keyring's chainer (priority 10) wins.
        pytest.param("0.5", CHAINER, False, id="another-above-0"),
        pytest.param("20", "__main__.Extra", False, id="another-above-the-chainer"),
    ],
)
def test_automatic_choice_matches_keyring(
    tmp_path: Path, extra: str, expected: str, kept: bool
) -> None:
    assert _choose(tmp_path, extra) == {"mine": expected, "theirs": expected, "kept": kept}


def test_the_environment_variable_decides(tmp_path: Path) -> None:
    chosen = _choose(tmp_path, PYTHON_KEYRING_BACKEND=NULL)
    assert chosen == {"mine": NULL, "theirs": NULL, "kept": False}


@pytest.mark.parametrize("extra", ["none", "20"])
def test_the_secret_service_named_in_the_environment_keeps_its_connection(
    tmp_path: Path, extra: str
) -> None:
    # The variable wins over priorities (even a backend above it), and for this one class
    # duoctl's viability test is keyring's: the probe's connection is kept for the calls.
    chosen = _choose(tmp_path, extra, PYTHON_KEYRING_BACKEND=SECRET_SERVICE)
    assert chosen == {"mine": SECRET_SERVICE, "theirs": SECRET_SERVICE, "kept": True}


def test_a_named_secret_service_without_a_bus_fails_as_keyring_does(tmp_path: Path) -> None:
    env = {"PYTHON_KEYRING_BACKEND": SECRET_SERVICE, "DBUS_SESSION_BUS_ADDRESS": None}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, "none"],
        env={k: v for k, v in {**os.environ, "PYTHONPATH": str(TESTS_DIR), **env}.items() if v},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # keyring's load_keyring reads the class's priority, which raises when it is not viable:
    # duoctl's detection leaves that to keyring and gets the same error.
    assert child.returncode == 1
    assert "RuntimeError: Unable to initialize SecretService" in child.stderr
    assert "duoctl/secrets/keyring_session.py" in child.stderr  # raised inside duoctl's detect


def test_keyringrc_decides(tmp_path: Path) -> None:
    # keyring.core.load_config: <config root>/keyringrc.cfg, the root under XDG_CONFIG_HOME.
    (tmp_path / "python_keyring").mkdir()
    (tmp_path / "python_keyring" / "keyringrc.cfg").write_text(
        f"[backend]\ndefault-keyring = {NULL}\n"
    )
    assert _choose(tmp_path) == {"mine": NULL, "theirs": NULL, "kept": False}


def test_without_a_session_bus_both_fall_back(tmp_path: Path) -> None:
    chosen = _choose(tmp_path, DBUS_SESSION_BUS_ADDRESS=None)
    assert chosen == {"mine": FAIL, "theirs": FAIL, "kept": False}
