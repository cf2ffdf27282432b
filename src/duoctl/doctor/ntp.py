"""Is this machine's clock kept by NTP? Asked of systemd, for doctor's clock check.

``timedatectl show -p NTPSynchronized --value`` prints ``yes`` or ``no``. Where it is missing,
or fails (no systemd as PID 1: containers, WSL, some minimal hosts), the answer is unknown,
never a guess: chrony or ntpd may still keep the clock.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Sequence

NtpStatus = Callable[[], bool | None]  # True synchronised, False not, None unknown
COMMAND = ("timedatectl", "show", "-p", "NTPSynchronized", "--value")
TIMEOUT = 2.0  # seconds: timedatectl asks systemd-timedated over D-Bus, which can stall


def ntp_synchronised(command: Sequence[str] = COMMAND, timeout: float = TIMEOUT) -> bool | None:
    try:
        done = subprocess.run(  # noqa: S603 (a fixed command, no shell, no user input)
            list(command),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    answer = done.stdout.strip()
    if done.returncode != 0 or answer not in {"yes", "no"}:
        return None
    return answer == "yes"


def describe(synchronised: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown"}[synchronised]


def asked_once(status: NtpStatus) -> NtpStatus:
    """``status``, asked at most once however many providers' clock checks want it: the
    machine has one clock, and each question costs a process (timedatectl, ~20 ms)."""
    lock = threading.Lock()
    answer: list[bool | None] = []

    def ask() -> bool | None:
        with lock:
            if not answer:
                answer.append(status())
            return answer[0]

    return ask
