"""Run an emulator in the foreground until Ctrl+C (or SIGTERM): what ``duoctl emulator``
does, kept beside the emulator (its command in cli/ only parses the options)."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, Any

from duoctl.emulator.admin.authlog import VISIBILITY_DELAY
from duoctl.emulator.admin.banner import (
    AdminCredential,
    admin_banner_lines,
    kept_admin_credential,
    write_pending_admin_secret,
)
from duoctl.emulator.admin.permissions import parse_permissions
from duoctl.emulator.ca import KeyType
from duoctl.emulator.control import apply_faults, parse_fault_option
from duoctl.emulator.faults import Faults
from duoctl.emulator.lifecycle import Emulator
from duoctl.emulator.server import SeenRequest
from duoctl.emulator.service import (
    App,
    ServiceOptions,
    banner,
    is_non_loopback,
    load_apps,
    non_loopback_warning,
    primary_app,
    write_pending_secrets,
)
from duoctl.emulator.users import (
    EmulatedUser,
    NewUserPolicy,
    Outcome,
    load_users_toml,
    parse_user_spec,
)
from duoctl.errors import ValidationError
from duoctl.output import envelope

_USERS_HINT = 'TOML: [[users]] name = "alice" outcome = "approve" delay = 0.5'
_SPEC_HINT = "use NAME[:OUTCOME[:DELAY]], e.g. --user bob:deny or --user carol:approve:2"
_FAULT_HINT = "e.g. --fault rate-limit=30, --fault status-5xx=502, --fault nonce-claim=wrong"
_FLUSH_INTERVAL = 0.2  # seconds between writes of the request log


class RequestLog:
    """One line per request on ``err``, written in batches by a background thread.

    A write and flush per request cost every handler thread a syscall under a shared lock;
    appending to a list costs nothing measurable, and a person watching still sees each line
    within a fifth of a second. Refused requests are logged with their reason even when
    ``every_request`` is off: Duo's answers are generic, so this is where the cause shows.
    """

    def __init__(self, err: IO[str], *, every_request: bool) -> None:
        self._err = err
        self._every_request = every_request
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="duoctl-emulator-log", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def __call__(self, seen: SeenRequest) -> None:
        if seen.reason is None and not self._every_request:
            return
        line = f"{seen.method} {seen.path} {seen.status}"
        if seen.reason is not None:
            line += f" ({seen.reason})"
        with self._lock:
            self._lines.append(line + "\n")

    def _run(self) -> None:
        while not self._closed.wait(_FLUSH_INTERVAL):
            self.flush()

    def flush(self) -> None:
        with self._lock:
            lines, self._lines = self._lines, []
        if lines:
            self._err.write("".join(lines))
            self._err.flush()

    def close(self) -> None:
        self._closed.set()
        if self._thread.is_alive():
            self._thread.join()
        self.flush()


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


def collect_faults(specs: Sequence[str]) -> dict[str, Any]:
    """``--fault`` specs as the changes :func:`apply_faults` takes, checked before start-up
    (a later spec for the same fault wins)."""
    changes: dict[str, Any] = {}
    try:
        for spec in specs:
            name, value = parse_fault_option(spec)
            changes[name] = value
        apply_faults(Faults(), changes)
    except ValueError as exc:
        raise ValidationError(str(exc), hint=_FAULT_HINT) from None
    return changes


def _admin_grants(names: Sequence[str] | None) -> list[str] | None:
    """``--admin-permission`` values (``none`` alone: no permission at all)."""
    if names is None:
        return None
    if [n.strip().lower() for n in names] == ["none"]:
        return []
    try:
        return sorted(parse_permissions(names))
    except ValueError as exc:
        raise ValidationError(str(exc), hint="e.g. --admin-permission 'read log'") from None


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
    log_requests: bool = True,
    new_user_policy: NewUserPolicy = NewUserPolicy.ENROLL,
    lowercase_preferred_username: bool = False,
    key_type: KeyType = "rsa",
    service: ServiceOptions | None = None,
    fault_specs: Sequence[str] = (),
    admin_permissions: Sequence[str] | None = None,
    authlog_delay: float = VISIBILITY_DELAY,
) -> None:
    """Serve until interrupted, then stop cleanly and return.

    stdout gets the data a client needs (endpoint, client ID, CA bundle, users); stderr gets
    status and one line per request (method, path without query, status; ``log_requests``
    False keeps only refused requests, with their reason). The client secret
    goes to a 0600 file in the emulator's private state dir, removed on exit, unless
    ``show_secret``. Ctrl+C, SIGTERM or ``stop.set()`` end it: this function then returns
    normally, so the command exits 0; stopping is the expected way to finish a foreground
    server, not a failure (as with ``python -m http.server``).

    ``service`` (see :class:`ServiceOptions`) adds the CI features: ``json`` prints one JSON
    document (:func:`duoctl.emulator.service.banner`) instead of the prose banner.
    ``fault_specs`` (``--fault NAME[=VALUE]``) are on from the first request.
    ``admin_permissions`` (``--admin-permission``) limits the Admin API credential to
    those grants (default: all); its secret key, like the client secret, is only a file.
    ``authlog_delay`` (``--authlog-delay``): seconds before the authentication log serves a
    record (Duo's documented two minutes by default).
    """
    service = service if service is not None else ServiceOptions()
    if service.json and show_secret:
        raise ValidationError(
            "--show-secret does not apply to --json",
            hint="read the file named by client_secret_file in the JSON document",
        )
    users = collect_users(users_file, user_specs)
    faults = collect_faults(fault_specs)
    granted = _admin_grants(admin_permissions)
    apps = [primary_app(service)]  # creates the state dir, if any
    admin = kept_admin_credential(service.state_dir)
    if service.apps_file is not None:
        apps += load_apps(service.apps_file, service.state_dir)
        if len({a.client_id for a in apps}) != len(apps):
            raise ValidationError("an app in --apps has the primary Client ID")
    bind = service.bind if service.bind is not None else "127.0.0.1"
    stop = stop if stop is not None else threading.Event()
    log = RequestLog(err, every_request=log_requests)
    try:
        emulator = Emulator(
            users,
            client_id=apps[0].client_id,
            client_secret=apps[0].client_secret,
            host=bind,
            port=port,
            interactive=interactive,
            state_dir=service.state_dir,
            keep_state=service.state_dir is not None,
            on_request=log,
            new_user_policy=new_user_policy,
            lowercase_preferred_username=lowercase_preferred_username,
            key_type=key_type,
            bind_any=service.bind is not None,
            hostnames=service.hostnames,
            admin_ikey=admin.ikey,
            admin_skey=admin.skey,
            admin_permissions=granted,
            authlog_delay=authlog_delay,
        )
        for app in apps[1:]:
            emulator.add_client(app.client_id, app.client_secret, app.name)
        apply_faults(emulator.faults, faults)
        emulator.start()
    except (ValueError, OSError) as exc:
        raise ValidationError(
            f"cannot start the emulator on {bind} port {port}: {exc}",
            hint="choose another --port, or 0 for any free port",
        ) from None
    log.start()
    # SIGTERM must stop us cleanly from the moment the banner says we are ready: a CI script
    # may read it and terminate us at once.
    previous_sigterm = _stop_on_sigterm(stop)
    try:
        _announce(emulator, apps, admin, faults, service, out, err, show_secret=show_secret)
        _wait(stop)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        log.close()
        if previous_sigterm is not None:
            signal.signal(signal.SIGTERM, previous_sigterm)
    err.write("Duo emulator stopped.\n")
    err.flush()


def _announce(
    emulator: Emulator,
    apps: list[App],
    admin: AdminCredential,
    faults: dict[str, Any],
    service: ServiceOptions,
    out: IO[str],
    err: IO[str],
    *,
    show_secret: bool,
) -> None:
    """Write the secrets' files, then tell the world we are ready (stdout: the banner)."""
    bind = service.bind if service.bind is not None else "127.0.0.1"
    if is_non_loopback(bind):
        err.write(non_loopback_warning(bind))
        err.flush()
    write_pending_secrets(apps, emulator.state_dir)
    admin_skey_file = write_pending_admin_secret(admin, emulator)
    if service.json:
        data = banner(emulator, apps, bind, admin_skey_file)
        # One line: a CI script can read it with `head -n1 | jq` as it arrives.
        out.write(json.dumps(envelope("emulator", data)) + "\n")
        out.flush()
    else:
        _print_banner(emulator, apps[0], admin_skey_file, out, show_secret=show_secret)
    if faults:
        on = ", ".join(f"{n.replace('_', '-')}={v!r}" for n, v in faults.items())
        err.write(f"faults on: {on}\n")
    err.write("Duo emulator running; press Ctrl+C to stop.\n")
    err.flush()


def _print_banner(
    emulator: Emulator, app: App, admin_skey_file: Path, out: IO[str], *, show_secret: bool
) -> None:
    if show_secret:
        secret_line = emulator.client_secret
    else:
        secret_line = f"in {app.secret_file} (or run with --show-secret)"
    lines = [
        f"endpoint:      https://{emulator.api_host}",
        f"api host:      {emulator.api_host}",
        f"client ID:     {emulator.client_id}",
        f"client secret: {secret_line}",
        f"CA bundle:     {emulator.ca_bundle}",
        f"control API:   https://{emulator.api_host}/emulator/ "
        f"(bearer token in {emulator.control_token_file})",
        f"mode:          {'interactive' if emulator.interactive else 'automatic'}",
        f"new users:     {emulator.new_user_policy.value} (users not listed below)",
        *admin_banner_lines(emulator, admin_skey_file, show_secret=show_secret),
        "users:",
        *(f"  {describe_user(u)}" for u in emulator.users.values()),
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


def _stop_on_sigterm(stop: threading.Event) -> signal.Handlers | Callable[..., Any] | int | None:
    """Make SIGTERM set ``stop`` when we own the main thread; return the handler it replaced
    (None when not on the main thread, where signals cannot be handled)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        stop.set()

    return signal.signal(signal.SIGTERM, on_sigterm)


def _wait(stop: threading.Event) -> None:
    """Block until ``stop`` is set (Ctrl+C raises KeyboardInterrupt in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        stop.wait()
        return
    # A bounded wait in a loop, so Ctrl+C is delivered promptly on every platform.
    while not stop.wait(0.5):
        pass
