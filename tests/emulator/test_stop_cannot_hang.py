"""Emulator.stop() cannot hang on a thread blocked in accept() on its listening socket.

Once, stop() hung in socketserver's shutdown() with the serve loop blocked in accept(): its
poll had said "readable", and by the time accept() ran there was nothing to take. That race
cannot be forced from outside, but its state can: a thread blocked in accept() on the same
listening socket is in exactly the system call the serve loop was stuck in. stop() must wake
it, and return.
"""

from __future__ import annotations

import socket
import threading

from duoctl.emulator import Emulator

BOUND_S = 10.0  # far above a normal stop (milliseconds); a hang is what this catches


def test_stop_wakes_a_thread_blocked_in_accept_and_returns() -> None:
    emu = Emulator([]).start()
    server = emu._server  # the listening socket the serve loop accepts on
    assert server is not None
    woken: list[BaseException | socket.socket] = []
    entered = threading.Event()

    def accept_forever() -> None:
        entered.set()
        try:
            conn, _ = server.socket.accept()
            woken.append(conn)
        except OSError as exc:
            woken.append(exc)

    blocked = threading.Thread(target=accept_forever, daemon=True)
    blocked.start()
    assert entered.wait(BOUND_S)
    stopper = threading.Thread(target=emu.stop, daemon=True)

    stopper.start()
    stopper.join(BOUND_S)
    blocked.join(BOUND_S)

    assert not stopper.is_alive(), "Emulator.stop() did not return"
    assert not blocked.is_alive(), "stop() left a thread blocked in accept()"
    assert len(woken) == 1
    assert isinstance(woken[0], OSError)  # woken by the shutdown, not given a connection
