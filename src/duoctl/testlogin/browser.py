"""Ways to get the Duo prompt URL in front of a person (or a machine).

- :class:`SystemBrowser`: Python's ``webbrowser``, so ``$BROWSER`` is honoured when set.
- :class:`FollowBrowser`: a built-in headless "browser" that follows redirects itself; it
  can complete a round trip only against the emulator, whose prompt answers by itself.
- :class:`PrintOnly`: nothing opens; the URL (always printed anyway) is the way in.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    import requests


class BrowserOpener(Protocol):
    name: str

    def open(self, url: str) -> None:
        """Start showing ``url``; must not block the caller (the listener waits meanwhile)."""
        ...

    def failure(self) -> str | None:
        """Why this opener can no longer lead to a callback, or None while it still may.

        Only a browser that follows the prompt by itself can know the login is stuck; with a
        person at a real browser, waiting is right even if opening it failed.
        """
        ...

    def sent_back(self) -> bool | None:
        """Whether Duo has sent this browser on from its prompt (to the callback).

        None when this opener cannot know: only a browser that makes the prompt's requests
        itself sees where Duo sends it. The flow uses it to say, on a timeout, whether Duo
        never answered or the browser never came back.
        """
        ...


def has_display(environ: Mapping[str, str], platform: str = sys.platform) -> bool:
    if platform == "darwin" or platform.startswith("win"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def can_open_system_browser(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    # With no display, webbrowser would fall back to a text browser that takes over the
    # terminal duoctl is drawing its status in: better to print the URL.
    return bool(env.get("BROWSER")) or has_display(env)


def _in_background(target: Callable[[], object], name: str) -> None:
    # webbrowser waits for a $BROWSER command to exit, and a headless browser exits only once
    # the callback page has loaded, which needs this process free to answer it.
    threading.Thread(target=target, name=name, daemon=True).start()


class SystemBrowser:
    name = "system"

    def __init__(self, on_failure: Callable[[str], None] | None = None) -> None:
        self._on_failure = on_failure

    def open(self, url: str) -> None:
        def run() -> None:
            import webbrowser

            try:
                opened = webbrowser.open(url, new=1)
            except Exception as exc:  # a broken $BROWSER must not end the login
                opened = False
                if self._on_failure:
                    self._on_failure(f"could not start the browser: {type(exc).__name__}")
                return
            if not opened and self._on_failure:
                self._on_failure("no browser could be opened; open the URL above yourself")

        _in_background(run, "duoctl-browser")

    def failure(self) -> str | None:
        return None  # the URL is printed: a person can still open it by hand

    def sent_back(self) -> bool | None:
        return None


class PrintOnly:
    name = "none"

    def open(self, url: str) -> None:
        return None

    def failure(self) -> str | None:
        return None

    def sent_back(self) -> bool | None:
        return None


class FollowBrowser:
    """Follow the Duo prompt's redirects with an HTTP client, as a browser would.

    TLS is verified against ``ca_bundle`` (the emulator's CA): never disabled.
    """

    name = "follow"
    MAX_HOPS = 10

    def __init__(
        self,
        ca_bundle: str | None,
        on_failure: Callable[[str], None] | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._ca_bundle = ca_bundle
        self._on_failure = on_failure
        self._timeout = timeout
        self._failure: str | None = None
        self._sent_back: bool | None = None

    def failure(self) -> str | None:
        return self._failure

    def sent_back(self) -> bool | None:
        return self._sent_back

    def _fail(self, message: str) -> None:
        self._failure = message
        if self._on_failure is not None:
            self._on_failure(message)

    def open(self, url: str) -> None:
        self._sent_back = False  # set before the thread starts: the flow may ask at once
        _in_background(lambda: self._follow(url), "duoctl-follow")

    def _follow(self, url: str) -> None:
        import requests

        current = url
        duo = urlsplit(url).netloc
        try:
            with requests.Session() as session:
                session.trust_env = False  # the emulator is local: never via a proxy
                for _ in range(self.MAX_HOPS):
                    verify: str | bool = self._ca_bundle if self._ca_bundle else True
                    if urlsplit(current).scheme == "http":
                        verify = True
                    response = session.get(
                        current, allow_redirects=False, verify=verify, timeout=self._timeout
                    )
                    location = response.headers.get("Location")
                    if response.is_redirect and location:
                        current = urljoin(current, location)
                        if urlsplit(current).netloc != duo:
                            self._sent_back = True  # off Duo's host: on to the callback
                        continue
                    # A page that stays (an interactive prompt, Duo's own "timed out") is
                    # what a person would see too: the wait runs on to --timeout.
                    if response.status_code >= 400:
                        error = _duo_error(response)
                        self._fail(
                            f"the Duo prompt page answered HTTP {response.status_code}"
                            + (f": {error}" if error else "")
                        )
                    return
            self._fail(f"the Duo prompt redirected more than {self.MAX_HOPS} times")
        except requests.RequestException as exc:
            self._fail(f"the built-in browser failed: {type(exc).__name__}")


def _duo_error(response: requests.Response) -> str | None:
    """Duo's ``error (error_description)`` from a JSON error page, cleaned and cut (it is
    the network's word), or None when the page is not one."""
    from duoctl.output import safe_text

    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return None
    error = safe_text(body["error"], limit=60)
    description = body.get("error_description")
    if isinstance(description, str) and description:
        return f"{error} ({safe_text(description, limit=200)})"
    return error
