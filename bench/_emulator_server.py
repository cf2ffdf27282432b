"""The emulator as ``duoctl emulator`` runs it (run_emulator_foreground: banner on stdout,
request log on stderr), for bench/emulator.py. Stops when stdin closes.

With PYTHONPATH pointing at another checkout's src/, the same bench measures that version."""

from __future__ import annotations

import inspect
import sys
import threading

from duoctl.emulator.foreground import run_emulator_foreground


def main() -> None:
    log_requests = sys.argv[1] == "log" if len(sys.argv) > 1 else True
    stop = threading.Event()

    def wait_for_eof() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=wait_for_eof, daemon=True).start()
    # An older duoctl (PYTHONPATH=<old checkout>/src, for a before/after figure) logs every
    # request unconditionally and has no such parameter.
    extra = {}
    if "log_requests" in inspect.signature(run_emulator_foreground).parameters:
        extra["log_requests"] = log_requests
    run_emulator_foreground(
        None, 0, False, sys.stdout, sys.stderr, show_secret=True, stop=stop, **extra
    )


if __name__ == "__main__":
    main()
