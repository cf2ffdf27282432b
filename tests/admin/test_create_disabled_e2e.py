"""`provider create NAME --disabled` (issue 11) through the console script: the provider is
registered switched off, its Duo application is still created and health-checked, and a
named test-login can try it before `provider enable`, as the README's rollout describes."""

from __future__ import annotations

import tomllib

import pytest

from admin.conftest import Admin

pytestmark = pytest.mark.real_keyring


def test_create_disabled_registers_it_off_and_it_can_be_tested_by_name(
    logged_in: Admin,
) -> None:
    create = logged_in.run("provider", "create", "staging", "--disabled")
    assert create.code == 0, create.stderr
    assert "3. registered provider 'staging' (disabled)" in create.stderr
    assert "4. Duo's health check accepts the new credentials" in create.stderr
    provider = tomllib.loads(logged_in.config.read_text())["providers"]["staging"]
    assert provider["enabled"] is False
    (app,) = [i for i in logged_in.emulator.integrations.all() if i.name == "staging"]
    assert provider["client_id"] == app.integration_key

    login = logged_in.run("test-login", "staging", "--username", "alice", "--browser", "follow")
    assert login.code == 0, login.stderr
    assert (
        "provider 'staging' is disabled: testing it anyway; the platform does not use it "
        "until 'duoctl provider enable staging'"
    ) in " ".join(login.stderr.split())
