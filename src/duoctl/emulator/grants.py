"""Short-lived, single-use things the emulator hands out: authorization codes and the
pending prompts of interactive mode. Both are keyed by unguessable random strings."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Generic, TypeVar

from duoctl.emulator.tokens import AuthFacts, AuthorizeRequest
from duoctl.emulator.users import EmulatedUser

CODE_LIFETIME = 60.0  # seconds: Duo's codes are meant to be exchanged straight away
PROMPT_LIFETIME = 300.0  # seconds a person has to press Approve / Deny


@dataclass(frozen=True)
class Grant:
    """What an authorization code stands for; bound to its client and redirect URI."""

    request: AuthorizeRequest
    facts: AuthFacts


@dataclass(frozen=True)
class PendingPrompt:
    request: AuthorizeRequest
    user: EmulatedUser


T = TypeVar("T")


class OneTimeStore(Generic[T]):
    """Values retrievable once, before they expire. Thread-safe."""

    def __init__(self, lifetime: float) -> None:
        self._lifetime = lifetime
        self._items: dict[str, tuple[T, float]] = {}
        self._lock = threading.Lock()

    def put(self, value: T, now: float) -> str:
        key = secrets.token_urlsafe(24)
        with self._lock:
            # Prune on write so a long-running emulator does not accumulate dead entries.
            # Every item lives as long, so insertion order is expiry order: only the oldest
            # few are looked at (a clock stepping back merely delays pruning).
            while self._items:
                oldest = next(iter(self._items))
                if self._items[oldest][1] > now:
                    break
                del self._items[oldest]
            self._items[key] = (value, now + self._lifetime)
        return key

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def take(self, key: str, now: float) -> T | None:
        """The value, removed so it can never be used again; None if unknown or expired."""
        with self._lock:
            item = self._items.pop(key, None)
        if item is None or item[1] <= now:
            return None
        return item[0]
