"""The progress `test-login` and `demo` show on stderr while the flow runs (their result
is rendered by duoctl.output.render_outcome)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from duoctl.testlogin.progress import Progress

if TYPE_CHECKING:
    from rich.status import Status

    from duoctl.output import Streams


class CliProgress(Progress):
    """Renders the flow's progress on stderr; a live spinner only on a terminal."""

    def __init__(self, streams: Streams, quiet: bool) -> None:
        self._streams = streams
        self._quiet = quiet
        self._live = not quiet and streams.err_is_terminal()
        self._status: Status | None = None
        self._waiting_for = "the Duo callback"
        self._port = 0
        self._no_browser_because = "--browser none"

    def no_browser(self, because: str) -> None:
        """No browser will be opened, for this reason: said with the URL, at once."""
        self._no_browser_because = because

    def step(self, message: str) -> None:
        if not self._quiet:
            self._streams.status(f"- {message}")

    def warn(self, message: str) -> None:
        self._streams.warn(message)

    def note(self, message: str) -> None:
        self._streams.status(f"note: {message}")

    def show_url(self, url: str, listener_port: int, opened_with: str) -> None:
        # Always on stderr, even with --json: it is how a person gets to the prompt.
        err = self._streams.err
        err.write(f"Duo prompt URL (open it in a browser to approve the login):\n  {url}\n")
        self._port = listener_port
        if opened_with == "none":
            # Said now, not when --timeout runs out: without a terminal nobody sees a spinner,
            # and the login cannot complete until someone opens the URL.
            err.write(
                f"No browser was opened ({self._no_browser_because}): the login completes "
                "only once the URL above is opened in a browser and the push is approved.\n"
                + self._ssh_hint()
            )
        err.flush()
        self._waiting_for = f"the Duo callback on port {listener_port}"

    def _ssh_hint(self) -> str:
        port = self._port
        return (
            "On a remote machine, forward the callback port first:\n"
            f"  ssh -L {port}:localhost:{port} <user>@<this-host>\n"
            "then open the URL on your workstation.\n"
        )

    def browser_failed(self, message: str) -> None:
        """A browser that could not open: say so, and how to get there another way."""
        self.warn(message)
        self._streams.err.write(self._ssh_hint())
        self._streams.err.flush()

    def waiting(self, elapsed: float, timeout: float) -> None:
        if not self._live:
            return
        text = f"waiting for {self._waiting_for}: {elapsed:4.0f} s of {timeout:.0f} s"
        if self._status is None:
            self._status = self._streams.err_console.status(text)
            self._status.start()
        else:
            self._status.update(text)

    def close(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
