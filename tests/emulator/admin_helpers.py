"""Helpers for the Admin API tests: Duo's official clients pointed at an emulator."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import duo_client
import duo_universal
import pytest

from duoctl.emulator import Emulator

from .conftest import REDIRECT_URI


def admin_client(emu: Emulator, *, skey: str | None = None, ikey: str | None = None) -> Any:
    """duo_client.Admin as a user would build it for the emulator: ``host`` without the port
    (duo_client connects to ``host`` on 443 unless given ``port``)."""
    client = duo_client.Admin(
        ikey if ikey is not None else emu.admin_ikey,
        skey if skey is not None else emu.admin_skey,
        emu.api_hostname,
        port=emu.port,
        ca_certs=str(emu.ca_bundle),
        timeout=10,
    )
    # duo_client retries a 429 with sleeps of 1, 2, 4 ... 32 s before giving up; this makes
    # it give up at once, so the 429 test does not sleep a minute. Nothing else changes.
    client._MAX_BACKOFF_WAIT_SECS = 0
    return client


def web_client(emu: Emulator, integration: dict[str, Any] | None = None) -> Any:
    """The official Web SDK client for the emulator's own application, or for an
    integration the Admin API returned."""
    client_id = emu.client_id if integration is None else integration["integration_key"]
    secret = emu.client_secret if integration is None else integration["secret_key"]
    return duo_universal.Client(
        client_id, secret, emu.api_host, REDIRECT_URI, duo_certs=str(emu.ca_bundle)
    )


def failure(call: Any, *args: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    """The HTTP status and Duo's error body of a call duo_client reports as failed."""
    with pytest.raises(RuntimeError) as info:
        call(*args, **kwargs)
    error: Any = info.value
    # duo_client attaches the parsed body when it was Duo's JSON error.
    data = error.data if isinstance(error.data, dict) else json.loads(error.data)
    return error.status, data


def now_ms() -> int:
    return int(time.time() * 1000)


def auth_log(client: Any, **params: Any) -> Any:
    """duo_client's get_authentication_log(api_version=2). Its default maxtime is the
    current second truncated (``int(time.time()) * 1000``), which leaves out what happened
    within this second, as it would on Duo; the tests look a second ahead instead."""
    params.setdefault("maxtime", now_ms() + 1000)
    return client.get_authentication_log(api_version=2, **params)


def admin_from_banner(banner: dict[str, Any]) -> Any:
    """duo_client.Admin built only from what the banner names."""
    admin = banner["admin_api"]
    return duo_client.Admin(
        admin["ikey"],
        Path(admin["skey_file"]).read_text().strip(),
        admin["host"],
        port=admin["port"],
        ca_certs=banner["ca_bundle"],
        timeout=10,
    )
