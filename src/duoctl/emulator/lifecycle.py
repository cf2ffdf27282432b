"""The :class:`Emulator`: configuration, start, stop. Everything else is wired from here."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import ipaddress
import math
import secrets
import shutil
import socket
import string
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType

from duoctl.emulator.admin.api import AdminAPI
from duoctl.emulator.admin.authlog import VISIBILITY_DELAY, AuthLog
from duoctl.emulator.admin.integrations import WEB_SDK_TYPE, Integration, Integrations
from duoctl.emulator.admin.permissions import ALL_PERMISSIONS, parse_permissions
from duoctl.emulator.ca import KeyType, build_tls_contexts, validate_hostname
from duoctl.emulator.control import ControlAPI, is_control_path
from duoctl.emulator.endpoints import TIMEOUT_HOLD, DuoEndpoints
from duoctl.emulator.faults import Faults
from duoctl.emulator.server import EmulatorHTTPServer, SeenRequest
from duoctl.emulator.users import EmulatedUser, NewUserPolicy, Outcome
from duoctl.fileio import replace_atomically, write_private_new

CA_FILENAME = "ca.pem"
CONTROL_TOKEN_FILENAME = "control_token"  # noqa: S105 (a file name, not a secret)
_MIN_TOKEN = 16
_POLL_INTERVAL = 0.05  # how quickly serve_forever notices stop(); costs nothing measurable
_JOIN_TIMEOUT = 5.0
_SEEN_LIMIT = 10_000  # requests_seen keeps the most recent ones only
# The leaf certificate names exactly these; another loopback address would fail TLS checks.
_BIND_HOSTS = {"localhost": "127.0.0.1", "127.0.0.1": "127.0.0.1", "::1": "::1"}
_UPPER_ALNUM = string.ascii_uppercase + string.digits
_ALNUM = string.ascii_letters + string.digits


def generate_client_id() -> str:
    """20 upper-case letters and digits starting with ``DI``, like a real Duo client ID."""
    return "DI" + "".join(secrets.choice(_UPPER_ALNUM) for _ in range(18))


def generate_client_secret() -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(40))


def _admin_credential(
    ikey: str | None, skey: str | None, permissions: Iterable[str] | None
) -> tuple[str, str, set[str]]:
    """The Admin API's integration key, secret key and permissions: each as given
    (checked), else generated (all permissions)."""
    ikey = ikey if ikey is not None else generate_client_id()
    skey = skey if skey is not None else generate_client_secret()
    if len(ikey) != 20 or not ikey.startswith("DI") or not all(c in _UPPER_ALNUM for c in ikey):
        raise ValueError("admin_ikey must be DI and 18 upper-case letters and digits")
    if len(skey) != 40 or not all(c in _ALNUM for c in skey):
        raise ValueError("admin_skey must be 40 letters and digits")
    granted = set(ALL_PERMISSIONS) if permissions is None else parse_permissions(permissions)
    return ikey, skey, granted


def _loopback_bind_address(host: str, *, any_address: bool = False) -> str:
    address = _BIND_HOSTS.get(host)
    if address is not None:
        return address
    if any_address:
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            raise ValueError(f"bind address {host!r} is not an IP address") from None
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        raise ValueError(f"host {host!r}: use 127.0.0.1 or ::1 (what the certificate names)")
    raise ValueError(f"host {host!r} is not loopback: the emulator binds loopback only")


class Emulator:
    """A local Duo (OIDC Auth API) over real TLS, with scripted users and injectable faults.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. ``api_host`` and
    ``ca_bundle`` are what ``duo_universal.Client(host=..., duo_certs=...)`` needs.

    ``clock`` is the server's time: code and prompt lifetimes, JWT exp/nbf/iat checks and
    every time it reports (plus ``faults.clock_skew``) follow it, so a test can move time
    forward without sleeping. Certificates keep real time: clients check them with theirs.

    ``new_user_policy`` decides what an unknown username gets (Duo's default: ``ENROLL``);
    ``lowercase_preferred_username`` makes id_tokens carry the username lower-cased, as Duo
    does for some accounts. ``key_type`` is the server certificate's key: ``"rsa"`` like
    Duo's, or ``"ec"``. ``push_timeout`` is how long a TIMEOUT user's prompt is held before
    Duo's "timed out" page (real Duo: about a minute). ``on_request`` sees every request;
    ``SeenRequest.reason`` says why one was refused (Duo's own answers never do).

    Duo's Admin API is served on the same host and port (:mod:`duoctl.emulator.admin`):
    ``admin_ikey`` / ``admin_skey`` sign requests (generated when None), and
    ``admin_permissions`` (a mutable set of :data:`ALL_PERMISSIONS` names; all by
    default) decides what they may call. ``duo_client.Admin(emu.admin_ikey,
    emu.admin_skey, emu.api_hostname, port=emu.port, ca_certs=str(emu.ca_bundle))`` works
    unmodified; every authorize decision lands in ``auth_log`` and its endpoint, served
    ``authlog_delay`` seconds later (Duo's documented two minutes by default; a test that
    cannot wait sets 0, at any time).
    """

    def __init__(
        self,
        users: Iterable[EmulatedUser] = (EmulatedUser("alice"),),
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        interactive: bool = False,
        state_dir: Path | None = None,
        on_request: Callable[[SeenRequest], None] | None = None,
        clock: Callable[[], float] = time.time,
        new_user_policy: NewUserPolicy = NewUserPolicy.ENROLL,
        lowercase_preferred_username: bool = False,
        key_type: KeyType = "rsa",
        push_timeout: float = TIMEOUT_HOLD,
        authlog_delay: float = VISIBILITY_DELAY,
        bind_any: bool = False,
        hostnames: Sequence[str] = (),
        keep_state: bool = False,
        control_token: str | None = None,
        admin_ikey: str | None = None,
        admin_skey: str | None = None,
        admin_permissions: Iterable[str] | None = None,
    ) -> None:
        self._bind_address = _loopback_bind_address(host, any_address=bind_any)
        self.hostnames = tuple(validate_hostname(name) for name in hostnames)
        if keep_state and state_dir is None:
            raise ValueError("keep_state needs a state_dir to keep the CA and keys in")
        self.keep_state = keep_state
        self._given_control_token = control_token
        if not 0 <= port <= 65535:
            raise ValueError(f"port {port} is out of range")
        self.client_id = client_id if client_id is not None else generate_client_id()
        self.client_secret = (
            client_secret if client_secret is not None else generate_client_secret()
        )
        if len(self.client_id) != 20 or not all(c in _UPPER_ALNUM for c in self.client_id):
            raise ValueError("client_id must be 20 upper-case letters and digits")
        if len(self.client_secret) != 40 or not all(c in _ALNUM for c in self.client_secret):
            raise ValueError("client_secret must be 40 letters and digits")
        # admin_permissions is mutable: a test removes one, the next request sees it.
        self.admin_ikey, self.admin_skey, self.admin_permissions = _admin_credential(
            admin_ikey, admin_skey, admin_permissions
        )
        self._initial_permissions = frozenset(self.admin_permissions)
        self.users: dict[str, EmulatedUser] = {u.name: u for u in users}
        self._initial_users = [dataclasses.replace(u) for u in self.users.values()]
        self._seen_lock = threading.Lock()
        self.faults = Faults()
        self.interactive = interactive
        self.requests_seen: collections.deque[SeenRequest] = collections.deque(maxlen=_SEEN_LIMIT)
        self._clients: dict[str, str] = {}
        self.integrations = Integrations(self._clients, generate_client_id, generate_client_secret)
        self.integrations.register(
            Integration(self.client_id, self.client_secret, "duoctl emulator", WEB_SDK_TYPE)
        )
        self.auth_log = AuthLog()
        self._requested_port = port
        self._given_state_dir = state_dir
        self._own_state_dir = False
        self._on_request = on_request
        self._clock = clock
        if not isinstance(new_user_policy, NewUserPolicy):
            raise ValueError(f"new_user_policy must be a NewUserPolicy, not {new_user_policy!r}")
        if key_type not in {"rsa", "ec"}:
            raise ValueError(f"key_type must be 'rsa' or 'ec', not {key_type!r}")
        self.new_user_policy = new_user_policy
        self.lowercase_preferred_username = lowercase_preferred_username
        self.key_type: KeyType = key_type
        self.push_timeout = _seconds("push_timeout", push_timeout)
        self.authlog_delay = _seconds("authlog_delay", authlog_delay)
        self._stopping = threading.Event()
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.api_host = ""
        self.state_dir = state_dir if state_dir is not None else Path()
        self.ca_bundle = Path()
        self.control_token = ""
        self.control_token_file = Path()

    # -- runtime configuration ------------------------------------------------------------

    def add_user(self, user: EmulatedUser) -> None:
        """Add or replace a user; takes effect for the next authorize request."""
        self.users[user.name] = user

    def add_client(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        name: str = "Web SDK",
    ) -> tuple[str, str]:
        """Register another application (e.g. to check codes are bound to their client); the
        Admin API lists it as a Web SDK integration called ``name``."""
        cid = client_id if client_id is not None else generate_client_id()
        secret = client_secret if client_secret is not None else generate_client_secret()
        self.integrations.register(Integration(cid, secret, name, WEB_SDK_TYPE))
        return cid, secret

    def remove_user(self, name: str) -> bool:
        """Forget the user called ``name`` (exactly); False if there was none."""
        return self.users.pop(name, None) is not None

    def set_outcome(self, name: str, outcome: Outcome, delay: float | None = None) -> None:
        """Change how an existing user answers (KeyError if unknown), keeping the rest."""
        user = self.users[name]
        delay = user.delay if delay is None else delay
        self.users[name] = dataclasses.replace(user, outcome=outcome, delay=delay)

    def clear_faults(self) -> None:
        self.faults.reset()

    def recent_requests(self, last: int = 50) -> list[SeenRequest]:
        """The last ``last`` requests to Duo's endpoints (not the control API's), oldest
        first; each with the authentication decided on it, if any."""
        with self._seen_lock:
            seen = list(self.requests_seen)
        duo = [r for r in seen if not is_control_path(r.path)]
        return duo[-last:] if last > 0 else []

    def reset(self) -> None:
        """Back to the start state: the users and Admin API permissions given at
        construction, no faults, empty request and authentication logs. Clients (those the
        Admin API created included), credentials and certificates stay."""
        self.users.clear()
        self.users.update((u.name, dataclasses.replace(u)) for u in self._initial_users)
        self.faults.reset()
        # In place: the Admin API holds this very set.
        self.admin_permissions.clear()
        self.admin_permissions.update(self._initial_permissions)
        self.auth_log.clear()
        with self._seen_lock:
            self.requests_seen.clear()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def api_hostname(self) -> str:
        """``api_host`` without its port: what ``duo_client.Admin`` takes as ``host``, with
        ``port=emu.port`` (duo_client connects to ``host`` on port 443 unless given
        ``port``, and signs ``host`` as given)."""
        return self.api_host.rpartition(":")[0]

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Emulator:
        """Generate the CA, bind, and serve in a daemon thread. Returns once the listening
        socket accepts connections (the kernel queues them until the loop picks them up)."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._stopping.clear()
        self._prepare_state_dir()
        try:
            tls = build_tls_contexts(
                self.state_dir, self.key_type, extra_names=self.hostnames, keep=self.keep_state
            )
            self._prepare_control_token()
            ca_bundle = self.state_dir / CA_FILENAME
            write_private_new(ca_bundle, tls.ca_pem)
            endpoints = DuoEndpoints(
                clients=self._clients,
                users=self.users,
                faults=self.faults,
                interactive=self.interactive,
                stopping=self._stopping,
                clock=self._clock,
                new_user_policy=self.new_user_policy,
                lowercase_preferred_username=self.lowercase_preferred_username,
                push_timeout=self.push_timeout,
            )
            admin = AdminAPI(
                ikey=self.admin_ikey,
                skey=self.admin_skey,
                granted=lambda: self.admin_permissions,
                users=self.users,
                integrations=self.integrations,
                log=self.auth_log,
                faults=self.faults,
                clock=self._clock,
                log_delay=lambda: self.authlog_delay,
            )
            family = socket.AF_INET6 if ":" in self._bind_address else socket.AF_INET
            server = EmulatorHTTPServer(
                (self._bind_address, self._requested_port),
                family=family,
                endpoints=endpoints,
                faults=self.faults,
                tls=tls,
                stopping=self._stopping,
                record=self._record,
                control=ControlAPI(self, self.control_token),
                admin=admin,
            )
        except BaseException:
            self._remove_state_dir()
            raise
        self.port = int(server.server_address[1])
        endpoints.bind_port(self.port, self.hostnames)
        admin.bind_port(self.port, self.hostnames)
        self.api_host = _advertised_host(self._bind_address, self.port, self.hostnames)
        self.ca_bundle = ca_bundle
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL},
            name="duoctl-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release held requests, close every connection and the port, join every thread,
        remove the private state dir. Safe to call twice."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        # The serve loop can be inside a blocking accept(): its poll said "readable" and the
        # connection was gone (or taken) by the time accept() ran. Then server.shutdown()
        # would wait for it forever; close() does not wake accept(), shutdown(SHUT_RDWR) does
        # (EINVAL, which the loop ignores), and the loop sees the shutdown flag.
        with contextlib.suppress(OSError):
            server.socket.shutdown(socket.SHUT_RDWR)
        server.shutdown()
        if thread is not None:
            thread.join(_JOIN_TIMEOUT)
        server.close_all(_JOIN_TIMEOUT)
        server.server_close()
        self._server = None
        self._thread = None
        self._remove_state_dir()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- helpers ---------------------------------------------------------------------------

    def _record(self, seen: SeenRequest) -> None:
        with self._seen_lock:
            self.requests_seen.append(seen)
        if self._on_request is not None:
            self._on_request(seen)

    def _prepare_control_token(self) -> None:
        """The control API's bearer token, in ``control_token`` (0600) in the state dir: the
        given one, else the kept one (``keep_state``), else a new random one."""
        path = self.state_dir / CONTROL_TOKEN_FILENAME
        token = self._given_control_token
        if token is None and self.keep_state and path.is_file():
            token = path.read_text(encoding="ascii").strip() or None
        if token is None:
            token = secrets.token_urlsafe(32)
        if len(token) < _MIN_TOKEN or not token.isascii() or not token.isprintable():
            raise ValueError(f"control_token must be {_MIN_TOKEN}+ printable ASCII characters")
        _write_if_changed(path, token.encode("ascii") + b"\n")
        self.control_token = token
        self.control_token_file = path

    def _prepare_state_dir(self) -> None:
        if self._given_state_dir is None:
            # mkdtemp creates the directory 0700: the leaf keys pass through it.
            self.state_dir = Path(tempfile.mkdtemp(prefix="duoctl-emulator-"))
            self._own_state_dir = True
        else:
            self._given_state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.state_dir = self._given_state_dir
            self._own_state_dir = False

    def _remove_state_dir(self) -> None:
        if self._own_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)
            self._own_state_dir = False


def _write_if_changed(path: Path, data: bytes) -> None:
    """Replace ``path`` (0600, atomically) unless it already holds ``data``: a kept state
    dir's files are rewritten, and fsynced, only when something changed."""
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    replace_atomically(path, data)


def _seconds(name: str, value: float) -> float:
    # NaN or infinity would make a wait last forever or not at all.
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, not {value!r}")
    return value


def _advertised_host(address: str, port: int, hostnames: Sequence[str]) -> str:
    """The ``host:port`` a local client should use: localhost for loopback or a wildcard
    bind (localhost resolves to 127.0.0.1 here; for ::1 the bracketed literal is safest),
    else the first ``--hostname``, else the address itself."""
    ip = ipaddress.ip_address(address)
    if ip == ipaddress.ip_address("::1"):
        return f"[::1]:{port}"
    if ip.is_loopback or ip.is_unspecified:
        return f"localhost:{port}"
    name = hostnames[0] if hostnames else address
    return f"[{name}]:{port}" if ":" in name else f"{name}:{port}"
