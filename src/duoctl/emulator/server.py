"""HTTP/1.1 over TLS on loopback: one daemon thread per connection, faults applied on the way.

The certificate is chosen per connection (so the wrong-CA and expired-certificate faults take
effect on the next connection), and the TLS handshake runs in the connection's own thread
under a socket timeout, so a client that connects and says nothing blocks nobody else.
Connections are kept alive between requests, as Duo's are, until idle for KEEP_ALIVE_IDLE.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import socket
import socketserver
import ssl
import sys
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from duoctl.emulator import prompt_pages
from duoctl.emulator.admin.api import AdminAPI, is_admin_path
from duoctl.emulator.ca import TlsContexts
from duoctl.emulator.control import ControlAPI, is_control_path
from duoctl.emulator.endpoints import (
    AUTHORIZE_PATH,
    HEALTH_CHECK_PATH,
    TOKEN_PATH,
    Decision,
    DuoEndpoints,
    Response,
    html_response,
    json_response,
)
from duoctl.emulator.faults import PORTAL_PATH, RATE_LIMITED_BODY, Faults
from duoctl.emulator.forms import BadBody, BodyTooLarge, parse_form, read_body
from duoctl.emulator.prompt_pages import PROMPT_PATH

DEBUG_ENV = "DUOCTL_DEBUG"
HANDSHAKE_TIMEOUT = 10.0  # seconds a new connection has to complete its TLS handshake
# Seconds a kept-alive connection may sit idle (or stall mid-request) before it is closed.
# Duo's own figure is unverified; 60 s is a common front-end default (nginx's is 75 s).
KEEP_ALIVE_IDLE = 60.0


class SeenRequest(NamedTuple):
    method: str
    path: str  # without the query string: queries carry assertions and codes
    status: int
    # Why the request was refused, when it was: Duo's answers are generic on purpose, so
    # this is the only place the specific check shows. Never holds request data.
    reason: str | None = None
    # The authentication this request decided (an authorize), as Duo's log would show it.
    decision: Decision | None = None


def report_bug(where: str) -> None:
    """Tell whoever runs the emulator that a handler hit a bug (call inside ``except``).

    Only the exception type by default: its message and the traceback can quote request
    data (codes, assertions, usernames). ``DUOCTL_DEBUG=1`` prints the full traceback.
    """
    exc = sys.exc_info()[1]
    name = type(exc).__name__ if exc is not None else "unknown error"
    if os.environ.get(DEBUG_ENV) == "1":
        print(f"duoctl emulator: bug in {where}:", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
    else:
        print(
            f"duoctl emulator: bug in {where}: {name} (set {DEBUG_ENV}=1 for the traceback)",
            file=sys.stderr,
        )


_ROUTES: dict[str, str] = {
    HEALTH_CHECK_PATH: "POST",
    AUTHORIZE_PATH: "GET",
    TOKEN_PATH: "POST",
    PROMPT_PATH: "POST",
}


class _Handler(BaseHTTPRequestHandler):
    server: EmulatorHTTPServer
    # Keep-alive: every response carries a Content-Length, and close_all() shuts idle
    # connections down at stop(), so kept-alive sockets never delay a shutdown.
    protocol_version = "HTTP/1.1"
    server_version = "duoctl-emulator"
    sys_version = ""
    _reason: str | None = None
    _decision: Decision | None = None

    def handle(self) -> None:
        try:
            self.request.do_handshake()
        except OSError:  # ssl.SSLError included: e.g. a client that distrusts our CA
            self.close_connection = True
            return
        self.request.settimeout(KEEP_ALIVE_IDLE)
        super().handle()

    def log_message(self, format: str, *args: Any) -> None:
        # The stdlib would print request lines, whose query strings hold client assertions
        # and authorization codes. What is worth keeping goes through log_request.
        return

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.partition("?")[0] if hasattr(self, "path") else "-"
        status = int(code) if isinstance(code, int) else 0
        method = getattr(self, "command", "-") or "-"
        reason, self._reason = self._reason, None  # the next request on this connection
        decision, self._decision = self._decision, None
        self.server.record(SeenRequest(method, path, status, reason, decision))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own refusals (a request line or header over 64 KiB, a malformed
        request, an unknown method) in Duo's JSON error shape, not an HTML page; the reason
        phrase is the standard one, never text from the request."""
        self.close_connection = True
        body = json.dumps(
            {"stat": "FAIL", "code": code * 100, "message": self.responses.get(code, ("",))[0]}
        ).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", "") != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def _dispatch(self, method: str) -> None:
        faults = self.server.faults
        # Faults never touch the control API: a test must always be able to turn them off.
        control = self.server.control is not None and is_control_path(self.path.partition("?")[0])
        if faults.latency > 0 and not control:
            self.server.stopping.wait(faults.latency)
        try:
            response = self._respond(method, faults)
        except Exception:
            # A bug in the emulator: show it to whoever runs it, answer like a server would.
            path = self.path.partition("?")[0]
            report_bug(f"{method} {path}" if path in _ROUTES else method)
            response = json_response(500, {"stat": "FAIL", "code": 50000, "message": "bug"})
        if response.is_json and faults.non_json and not control:
            # Headers (a 429's Retry-After) stay: a front end's page replaces only the body.
            page_response = html_response(
                response.status, prompt_pages.not_json_page(response.status)
            )
            response = dataclasses.replace(page_response, headers=response.headers)
        self._reason = response.reason
        self._decision = response.decision
        if response.decision is not None and self.server.admin is not None:
            self.server.admin.record(response.decision, self.client_address[0])
        self._send(response, with_body=method != "HEAD")

    def _respond(self, method: str, faults: Faults) -> Response:
        # Read the body first, whatever the route: on a kept-alive connection an unread body
        # would be taken for the next request.
        try:
            raw = read_body(
                self.rfile,
                self.headers.get("Content-Length"),
                self.headers.get("Transfer-Encoding"),
            )
        except BodyTooLarge:
            self.close_connection = True
            return json_response(
                413, {"stat": "FAIL", "code": 41300, "message": "Request too large"}
            )
        except BadBody as exc:
            self.close_connection = True
            return json_response(
                400, {"stat": "FAIL", "code": 40000, "message": "Bad request"}, str(exc)
            )
        return self._route(method, faults, raw)

    def _route(self, method: str, faults: Faults, raw: bytes) -> Response:
        path, _, query_string = self.path.partition("?")
        control = self.server.control
        if control is not None and is_control_path(path):
            query = dict(parse_qsl(query_string, keep_blank_values=True))
            authorizations = self.headers.get_all("Authorization") or []
            return control.handle(method, path, query, authorizations, raw)
        if faults.captive_portal:
            # In front of everything, as a portal sits in the network before Duo.
            if path == PORTAL_PATH:
                return html_response(200, prompt_pages.error_page("Network login", "Log in first."))
            return Response(302, b"", "text/html; charset=utf-8", PORTAL_PATH, "captive_portal")
        if faults.rate_limit is not None:
            # Before routing: a rate limiter sits in front of every endpoint, known or not.
            return Response(
                429,
                json.dumps(RATE_LIMITED_BODY).encode(),
                reason="rate_limit fault",
                headers=(("Retry-After", str(faults.rate_limit)),),
            )
        forced = faults.forced_status()
        if forced is not None:
            return json_response(
                forced, {"stat": "FAIL", "code": forced * 100, "message": "Service Unavailable"}
            )
        admin = self.server.admin
        if admin is not None and is_admin_path(path):
            return admin.handle(method, self.path, self.headers, raw, self.client_address[0])
        expected = _ROUTES.get(path)
        if expected is None:
            return json_response(404, {"stat": "FAIL", "code": 40400, "message": "Not found"})
        # HEAD is GET without the body (RFC 9110 section 9.3.2).
        if method != expected and not (method == "HEAD" and expected == "GET"):
            return Response(
                405,
                b'{"stat": "FAIL", "code": 40500, "message": "Method not allowed"}',
                allow=expected if expected == "POST" else "GET, HEAD",
            )
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        endpoints = self.server.endpoints
        if path == AUTHORIZE_PATH:
            return endpoints.authorize(query)
        try:
            body = parse_form(raw, self.headers.get("Content-Type"))
        except BadBody as exc:
            return json_response(
                400, {"stat": "FAIL", "code": 40000, "message": "Bad request"}, str(exc)
            )
        if path == HEALTH_CHECK_PATH:
            return endpoints.health_check(body)
        if path == PROMPT_PATH:
            return endpoints.prompt_answer(body)
        # The Python SDK sends token parameters in the query string, others in a form body.
        return endpoints.token({**query, **body}, self.headers.get("Host"))

    def _send(self, response: Response, *, with_body: bool = True) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        if self.close_connection:
            self.send_header("Connection", "close")
        if response.location is not None:
            self.send_header("Location", response.location)
        if response.allow is not None:
            self.send_header("Allow", response.allow)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.content_type.startswith("text/html"):
            self.send_header(
                "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"
            )
            self.send_header("X-Frame-Options", "DENY")
        self.end_headers()
        if with_body:
            self.wfile.write(response.body)


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # The stdlib joins only non-daemon threads; we track and join our own in close_all().
    block_on_close = False
    request_queue_size = 128  # room for a burst of parallel clients

    def __init__(
        self,
        address: tuple[str, int],
        *,
        family: socket.AddressFamily,
        endpoints: DuoEndpoints,
        faults: Faults,
        tls: TlsContexts,
        stopping: threading.Event,
        record: Callable[[SeenRequest], None],
        control: ControlAPI | None = None,
        admin: AdminAPI | None = None,
    ) -> None:
        self.address_family = family
        self.control = control
        self.admin = admin
        self.endpoints = endpoints
        self.faults = faults
        self.stopping = stopping
        self.record = record
        self._tls = tls
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._workers: set[threading.Thread] = set()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call socket.getfqdn(): a reverse DNS lookup we do not
        # need and that can stall start-up on a machine with slow resolvers.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "localhost"
        self.server_port = self.server_address[1]

    def _context(self) -> ssl.SSLContext:
        if self.faults.wrong_ca:
            return self._tls.wrong_ca
        if self.faults.expired_cert:
            return self._tls.expired
        return self._tls.good

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        sock.settimeout(HANDSHAKE_TIMEOUT)
        # A response goes out as two writes (headers, then body). On a kept-alive connection
        # Nagle's algorithm would hold the second until the client's delayed ACK, ~40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls_sock = self._context().wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        except OSError:
            sock.close()
            raise
        with self._lock:
            self._connections.add(tls_sock)
        return tls_sock, address

    def process_request(self, request: Any, client_address: Any) -> None:
        worker = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name="duoctl-emulator-connection",
            daemon=True,
        )
        with self._lock:
            self._workers.add(worker)
        worker.start()

    def _serve_connection(self, request: socket.socket, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            with self._lock:
                self._connections.discard(request)
                self._workers.discard(threading.current_thread())

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Resets, broken pipes and TLS failures are the client's business, not a bug.
        if isinstance(sys.exc_info()[1], OSError):
            return
        # Not the stdlib's handle_error: its traceback could quote request data.
        report_bug("a connection handler")

    def close_all(self, timeout: float) -> None:
        """Cut every open connection and wait for its thread (after ``stopping`` is set)."""
        with self._lock:
            connections = list(self._connections)
            workers = list(self._workers)
        for conn in connections:
            # socket.socket's shutdown, not SSLSocket's: that one also drops the TLS object
            # the worker thread may be using at this very moment.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(conn, socket.SHUT_RDWR)
        for worker in workers:
            worker.join(timeout)
