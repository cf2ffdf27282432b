"""Run a blocking call with a deadline.

Libraries duoctl relies on can block forever: ``duo_universal`` passes no timeout to
``requests``, and a keyring D-Bus call can hang on a locked collection. The call runs in a
daemon thread; if the deadline passes, the caller gets an error and the thread is abandoned
(it dies with the process and holds nothing the caller still needs).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")


def call_with_deadline(
    call: Callable[[], _T],
    timeout: float,
    on_timeout: Callable[[], BaseException],
    *,
    name: str = "duoctl-deadline",
) -> _T:
    results: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=1)

    def worker() -> None:
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
