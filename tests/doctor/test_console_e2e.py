"""``duoctl doctor`` end to end: the installed console script, the real Secret Service (the
secret was put there by ``duoctl provider add``), the real resolver for ``localhost``, and
the emulator over real TLS on loopback.

test_cli.py runs doctor in process with an in-memory keyring and a fake resolver; these runs
have neither, so a wrong wiring between the command and its checks cannot hide.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from duoctl.emulator import EmulatedUser, Emulator
from duoctl.errors import DuoctlError, ExitCode
from support.fake_tools import fake_timedatectl
from support.real_components import require_real, secret_service_available
from testlogin.conftest import add_provider_via_cli
from testlogin.helpers import Run, duoctl_env, run_duoctl

pytestmark = pytest.mark.real_keyring

NAME = "emu"
WRONG_SECRET = "Wr0ngSecretWr0ngSecretWr0ngSecretWr0ng00"
assert len(WRONG_SECRET) == 40


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Path]:
    require_real("Secret Service", *secret_service_available())
    path = tmp_path / "cfg" / "config.toml"
    yield path
    from duoctl.secrets.keyring_store import KeyringSecretStore

    # The keyring is shared by the whole run; leave no item behind (best effort).
    with contextlib.suppress(DuoctlError):
        KeyringSecretStore(path).delete(NAME)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    with Emulator([EmulatedUser("alice")], state_dir=tmp_path / "emulator") as emu:
        yield emu


def setup(emulator: Emulator, config: Path) -> None:
    add_provider_via_cli(emulator, config, NAME)
    enabled = run_duoctl("--config", config, "mfa", "enable", "--yes", "--failmode", "closed")
    assert enabled.code == 0, enabled.stderr


def doctor(config: Path) -> tuple[Run, dict[str, dict[str, Any]]]:
    run = run_duoctl("--config", config, "doctor", "--json")
    document = json.loads(run.stdout)
    checks = {c["id"]: c for c in document["data"]["checks"] if c["scope"] == f"provider:{NAME}"}
    return run, checks


def test_healthy_setup_passes_every_provider_check(emulator: Emulator, config: Path) -> None:
    setup(emulator, config)

    run, checks = doctor(config)

    assert run.code == ExitCode.OK, run.stdout + run.stderr
    for check_id in ("dns", "tcp", "tls", "clock", "credentials"):
        assert checks[check_id]["status"] == "ok", checks[check_id]


def test_wrong_secret_fails_the_credentials_check(emulator: Emulator, config: Path) -> None:
    setup(emulator, config)
    rotated = run_duoctl(
        "--config",
        config,
        "provider",
        "edit",
        NAME,
        "--rotate-secret",
        "--client-secret-stdin",
        input=WRONG_SECRET + "\n",
    )
    assert rotated.code == 0, rotated.stderr

    run, checks = doctor(config)

    assert run.code == ExitCode.CHECKS_FAILED, run.stdout + run.stderr
    assert checks["tls"]["status"] == "ok"
    assert checks["credentials"]["status"] == "fail", checks["credentials"]
    assert "Duo rejected Client ID" in checks["credentials"]["detail"]
    assert WRONG_SECRET not in run.stdout + run.stderr


def test_wrong_ca_fails_the_tls_check(emulator: Emulator, config: Path) -> None:
    setup(emulator, config)
    emulator.faults.wrong_ca = True

    run, checks = doctor(config)

    assert run.code == ExitCode.CHECKS_FAILED, run.stdout + run.stderr
    assert checks["tcp"]["status"] == "ok"
    assert checks["tls"]["status"] == "fail", checks["tls"]
    assert "not signed by a CA in the provider's CA bundle" in checks["tls"]["detail"]
    assert checks["credentials"]["status"] == "skipped", checks["credentials"]


def test_listener_that_never_answers_fails_instead_of_hanging(
    emulator: Emulator, config: Path
) -> None:
    setup(emulator, config)
    # Take the emulator away and put a listener on its port that accepts connections (the
    # kernel's backlog) but never says a word: the TLS handshake can only time out.
    port = emulator.port
    emulator.stop()
    with socket.socket() as silent:
        silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        silent.bind(("127.0.0.1", port))
        silent.listen(16)

        run, checks = doctor(config)

    assert run.code == ExitCode.CHECKS_FAILED, run.stdout + run.stderr
    assert checks["tcp"]["status"] == "ok"
    assert checks["tls"]["status"] == "fail", checks["tls"]
    assert "completed no TLS handshake within" in checks["tls"]["detail"]
    assert checks["credentials"]["status"] == "skipped", checks["credentials"]


def _doctor_clock(config: Path, path: str, *extra: str) -> tuple[int, dict[str, Any]]:
    run = run_duoctl("--config", config, "doctor", "--json", *extra, env=duoctl_env(PATH=path))
    document = json.loads(run.stdout)
    found = [c for c in document["data"]["checks"] if c["id"] == "clock"]
    assert len(found) == 1, run.stdout
    return run.code, found[0]


@pytest.mark.parametrize(("answer", "shown"), [("yes", "yes"), ("no", "no"), (None, "unknown")])
def test_a_host_ahead_of_duo_warns_with_the_ntp_state(
    emulator: Emulator, config: Path, tmp_path: Path, answer: str | None, shown: str
) -> None:
    setup(emulator, config)
    emulator.faults.clock_skew = -5.0  # Duo 5 s behind this machine
    directory = tmp_path / "path"
    directory.mkdir()
    if answer is not None:
        fake_timedatectl(directory, f"echo {answer}")
    # None: no timedatectl on PATH at all, the real lookup's absence path.

    code, clock = _doctor_clock(config, str(directory))

    assert code == ExitCode.OK, clock  # a warning: the run passes ...
    assert clock["status"] == "warn"
    assert "s ahead of Duo's" in clock["detail"]
    assert "Duo allows no leeway on a future nbf" in clock["detail"]
    assert clock["detail"].endswith(f"NTP synchronised: {shown}")
    assert clock["data"]["ntp_synchronised"] == {"yes": True, "no": False, None: None}[answer]
    assert "timedatectl set-ntp true" in clock["fix"]
    strict, _ = _doctor_clock(config, str(directory), "--strict")
    assert strict == ExitCode.CHECKS_FAILED  # ... unless warnings count


# ---- issue 15, row 3: interception or a stale pinned bundle ---------------------------------
# The provider uses Duo's pinned bundle (no ca_bundle), which never holds the emulator's CA;
# SSL_CERT_FILE plays this machine's CA store, holding the emulator's CA (or not).


def _pinned_tls(emulator: Emulator, config: Path, system_store: Path) -> dict[str, Any]:
    setup(emulator, config)
    cleared = run_duoctl("--config", config, "provider", "edit", NAME, "--clear-ca-bundle")
    assert cleared.code == 0, cleared.stderr
    run = run_duoctl(
        "--config", config, "doctor", "--json", env=duoctl_env(SSL_CERT_FILE=str(system_store))
    )
    assert run.code == ExitCode.CHECKS_FAILED, run.stdout + run.stderr
    checks = {c["id"]: c for c in json.loads(run.stdout)["data"]["checks"]}
    tls: dict[str, Any] = checks["tls"]
    assert tls["status"] == "fail"
    return tls


def test_a_chain_this_machine_trusts_but_the_pinned_bundle_does_not_suggests_updating(
    emulator: Emulator, config: Path
) -> None:
    tls = _pinned_tls(emulator, config, emulator.ca_bundle)

    assert "is trusted by this machine's CAs but not by Duo's pinned CA bundle" in tls["detail"]
    assert "duo_universal 2." in tls["detail"]  # the bundle's source, and its path
    assert "ca_certs.pem" in tls["detail"]
    assert "the pinned bundle predates it: update the Duo SDK (duo_universal" in tls["fix"]
    assert tls["data"]["system_trusts_chain"] is True
    assert tls["data"]["pinned_bundle_newest_ca"]  # a date, read from the bundle itself


def test_an_issuer_nobody_here_trusts_is_named_as_interception(
    emulator: Emulator, config: Path, tmp_path: Path
) -> None:
    emulator.faults.wrong_ca = True  # a leaf from a CA in neither store: the "proxy"
    tls = _pinned_tls(emulator, config, emulator.ca_bundle)

    issuer = tls["data"]["issuer"]
    assert issuer.startswith("CN=duoctl emulator impostor CA ")
    assert f"is issued by {issuer}, a CA that neither Duo's pinned CA bundle" in tls["detail"]
    assert tls["fix"].startswith(f"a TLS-intercepting proxy or firewall ({issuer}) is in the path")
    assert tls["data"]["system_trusts_chain"] is False
