"""The loopback HTTP listener that receives Duo's redirect back.

It is its own code, written for this one job, rather than ``http.server``: it reads at most a
few KiB per request with a deadline (a silent or trickling client cannot hold it), answers
only ``GET`` on the callback path with the right ``Host`` (a DNS-rebinding page cannot reach
it), compares ``state`` in constant time, ignores stray requests without ending the flow,
and accepts exactly one valid callback. Pages never echo the authorization code.

A flood of local connections must not deafen it: running out of file descriptors is a reason
to wait, not to stop accepting, and at most ``MAX_CONNECTIONS`` are served at once (fewer
under a low descriptor limit: the code exchange after the callback needs descriptors too).
When that limit, or the descriptor limit, is reached, the oldest connection that has sent
nothing is dropped to make room, so a browser arriving after the flood is served.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import hmac
import queue
import resource
import secrets
import select
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from duoctl.errors import ValidationError
from duoctl.testlogin.callback_pages import page

MAX_REQUEST_BYTES = 8192
HEADER_DEADLINE = 5.0
VERDICT_WAIT = 30.0
MAX_CONNECTIONS = 128  # served at once, both addresses together; each holds a thread and an fd
_FD_SHARE = 4  # ...and never more than a quarter of the process's descriptor limit
# The kernel caps it at net.core.somaxconn; 16 made bursts wait for 1 s SYN retransmits.
LISTEN_BACKLOG = 512
# Only a connection with nothing to read may be dropped to make room: a browser's request is
# usually waiting in the socket by the time it is accepted. This grace covers the moment
# between the handshake and the request's arrival.
SHED_GRACE = 0.01
_BACKOFF_MIN = 0.005
_BACKOFF_MAX = 1.0
# accept() errors that mean "not now" (out of descriptors or memory, a peer that reset before
# it was accepted), after which the listening socket still works. Any other error ends the
# loop: it means the socket itself is gone (close()).
_TRANSIENT_ACCEPT_ERRORS = frozenset(
    {
        errno.EMFILE,
        errno.ENFILE,
        errno.ENOBUFS,
        errno.ENOMEM,
        errno.ECONNABORTED,
        errno.EPROTO,
        errno.EPERM,  # Linux: a firewall rule refused the connection
    }
)
_OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
SECURITY_HEADERS = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
    ("Connection", "close"),
)
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    410: "Gone",
    431: "Request Header Fields Too Large",
    408: "Request Timeout",
}


@dataclass(frozen=True)
class Callback:
    """What Duo sent back: a code, or an error with its description."""

    code: str | None
    error: str | None = None
    error_description: str | None = None


@dataclass(frozen=True)
class Verdict:
    """What the browser page should finally say, once the code has been exchanged."""

    ok: bool
    title: str
    detail: str


class PortInUse(ValidationError):
    pass


class CallbackListener:
    """Bind first, then advertise: ``redirect_uri`` is only known after :meth:`start`."""

    def __init__(
        self,
        *,
        port: int = 0,
        bind_hosts: tuple[str, ...] = ("127.0.0.1", "::1"),
        advertised_host: str = "localhost",
        path: str | None = None,
        header_deadline: float = HEADER_DEADLINE,
    ) -> None:
        self._requested_port = port
        self._bind_hosts = bind_hosts
        self.advertised_host = advertised_host
        # A random path: a stray local process guessing the port still cannot hit it.
        self.path = path or f"/duoctl/callback/{secrets.token_hex(8)}"
        self._header_deadline = header_deadline
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._connections: list[threading.Thread] = []
        self._state: str | None = None
        self._callbacks: queue.Queue[Callback] = queue.Queue(maxsize=1)
        self._verdict: Verdict | None = None
        self._verdict_ready = threading.Event()
        self._done = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._stray_lock = threading.Lock()
        # Live connections -> when each was accepted, while it has still not sent its request
        # (None once it has, or once it was shed). Closing happens under this lock too, so a
        # shutdown() for shedding can never reach a descriptor number already reused.
        self._slots = threading.Condition()
        self._live: dict[socket.socket, float | None] = {}
        self._max_connections = _connection_cap()
        self.port = 0
        # Refused requests by why (wrong_path, wrong_method, wrong_host, two_hosts,
        # wrong_state, incomplete): a wrong state says more than a wrong path (issue 15).
        self.strays: collections.Counter[str] = collections.Counter()
        self.accept_errors = 0  # transient accept() failures survived (EMFILE, ...)
        self.shed_connections = 0  # silent connections dropped to make room

    # ---- lifecycle ----
    def start(self) -> CallbackListener:
        attempts = 1 if self._requested_port else 20
        last_error: OSError | None = None
        for _ in range(attempts):
            try:
                self._bind_all(self._requested_port)
                break
            except OSError as exc:
                self._close_sockets()
                last_error = exc
                if exc.errno != errno.EADDRINUSE:
                    break
        if not self._sockets:
            if last_error is not None and last_error.errno == errno.EADDRINUSE:
                raise PortInUse(
                    f"port {self._requested_port} is already in use on this machine",
                    hint="choose another --port, or omit it to let duoctl pick a free one",
                )
            raise ValidationError(f"cannot open the local callback listener: {last_error}")
        for sock in self._sockets:
            thread = threading.Thread(
                target=self._accept_loop,
                args=(sock,),
                daemon=True,
                name=f"duoctl-callback-{sock.family.name}",
            )
            thread.start()
            self._threads.append(thread)
        return self

    def _bind_all(self, port: int) -> None:
        for index, host in enumerate(self._bind_hosts):
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            # No SO_REUSEADDR: another process already on the port must make us fail, not share.
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind((host, port))
            except OSError as exc:
                sock.close()
                if index > 0 and exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                    continue  # no IPv6 loopback here: IPv4 alone will do
                raise
            sock.listen(LISTEN_BACKLOG)
            sock.settimeout(0.2)  # lets the accept loop notice close()
            self._sockets.append(sock)
            port = sock.getsockname()[1]
        self.port = port

    def close(self) -> None:
        self._closed.set()
        self._verdict_ready.set()
        self._close_sockets()
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads.clear()
        with self._slots:
            for conn, accepted in self._live.items():
                if accepted is not None:
                    _shutdown(conn)  # nothing was asked of us yet: nothing to finish
        # Let pages already being answered reach the browser (each is bounded in time).
        with self._lock:
            pending = list(self._connections)
        deadline = time.monotonic() + 2.0
        for thread in pending:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def _close_sockets(self) -> None:
        for sock in self._sockets:
            _shutdown(sock)  # wakes the accept loop now rather than at its 0.2 s poll
            with contextlib.suppress(OSError):
                sock.close()
        self._sockets.clear()

    def __enter__(self) -> CallbackListener:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def redirect_uri(self) -> str:
        return f"http://{self.advertised_host}:{self.port}{self.path}"

    def expect_state(self, state: str) -> None:
        self._state = state

    # ---- waiting ----
    def wait(self, timeout: float, tick: float = 0.1) -> Callback | None:
        """Block up to ``timeout`` seconds for the one valid callback; None on timeout.

        Waiting in short slices keeps Ctrl+C responsive in the main thread.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                return self._callbacks.get(timeout=min(tick, remaining))
            except queue.Empty:
                continue

    def finish(self, verdict: Verdict) -> None:
        """Release the browser's pending request with the final verdict."""
        self._verdict = verdict
        self._verdict_ready.set()

    def stray_counts(self) -> dict[str, int]:
        """The requests refused so far, by reason: a copy, as connection threads go on counting."""
        with self._stray_lock:
            return dict(self.strays)

    def _count_stray(self, reason: str) -> None:
        # Its own lock: it is also called while _lock is held (an incomplete callback).
        with self._stray_lock:
            self.strays[reason] += 1

    # ---- serving ----
    def _accept_loop(self, sock: socket.socket) -> None:
        backoff = 0.0
        while not self._closed.is_set():
            if not self._room_for_one_more():
                continue
            try:
                conn, _addr = sock.accept()
            except TimeoutError:
                continue
            except OSError as exc:
                if self._closed.is_set() or exc.errno not in _TRANSIENT_ACCEPT_ERRORS:
                    return
                with self._slots:
                    self.accept_errors += 1
                    if exc.errno in _OUT_OF_DESCRIPTORS and self._shed_oldest_silent():
                        # Its worker frees a descriptor as it ends, and notifies.
                        self._slots.wait(_BACKOFF_MIN * 10)
                        continue
                backoff = min(max(2 * backoff, _BACKOFF_MIN), _BACKOFF_MAX)
                self._closed.wait(backoff)
                continue
            backoff = 0.0
            self._start_worker(conn)

    def _room_for_one_more(self) -> bool:
        """True when another connection may be accepted; else make room and wait a little."""
        with self._slots:
            if len(self._live) < self._max_connections:
                return True
            self._shed_oldest_silent()
            self._slots.wait(_BACKOFF_MIN * 10)  # a worker that ends notifies at once
            return False

    def _shed_oldest_silent(self) -> bool:
        """Drop the oldest connection that has sent nothing (lock held); False if none."""
        cutoff = time.monotonic() - SHED_GRACE
        candidates = [
            conn
            for conn, accepted in self._live.items()  # insertion order: oldest first
            if accepted is not None and accepted <= cutoff
        ]
        if not candidates:
            return False
        poller = select.poll()
        for conn in candidates:
            poller.register(conn, select.POLLIN)
        # Readable means a request (or an end) is waiting: its worker is about to read it.
        readable = {fd for fd, _events in poller.poll(0)}
        for conn in candidates:
            if conn.fileno() not in readable:
                self._live[conn] = None
                self.shed_connections += 1
                _shutdown(conn)  # its worker's recv() returns at once and closes it
                return True
        return False

    def _start_worker(self, conn: socket.socket) -> None:
        worker = threading.Thread(
            target=self._serve, args=(conn,), daemon=True, name="duoctl-callback-conn"
        )
        with self._slots:
            self._live[conn] = time.monotonic()
        try:
            worker.start()
        except RuntimeError:  # no thread to be had right now: drop this one, keep accepting
            self._release(conn)
            return
        with self._lock:
            self._connections = [t for t in self._connections if t.is_alive()]
            self._connections.append(worker)

    def _release(self, conn: socket.socket) -> None:
        with self._slots:
            self._live.pop(conn, None)
            conn.close()
            self._slots.notify_all()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._serve_one(conn)
        finally:
            self._release(conn)

    def _serve_one(self, conn: socket.socket) -> None:
        try:
            head = self._read_head(conn)
        except _RequestTooLarge:
            self._request_read(conn)
            with contextlib.suppress(OSError):
                self._respond(conn, 431, "Request too large", "The request was refused.", ok=False)
            return
        except (TimeoutError, OSError):
            return  # silent or vanished client: drop it, keep listening
        if head is None:
            return
        if not self._request_read(conn):
            return  # shed while its request came in: it had its chance
        status, title, body, ok = self._handle(head)
        if status == 0:
            # The valid callback: answer once the exchange gave its verdict.
            self._verdict_ready.wait(VERDICT_WAIT)
            verdict = self._verdict or Verdict(
                False, "duoctl stopped", "The login was not completed."
            )
            status, title, body, ok = 200, verdict.title, verdict.detail, verdict.ok
        with contextlib.suppress(OSError):
            self._respond(conn, status, title, body, ok=ok)

    def _request_read(self, conn: socket.socket) -> bool:
        """Mark ``conn`` as no longer sheddable; False if it was shed already."""
        with self._slots:
            if self._live.get(conn) is None:
                return False
            self._live[conn] = None
            return True

    def _read_head(self, conn: socket.socket) -> bytes | None:
        deadline = time.monotonic() + self._header_deadline
        data = b""
        while b"\r\n\r\n" not in data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            conn.settimeout(remaining)
            chunk = conn.recv(4096)
            if not chunk:
                return None
            data += chunk
            if len(data) > MAX_REQUEST_BYTES:
                raise _RequestTooLarge
        return data.split(b"\r\n\r\n", 1)[0]

    def _allowed_hosts(self) -> set[str]:
        port = self.port
        return {
            f"localhost:{port}",
            f"127.0.0.1:{port}",
            f"[::1]:{port}",
            f"{self.advertised_host.lower()}:{port}",
        }

    def _handle(self, head: bytes) -> tuple[int, str, str, bool]:
        try:
            lines = head.decode("latin-1").split("\r\n")
            method, target, _version = lines[0].split(" ")
        except ValueError:
            return 400, "Bad request", "The request was malformed.", False
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                return 400, "Bad request", "A header line was malformed.", False
            key = name.strip().lower()
            if key == "host" and key in headers:
                # Which one counts would be a guess (the last one used to win): a rebinding
                # page could put its own name first and ours last. Refuse them all.
                self._count_stray("two_hosts")
                return 400, "Bad request", "The request carried more than one Host header.", False
            headers[key] = value.strip()
        url = urlsplit(target)
        if url.path == "/favicon.ico":
            return 404, "Not found", "", False
        if url.path != self.path:
            self._count_stray("wrong_path")
            return 404, "Not found", "This is duoctl's one-time Duo callback listener.", False
        if method != "GET":
            self._count_stray("wrong_method")
            return 405, "Method not allowed", "Only GET is accepted here.", False
        if headers.get("host", "").lower() not in self._allowed_hosts():
            self._count_stray("wrong_host")
            return 400, "Wrong host", "The request's Host header is not this listener's.", False
        query = parse_qs(url.query, keep_blank_values=True)
        state = _single(query, "state")
        if (
            self._state is None
            or state is None
            or not hmac.compare_digest(state.encode(), self._state.encode())
        ):
            self._count_stray("wrong_state")
            return (
                400,
                "State mismatch",
                "This callback does not belong to the login duoctl is waiting for. "
                "It was ignored; duoctl keeps waiting.",
                False,
            )
        with self._lock:
            if self._done.is_set():
                return 410, "Already used", "This one-time callback was already used.", False
            error = _single(query, "error")
            code = _single(query, "duo_code") or _single(query, "code")
            if error is None and not code:
                self._count_stray("incomplete")
                return 400, "Incomplete callback", "Neither a code nor an error was sent.", False
            self._done.set()
            self._callbacks.put(
                Callback(
                    code=None if error is not None else code,
                    error=error,
                    error_description=_single(query, "error_description"),
                )
            )
        if error is not None:
            description = _single(query, "error_description") or error
            return 200, "Duo login failed", f"Duo reported: {description}", False
        return 0, "", "", True

    def _respond(
        self, conn: socket.socket, status: int, title: str, body: str, *, ok: bool
    ) -> None:
        payload = page(title, body, ok=ok) if body or title else b""
        reason = _REASONS.get(status, "Error")
        lines = [
            f"HTTP/1.1 {status} {reason}",
            *(f"{k}: {v}" for k, v in SECURITY_HEADERS),
            f"Content-Length: {len(payload)}",
        ]
        if status == 405:
            lines.append("Allow: GET")
        conn.settimeout(5)
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)


class _RequestTooLarge(Exception):
    pass


def _connection_cap() -> int:
    try:
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return MAX_CONNECTIONS
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(4, min(MAX_CONNECTIONS, soft // _FD_SHARE))


def _shutdown(sock: socket.socket) -> None:
    # shutdown() wakes a thread blocked in accept() or recv() on the socket at once on Linux;
    # close() alone would not.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _single(query: dict[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    if not values or len(values) != 1:
        return None
    return values[0]
