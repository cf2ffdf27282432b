"""Run a blocking call with a deadline: the one helper every bounded call goes through.

Libraries duoctl relies on can block forever: ``duo_universal`` passes no timeout to
``requests``, and a keyring D-Bus call can hang on a locked collection. The call runs in a
daemon thread; if the deadline passes, the caller gets an error and the thread is abandoned
(it dies with the process and holds nothing the caller still needs).

Deadlines nest: a bounded call made inside another (doctor's budget around a secret-store
read, which the store bounds too) runs in the enclosing call's thread when the enclosing
deadline ends first, since that one cuts it off anyway. Only a deadline that ends earlier
gets a thread and a timer of its own.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")

# In a worker thread: the monotonic time its deadline ends.
_enclosing = threading.local()


def call_with_deadline(
    call: Callable[[], _T],
    timeout: float,
    on_timeout: Callable[[], BaseException],
    *,
    name: str = "duoctl-deadline",
) -> _T:
    """``call()``'s result or exception, or ``on_timeout()`` raised after ``timeout`` s."""
    ends = time.monotonic() + timeout
    outer: float | None = getattr(_enclosing, "ends", None)
    if outer is not None and outer <= ends:
        return call()
    results: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=1)

    def worker() -> None:
        _enclosing.ends = ends
        try:
            results.put((True, call()))
        except BaseException as exc:  # handed to the caller's thread, re-raised there
            results.put((False, exc))

    threading.Thread(target=worker, name=name, daemon=True).start()
    try:
        ok, value = results.get(timeout=timeout)
    except queue.Empty:
        raise on_timeout() from None
    if ok:
        return value  # type: ignore[return-value]
    assert isinstance(value, BaseException)
    raise value
