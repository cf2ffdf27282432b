"""Issue 15, row 6, met through the console script: Duo answers with its own spelling of the
user (here lower case, as it does for some accounts) and the SDK, which compares names
exactly, refuses the answer. The operator must learn which name was sent and which setting
to check, with the README's exit code (11)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from duoctl.emulator import Emulator
from duoctl.errors import DuoctlError, ExitCode
from testlogin.conftest import PROVIDER, USERS, Provider, add_provider_via_cli
from testlogin.helpers import free_port

pytestmark = pytest.mark.real_keyring


@pytest.fixture
def lowercasing(real_secret_service: None, tmp_path: Path) -> Iterator[Provider]:
    with Emulator(USERS, state_dir=tmp_path / "emulator", lowercase_preferred_username=True) as emu:
        config = tmp_path / "config" / "config.toml"
        add_provider_via_cli(emu, config)
        yield Provider(emu, config)
        from duoctl.secrets.keyring_store import KeyringSecretStore

        with contextlib.suppress(DuoctlError):
            KeyringSecretStore(config).delete(PROVIDER)


def test_a_name_duo_spells_differently_names_the_sent_name_and_the_setting(
    lowercasing: Provider,
) -> None:
    text = lowercasing.test_login("--port", str(free_port()), username="ALICE")
    assert text.code == ExitCode.DUO_PROTOCOL, text.stderr
    said = " ".join(text.stderr.split())
    assert "Duo's answer names another user than 'ALICE'" in said
    assert "'Username normalization' setting of the application" in said

    as_json = lowercasing.test_login("--port", str(free_port()), "--json", username="ALICE")
    assert as_json.code == ExitCode.DUO_PROTOCOL, as_json.stderr
    error = json.loads(as_json.stdout)["error"]
    assert error["exit_code"] == ExitCode.DUO_PROTOCOL
    assert json.loads(as_json.stdout)["data"] == {
        "cause": "username_mismatch",
        "username_sent": "ALICE",
    }


def test_the_same_name_in_duos_spelling_passes(lowercasing: Provider) -> None:
    # The control: the fault is the spelling, not the emulator option breaking every login.
    result = lowercasing.test_login("--port", str(free_port()), username="alice")
    assert result.code == ExitCode.OK, result.stderr
