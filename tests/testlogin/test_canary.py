"""The secret canary, extended to the paths that talk to Duo.

A provider's Client Secret is a unique 40-character canary; the emulator is configured with
it, so every signed request really carries it (as a JWT signature key, never in clear). It is
stored through ``duoctl provider add`` in the real Secret Service and read back by the
installed console script. Whatever way the run ends (allowed, denied, a TLS failure, a 5xx, a
body that is not JSON, rejected credentials, a timeout) and whatever renders the result
(text, ``--json``, ``doctor``), the canary must come out nowhere: not on stdout, not on
stderr, not in any file under the test's directory (the config included), not in argv.
stdout carries decoded claims only, never a raw token; stderr legitimately carries the Duo
prompt URL, whose ``request`` parameter is the signed (not secret) request JWT.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from duoctl.emulator import EmulatedUser, Emulator, Outcome, SeenRequest
from duoctl.emulator.lifecycle import generate_client_secret
from duoctl.errors import DuoctlError, ExitCode
from testlogin.helpers import Run, duoctl_env, prompt_url, run_duoctl

pytestmark = pytest.mark.real_keyring

PROVIDER = "canary"
USERS = [EmulatedUser("alice", Outcome.APPROVE), EmulatedUser("bob", Outcome.DENY)]
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.")
# What a Client Secret looks like on its own (the demo's secret is one we cannot know).
SECRET_SHAPED = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{40}(?![A-Za-z0-9])")


def _canary() -> str:
    value = "Canary" + uuid.uuid4().hex + "zz"
    assert len(value) == 40
    assert value.isalnum()
    return value


@dataclass
class CanaryWorld:
    emulator: Emulator
    config: Path
    root: Path
    canary: str  # the Client Secret in the keyring (and, unless rejected, the emulator's)
    argvs: list[list[str]] = field(default_factory=list)
    slow_after_authorize: list[bool] = field(default_factory=lambda: [False])

    def duoctl(self, *args: str, input: str | None = None) -> Run:
        argv = ["--config", str(self.config), *args]
        self.argvs.append(argv)
        return run_duoctl(*argv, input=input, env=duoctl_env())

    def test_login(self, *extra: str, username: str = "alice") -> Run:
        return self.duoctl(
            "test-login", PROVIDER, "--username", username, "--browser", "follow", *extra
        )

    def assert_clean(self, result: Run) -> None:
        """The canary is nowhere it may not be; stdout carries no raw token."""
        assert self.canary not in result.stdout
        assert self.canary not in result.stderr
        assert JWT.search(result.stdout) is None, result.stdout
        for argv in self.argvs:
            assert self.canary not in " ".join(argv)
        assert self.config.is_file()
        assert self.canary not in self.config.read_text()
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                path = Path(dirpath) / name
                assert self.canary.encode() not in path.read_bytes(), path


@contextlib.contextmanager
def _world(tmp_path: Path, *, emulator_knows_the_canary: bool = True) -> Iterator[CanaryWorld]:
    canary = _canary()
    holder: list[CanaryWorld] = []

    def slow_down_after_authorize(seen: SeenRequest) -> None:
        # The health check passes at full speed; the code exchange is what must time out.
        world = holder[0] if holder else None
        if world is None or not world.slow_after_authorize[0]:
            return
        if seen.path == "/oauth/v1/authorize" and seen.status == 302:
            world.emulator.faults.latency = 4

    emulator_secret = canary if emulator_knows_the_canary else generate_client_secret()
    with Emulator(
        USERS,
        client_secret=emulator_secret,
        state_dir=tmp_path / "emulator",
        on_request=slow_down_after_authorize,
    ) as emu:
        world = CanaryWorld(emu, tmp_path / "config" / "config.toml", tmp_path, canary)
        world.config.parent.mkdir()  # an explicit --config is created in an existing dir only
        holder.append(world)
        added = world.duoctl(
            "provider",
            "add",
            PROVIDER,
            "--endpoint",
            emu.api_host,
            "--client-id",
            emu.client_id,
            "--ca-bundle",
            str(emu.ca_bundle),
            "--client-secret-stdin",
            input=canary + "\n",
        )
        assert added.code == ExitCode.OK, added.stderr
        assert "secret stored in the OS keyring" in added.stderr
        world.assert_clean(added)
        # doctor checks the external-MFA parameter too: set it, so only Duo can fail it.
        enabled = world.duoctl("mfa", "enable", "--yes", "--failmode", "closed")
        assert enabled.code == ExitCode.OK, enabled.stderr
        try:
            yield world
        finally:
            from duoctl.secrets.keyring_store import KeyringSecretStore

            with contextlib.suppress(DuoctlError):
                KeyringSecretStore(world.config).delete(PROVIDER)


@pytest.fixture
def world(real_secret_service: None, tmp_path: Path) -> Iterator[CanaryWorld]:
    with _world(tmp_path) as made:
        yield made


def _set(attribute: str, value: object) -> Callable[[CanaryWorld], None]:
    def apply(world: CanaryWorld) -> None:
        setattr(world.emulator.faults, attribute, value)

    return apply


def _nothing(world: CanaryWorld) -> None:
    return None


def _slow_exchange(world: CanaryWorld) -> None:
    world.slow_after_authorize[0] = True


# (id, set-up, test-login arguments, username, expected exit code, text expected on stderr)
CASES = [
    ("approve-text", _nothing, [], "alice", ExitCode.OK, "health check of"),
    ("approve-json", _nothing, ["--json"], "alice", ExitCode.OK, "Duo prompt URL"),
    ("deny-text", _nothing, [], "bob", ExitCode.DUO_DENIED, "Duo denied the login"),
    ("deny-json", _nothing, ["--json"], "bob", ExitCode.DUO_DENIED, "Duo prompt URL"),
    (
        "wrong-ca",
        _set("wrong_ca", True),
        [],
        "alice",
        ExitCode.DUO_UNREACHABLE,
        "certificate could not be verified",
    ),
    (
        "5xx",
        _set("status_5xx", True),
        [],
        "alice",
        ExitCode.DUO_UNREACHABLE,
        "reported a server error",
    ),
    (
        "5xx-json",
        _set("status_5xx", True),
        ["--json"],
        "alice",
        ExitCode.DUO_UNREACHABLE,
        "reported a server error",
    ),
    ("non-json", _set("non_json", True), [], "alice", ExitCode.DUO_PROTOCOL, "not Duo's API"),
    (
        "slow-exchange",
        _slow_exchange,
        ["--network-timeout", "1"],
        "alice",
        ExitCode.TIMEOUT,
        "did not answer the code exchange within 1 s",
    ),
]
# The same with --debug: every exchange is shown, none of it secret.
CASES += [
    (f"{name}-debug", setup, [*extra, "--debug"], username, code, err)
    for name, setup, extra, username, code, err in CASES
    if name in ("approve-text", "deny-json", "wrong-ca", "5xx", "non-json", "slow-exchange")
]


@pytest.mark.parametrize(
    ("setup", "extra", "username", "expected_code", "expected_err"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_test_login_never_shows_the_secret(
    world: CanaryWorld,
    setup: Callable[[CanaryWorld], None],
    extra: list[str],
    username: str,
    expected_code: ExitCode,
    expected_err: str,
) -> None:
    setup(world)

    result = world.test_login(*extra, username=username)

    assert result.code == expected_code, result.stderr
    assert expected_err in result.stderr
    assert "Traceback" not in result.stderr
    world.assert_clean(result)
    debug = [line for line in result.stderr.splitlines() if line.startswith("debug: ")]
    assert bool(debug) == ("--debug" in extra)
    assert JWT.search("\n".join(debug)) is None, debug


def test_approve_json_decodes_claims_and_the_prompt_url_only_on_stderr(
    world: CanaryWorld,
) -> None:
    import json

    result = world.test_login("--json")

    assert result.code == ExitCode.OK, result.stderr
    document = json.loads(result.stdout)
    assert document["data"]["claims"]["preferred_username"] == "alice"
    # The prompt URL (signed request JWT, no secret) is on stderr, not stdout.
    assert JWT.search(prompt_url(result.stderr)) is not None
    world.assert_clean(result)


def test_invalid_client_never_shows_the_stored_secret(
    real_secret_service: None, tmp_path: Path
) -> None:
    # The keyring holds the canary; the emulator knows another (valid-format) secret.
    with _world(tmp_path, emulator_knows_the_canary=False) as world:
        assert world.emulator.client_secret != world.canary
        results = [world.test_login(), world.test_login("--json"), world.test_login("--debug")]

    for result in results:
        assert result.code == ExitCode.DUO_CREDENTIALS, result.stderr
        assert "Traceback" not in result.stderr
        world.assert_clean(result)
    assert "rejected the Client ID / Client Secret" in results[0].stderr


def test_invalid_client_in_doctor_never_shows_the_stored_secret(
    real_secret_service: None, tmp_path: Path
) -> None:
    with _world(tmp_path, emulator_knows_the_canary=False) as world:
        results = [world.duoctl("doctor", PROVIDER), world.duoctl("doctor", PROVIDER, "--json")]

    for result in results:
        assert result.code == ExitCode.CHECKS_FAILED, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        world.assert_clean(result)
    assert _failed_checks(results[1].stdout) == ["credentials"]


def _failed_checks(stdout: str) -> list[str]:
    import json

    checks = json.loads(stdout)["data"]["checks"]
    return [check["id"] for check in checks if check["status"] == "fail"]


@pytest.mark.parametrize("json_output", [False, True], ids=["text", "json"])
def test_doctor_never_shows_the_secret(world: CanaryWorld, json_output: bool) -> None:
    result = world.duoctl("doctor", PROVIDER, *(["--json"] if json_output else []))

    assert result.code == ExitCode.OK, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    if json_output:
        import json

        assert json.loads(result.stdout)["ok"] is True
    # doctor's credentials check really signed a request with the canary.
    assert any(seen.path == "/oauth/v1/health_check" for seen in world.emulator.requests_seen)
    world.assert_clean(result)


@pytest.mark.parametrize("json_output", [False, True], ids=["text", "json"])
def test_doctor_with_a_broken_duo_never_shows_the_secret(
    world: CanaryWorld, json_output: bool
) -> None:
    world.emulator.faults.status_5xx = True

    result = world.duoctl("doctor", PROVIDER, *(["--json"] if json_output else []))

    assert result.code == ExitCode.CHECKS_FAILED, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    if json_output:
        assert "credentials" in _failed_checks(result.stdout)
    world.assert_clean(result)


def test_demo_json_shows_no_token_and_no_secret_shaped_value() -> None:
    # The demo makes its own emulator and secret (not ours to choose): check that nothing on
    # stdout is a raw token or looks like a Client Secret, and that stderr outside the
    # prompt URL holds nothing secret-shaped either.
    result = run_duoctl("demo", "--delay", "0", "--json")

    assert result.code == ExitCode.OK, result.stderr
    assert JWT.search(result.stdout) is None, result.stdout
    assert SECRET_SHAPED.search(result.stdout) is None, result.stdout
    url = prompt_url(result.stderr)
    assert SECRET_SHAPED.search(result.stderr.replace(url, "")) is None, result.stderr
