"""Fault injection: the ways a real Duo (or the path to it) misbehaves, switchable at runtime.

Handler threads read these attributes on every request, so a test can flip them on a running
emulator and the next request sees the change. Plain attribute reads and writes are atomic in
CPython, which is all the synchronisation this needs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Faults:
    latency: float = 0.0  # seconds added before answering each request
    status_5xx: bool | int = False  # True: 503; an int 500..599: that status
    non_json: bool = False  # JSON endpoints answer with an HTML body instead
    clock_skew: float = 0.0  # seconds added to every time the server reports
    wrong_ca: bool = False  # serve a leaf from a CA that is not in ca_bundle
    expired_cert: bool = False  # serve a leaf from the right CA that has expired

    def forced_status(self) -> int | None:
        """The 5xx status to answer with, or None when the fault is off."""
        # bool is an int subclass: test it first so True means 503, not status 1.
        if isinstance(self.status_5xx, bool):
            return 503 if self.status_5xx else None
        if 500 <= self.status_5xx <= 599:
            return self.status_5xx
        raise ValueError(f"status_5xx must be a bool or 500..599, not {self.status_5xx!r}")

    def reset(self) -> None:
        """Turn every fault off (handy between tests sharing one emulator)."""
        fresh = Faults()
        for name in vars(fresh):
            setattr(self, name, getattr(fresh, name))
