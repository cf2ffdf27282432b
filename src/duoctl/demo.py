"""``duoctl demo``: the whole test-login flow against the built-in emulator, no Duo account.

It exercises the real pieces end to end (config file, provider add, the external-MFA
parameter, the official ``duo_universal`` client over TLS, the loopback listener) with a
throwaway config in a private temp dir and an in-memory secret store, so it runs on a fresh
machine with no keyring and leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from duoctl.duoclient import PROXY_VARIABLES, official_client
from duoctl.emulator import EmulatedUser, Emulator, Outcome
from duoctl.mfa import set_external_mfa
from duoctl.providers import add_provider
from duoctl.secrets.memory import MemorySecretStore
from duoctl.testlogin.browser import BrowserOpener, FollowBrowser
from duoctl.testlogin.flow import LoginDeps, LoginOptions, run_test_login
from duoctl.testlogin.progress import Progress
from duoctl.testlogin.result import LoginResult

DEMO_PROVIDER = "emulator"


@dataclass(frozen=True)
class DemoOptions:
    username: str = "alice"
    outcome: Outcome = Outcome.APPROVE
    delay: float = 1.0
    interactive: bool = False
    timeout: float = 60.0


def run_demo(
    options: DemoOptions,
    progress: Progress,
    make_browser: Callable[[str], BrowserOpener] | None = None,
) -> LoginResult:
    """Run the round trip; ``make_browser`` gets the emulator's CA bundle path."""
    user = EmulatedUser(options.username, options.outcome, delay=options.delay)
    with (
        tempfile.TemporaryDirectory(prefix="duoctl-demo-") as tmp,
        Emulator(users=[user], interactive=options.interactive) as emulator,
    ):
        config_path = Path(tmp) / "config.toml"
        store = MemorySecretStore()
        progress.step(f"emulator listening on https://{emulator.api_host} (throwaway CA)")
        add_provider(
            config_path,
            store,
            name=DEMO_PROVIDER,
            endpoint=emulator.api_host,
            client_id=emulator.client_id,
            client_secret=emulator.client_secret,
            ca_bundle=str(emulator.ca_bundle),
        )
        set_external_mfa(config_path, True)
        ca_bundle = str(emulator.ca_bundle)
        browser = (
            make_browser(ca_bundle)
            if make_browser is not None
            else FollowBrowser(ca_bundle, on_failure=progress.warn)
        )
        deps = LoginDeps(
            config_path=config_path,
            secrets=store,
            client_factory=official_client,
            browser_for=lambda _provider: browser,
            progress=progress,
            environ={},  # no proxy warnings: they are set aside below
        )
        with _without_proxy_variables():
            return run_test_login(
                LoginOptions(
                    provider=DEMO_PROVIDER, username=options.username, timeout=options.timeout
                ),
                deps,
            )


@contextlib.contextmanager
def _without_proxy_variables() -> Iterator[None]:
    """The demo's emulator is on loopback: a proxy variable left in the environment (an old
    ``export HTTPS_PROXY=...`` on a server) must not route the login to a proxy. duo_universal
    calls ``requests.post``, which reads them from ``os.environ`` at each call, so they are
    set aside for the login and put back after it."""
    saved = {name: os.environ.pop(name) for name in PROXY_VARIABLES if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)
