"""What the test-login flow reports while it runs. Kept import-free: the CLI loads it at start."""

from __future__ import annotations


class Progress:
    """No-op base; the CLI renders these events, tests record them."""

    def step(self, message: str) -> None: ...

    def warn(self, message: str) -> None: ...

    def note(self, message: str) -> None:
        """Worth knowing even with --json (on stderr), but nothing is wrong."""

    def show_url(self, url: str, listener_port: int, opened_with: str) -> None: ...

    def waiting(self, elapsed: float, timeout: float) -> None: ...
