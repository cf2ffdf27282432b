"""An Admin API host that accepts the connection and never answers (a firewall dropping the
packets after the handshake, a wedged load balancer): the console script must end on its own
time bound with the README's exit code 9 and say which call went unanswered, not hang."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from admin.conftest import Admin
from duoctl.errors import ExitCode

pytestmark = pytest.mark.real_keyring


@pytest.fixture
def silent_port() -> Iterator[int]:
    # The kernel completes the TCP handshake from the backlog; nothing here ever reads,
    # writes or accepts, so the TLS handshake waits for an answer that never comes.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def test_a_host_that_never_answers_ends_in_exit_9_naming_the_call(
    admin: Admin, silent_port: int
) -> None:
    result = admin.run(
        "admin",
        "login",
        "--host",
        f"localhost:{silent_port}",
        "--ikey",
        admin.emulator.admin_ikey,
        "--ca-bundle",
        admin.emulator.ca_bundle,
        "--skey-stdin",
        input=admin.emulator.admin_skey + "\n",
    )

    assert result.code == ExitCode.TIMEOUT, result.stderr
    assert f"localhost:{silent_port} did not answer the account summary in time" in result.stderr
    assert not admin.config.exists() or "[admin]" not in admin.config.read_text()
    assert admin.emulator.admin_skey not in admin.outputs(result)
