"""The loopback HTTP listener that receives Duo's redirect back.

It is deliberately tiny and strict rather than built on ``http.server``: it reads at most a
few KiB per request with a deadline (a silent or trickling client cannot hold it), answers
only ``GET`` on the callback path with the right ``Host`` (a DNS-rebinding page cannot reach
it), compares ``state`` in constant time, ignores stray requests without ending the flow,
and accepts exactly one valid callback. Pages never echo the authorization code.
"""

from __future__ import annotations

import contextlib
import errno
import hmac
import queue
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from duoctl.errors import ValidationError
from duoctl.testlogin.pages import page

MAX_REQUEST_BYTES = 8192
HEADER_DEADLINE = 5.0
VERDICT_WAIT = 30.0
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
        self.port = 0
        self.stray_requests = 0

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
            sock.listen(16)
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
        # Let pages already being answered reach the browser (each is bounded in time).
        with self._lock:
            pending = list(self._connections)
        deadline = time.monotonic() + 2.0
        for thread in pending:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def _close_sockets(self) -> None:
        for sock in self._sockets:
            # shutdown() wakes a thread blocked in accept() at once on Linux; close() alone
            # would leave it until its 0.2 s poll.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
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

    def _count_stray(self) -> None:
        # Its own lock: it is also called while _lock is held (an incomplete callback).
        with self._stray_lock:
            self.stray_requests += 1

    # ---- serving ----
    def _accept_loop(self, sock: socket.socket) -> None:
        while not self._closed.is_set():
            try:
                conn, _addr = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(
                target=self._serve, args=(conn,), daemon=True, name="duoctl-callback-conn"
            )
            with self._lock:
                self._connections = [t for t in self._connections if t.is_alive()]
                self._connections.append(worker)
            worker.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                head = self._read_head(conn)
            except _RequestTooLarge:
                self._respond(conn, 431, "Request too large", "The request was refused.", ok=False)
                return
            except (TimeoutError, OSError):
                return  # silent or vanished client: drop it, keep listening
            if head is None:
                return
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
            headers[name.strip().lower()] = value.strip()
        url = urlsplit(target)
        if url.path == "/favicon.ico":
            return 404, "Not found", "", False
        if url.path != self.path:
            self._count_stray()
            return 404, "Not found", "This is duoctl's one-time Duo callback listener.", False
        if method != "GET":
            self._count_stray()
            return 405, "Method not allowed", "Only GET is accepted here.", False
        if headers.get("host", "").lower() not in self._allowed_hosts():
            self._count_stray()
            return 400, "Wrong host", "The request's Host header is not this listener's.", False
        query = parse_qs(url.query, keep_blank_values=True)
        state = _single(query, "state")
        if (
            self._state is None
            or state is None
            or not hmac.compare_digest(state.encode(), self._state.encode())
        ):
            self._count_stray()
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
                self._count_stray()
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


def _single(query: dict[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    if not values or len(values) != 1:
        return None
    return values[0]
