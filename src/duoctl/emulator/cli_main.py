"""``duoctl emulator``'s core: run an emulator in the foreground until Ctrl+C (or SIGTERM)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import IO

from duoctl.emulator.lifecycle import Emulator
from duoctl.emulator.server import SeenRequest
from duoctl.emulator.users import EmulatedUser, Outcome, load_users_toml, parse_user_spec
from duoctl.errors import ValidationError

SECRET_FILENAME = "client_secret"  # noqa: S105 (a file name, not a secret)
_USERS_HINT = 'TOML: [[users]] name = "alice" outcome = "approve" delay = 0.5'
_SPEC_HINT = "use NAME[:OUTCOME[:DELAY]], e.g. --user bob:deny or --user carol:approve:2"


def collect_users(users_file: Path | None, user_specs: Sequence[str]) -> list[EmulatedUser]:
    """Users from the file, then ``--user`` specs (a spec replaces a file user of that name);
    ``alice`` (approve) when neither names anyone."""
    users: dict[str, EmulatedUser] = {}
    if users_file is not None:
        try:
            loaded = load_users_toml(users_file)
        except OSError as exc:
            raise ValidationError(f"cannot read {users_file}: {exc.strerror}") from None
        except ValueError as exc:  # tomllib.TOMLDecodeError included
            raise ValidationError(f"invalid users file: {exc}", hint=_USERS_HINT) from None
        users.update((u.name, u) for u in loaded)
    for spec in user_specs:
        try:
            user = parse_user_spec(spec)
        except ValueError as exc:
            raise ValidationError(str(exc), hint=_SPEC_HINT) from None
        users[user.name] = user
    return list(users.values()) or [EmulatedUser("alice")]


def describe_user(user: EmulatedUser) -> str:
    text = f"{user.name}: {user.outcome.value}"
    if user.delay and user.outcome is not Outcome.TIMEOUT:
        text += f" after {user.delay:g} s"
    return text


def run_emulator_foreground(
    users_file: Path | None,
    port: int,
    interactive: bool,
    out: IO[str],
    err: IO[str],
    *,
    user_specs: Sequence[str] = (),
    show_secret: bool = False,
    stop: threading.Event | None = None,
) -> None:
    """Serve until interrupted, then stop cleanly and return.

    stdout gets the data a client needs (endpoint, client ID, CA bundle, users); stderr gets
    status and one line per request (method, path without query, status). The client secret
    goes to a 0600 file in the emulator's private state dir, removed on exit, unless
    ``show_secret``. Ctrl+C, SIGTERM or ``stop.set()`` end it: this function then returns
    normally, so the command exits 0; stopping is the expected way to finish a foreground
    server, not a failure (as with ``python -m http.server``).
    """
    users = collect_users(users_file, user_specs)
    stop = stop if stop is not None else threading.Event()
    log_lock = threading.Lock()

    def log_request(seen: SeenRequest) -> None:
        with log_lock:
            err.write(f"{seen.method} {seen.path} {seen.status}\n")
            err.flush()

    try:
        emulator = Emulator(users, port=port, interactive=interactive, on_request=log_request)
        emulator.start()
    except (ValueError, OSError) as exc:
        raise ValidationError(
            f"cannot start the emulator on port {port}: {exc}",
            hint="choose another --port, or 0 for any free port",
        ) from None
    try:
        _print_banner(emulator, out, show_secret=show_secret)
        err.write("Duo emulator running; press Ctrl+C to stop.\n")
        err.flush()
        _wait(stop)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    err.write("Duo emulator stopped.\n")
    err.flush()


def _print_banner(emulator: Emulator, out: IO[str], *, show_secret: bool) -> None:
    if show_secret:
        secret_line = emulator.client_secret
    else:
        secret_path = emulator.state_dir / SECRET_FILENAME
        fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(emulator.client_secret + "\n")
        secret_line = f"in {secret_path} (or run with --show-secret)"
    lines = [
        f"endpoint:      https://{emulator.api_host}",
        f"api host:      {emulator.api_host}",
        f"client ID:     {emulator.client_id}",
        f"client secret: {secret_line}",
        f"CA bundle:     {emulator.ca_bundle}",
        f"mode:          {'interactive' if emulator.interactive else 'automatic'}",
        "users:",
        *(f"  {describe_user(u)}" for u in emulator.users.values()),
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


def _wait(stop: threading.Event) -> None:
    """Block until ``stop`` is set; SIGTERM sets it when we own the main thread."""
    if threading.current_thread() is not threading.main_thread():
        stop.wait()
        return

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        # A bounded wait in a loop, so Ctrl+C is delivered promptly on every platform.
        while not stop.wait(0.5):
            pass
    finally:
        signal.signal(signal.SIGTERM, previous)
