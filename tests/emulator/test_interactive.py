"""Interactive mode: a push page a person answers with Approve or Deny."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from duoctl.emulator import EmulatedUser, Emulator

from .conftest import callback, follow, make_client, url

pytestmark = pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")


@pytest.fixture
def interactive() -> Iterator[Emulator]:
    users = [EmulatedUser("alice"), EmulatedUser("<script>alert(1)</script>")]
    with Emulator(users, interactive=True) as emulator:
        yield emulator


def prompt(emu: Emulator, username: str) -> tuple[str, Any]:
    client = make_client(emu)
    state = client.generate_state()
    page = follow(emu, client.create_auth_url(username, state))
    assert page.status_code == 200
    return state, page


def answer(emu: Emulator, page: Any, action: str) -> Any:
    txid = re.search(r'name="txid" value="([^"]+)"', page.text)
    assert txid is not None
    return requests.post(
        url(emu, "/emulator/prompt"),
        data={"txid": txid.group(1), "action": action},
        verify=str(emu.ca_bundle),
        allow_redirects=False,
        timeout=10,
    )


def test_authorize_shows_push_page_with_two_forms(interactive: Emulator) -> None:
    _, page = prompt(interactive, "alice")
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Push sent to iOS (XXX-XXX-1234)" in page.text
    assert page.text.count('<form method="post" action="/emulator/prompt">') == 2
    assert 'value="approve"' in page.text
    assert 'value="deny"' in page.text


def test_approve_redirects_with_a_code_that_exchanges(interactive: Emulator) -> None:
    state, page = prompt(interactive, "alice")
    cb = callback(answer(interactive, page, "approve"))
    assert cb.params["state"] == state
    client = make_client(interactive)
    token = client.exchange_authorization_code_for_2fa_result(cb.params["duo_code"], "alice")
    assert token["auth_result"]["status"] == "allow"


def test_deny_redirects_with_a_deny_code(interactive: Emulator) -> None:
    _, page = prompt(interactive, "alice")
    cb = callback(answer(interactive, page, "deny"))
    client = make_client(interactive)
    token = client.exchange_authorization_code_for_2fa_result(cb.params["duo_code"], "alice")
    assert token["auth_result"]["status"] == "deny"


def test_a_prompt_can_be_answered_once(interactive: Emulator) -> None:
    _, page = prompt(interactive, "alice")
    assert answer(interactive, page, "approve").status_code == 302
    assert answer(interactive, page, "approve").status_code == 400


def test_username_is_html_escaped(interactive: Emulator) -> None:
    _, page = prompt(interactive, "<script>alert(1)</script>")
    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
