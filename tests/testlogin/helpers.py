"""Helpers shared by the test-login tests: the installed console script, raw HTTP on
loopback, and reading the callback port back out of what duoctl printed."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

# The console script pip installed next to this interpreter: what a user actually runs.
DUOCTL = Path(sys.executable).parent / "duoctl"
SUBPROCESS_TIMEOUT = 60.0  # a hang fails the test instead of wedging the suite

_PROMPT_URL = re.compile(r"https://\S+/oauth/v1/authorize\?\S+")


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def duoctl_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # Nothing may open a real browser or a text browser in the terminal.
    for name in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    env.update({"NO_COLOR": "1", "COLUMNS": "200"})
    env.update(extra)
    return env


def run_duoctl(
    *args: str | Path, input: str | None = None, env: dict[str, str] | None = None
) -> Run:
    proc = subprocess.run(
        [str(DUOCTL), *(str(a) for a in args)],
        input=input,
        capture_output=True,
        text=True,
        env=env if env is not None else duoctl_env(),
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def start_test_login(
    config: Path, name: str, *extra: str, wrapper: Sequence[str] = ()
) -> subprocess.Popen[str]:
    """``duoctl test-login NAME`` in the background for alice, with nobody following the URL:
    duoctl sits in its wait loop until the test acts (``wrapper`` prefixes the command)."""
    return subprocess.Popen(
        [
            *wrapper,
            str(DUOCTL),
            "--config",
            str(config),
            "test-login",
            name,
            "--username",
            "alice",
            "--browser",
            "none",
            *extra,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=duoctl_env(),
    )


def stderr_lines(proc: subprocess.Popen[str]) -> queue.Queue[str | None]:
    """The child's stderr, line by line, read in a thread; None once it has ended."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def read_until_prompt(lines: queue.Queue[str | None], seen: list[str]) -> None:
    """Append stderr lines to ``seen`` until the Duo prompt URL has been printed."""
    while not any("/oauth/v1/authorize?" in line for line in seen):
        line = lines.get(timeout=SUBPROCESS_TIMEOUT)
        assert line is not None, "duoctl ended before printing the prompt URL:\n" + "".join(seen)
        seen.append(line)


def read_to_end(lines: queue.Queue[str | None], seen: list[str]) -> None:
    """Append the rest of stderr to ``seen``, up to the end of the stream."""
    while (line := lines.get(timeout=SUBPROCESS_TIMEOUT)) is not None:
        seen.append(line)


def prompt_url(stderr: str) -> str:
    match = _PROMPT_URL.search(stderr)
    assert match is not None, f"no Duo prompt URL on stderr:\n{stderr}"
    return match.group(0)


def jwt_payload(token: str) -> dict[str, object]:
    """Decode a JWT's payload WITHOUT verifying it (we only read what duoctl sent)."""
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def callback_port_from_prompt(stderr: str) -> int:
    """The listener's port, as advertised in the ``redirect_uri`` of the request JWT."""
    query = parse_qs(urlsplit(prompt_url(stderr)).query)
    claims = jwt_payload(query["request"][0])
    redirect = urlsplit(str(claims["redirect_uri"]))
    assert redirect.scheme == "http"
    assert redirect.hostname == "localhost"  # Duo rejects IP literals: advertise the name
    assert redirect.port is not None
    return redirect.port


def ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def loopbacks() -> list[tuple[socket.AddressFamily, str]]:
    hosts = [(socket.AF_INET, "127.0.0.1")]
    if ipv6_loopback():
        hosts.append((socket.AF_INET6, "::1"))
    return hosts


def assert_port_closed(port: int) -> None:
    for family, host in loopbacks():
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            with pytest.raises(ConnectionRefusedError):
                sock.connect((host, port))


def free_port() -> int:
    """A port free on both loopbacks right now (for --port when no URL gets printed)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if ipv6_loopback():
            try:
                with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe6:
                    probe6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    probe6.bind(("::1", port))
            except OSError:
                continue
        return port
    raise AssertionError("no free loopback port found")


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: str


def parse_answer(raw: bytes) -> HttpAnswer:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return HttpAnswer(status, headers, body.decode("utf-8"))


def read_all(sock: socket.socket) -> bytes:
    chunks: list[bytes] = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def raw_request(
    port: int,
    request: bytes,
    *,
    host: str = "127.0.0.1",
    family: socket.AddressFamily = socket.AF_INET,
) -> HttpAnswer:
    """Send ``request`` byte for byte (hostile requests need that) and read the answer."""
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(SUBPROCESS_TIMEOUT)
        sock.connect((host, port))
        sock.sendall(request)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
        return parse_answer(read_all(sock))


def get(
    port: int,
    target: str,
    *,
    host_header: str | None = None,
    method: str = "GET",
    host: str = "127.0.0.1",
    family: socket.AddressFamily = socket.AF_INET,
) -> HttpAnswer:
    header = host_header if host_header is not None else f"localhost:{port}"
    request = f"{method} {target} HTTP/1.1\r\nHost: {header}\r\nConnection: close\r\n\r\n"
    return raw_request(port, request.encode("latin-1"), host=host, family=family)


@contextlib.contextmanager
def forbidding_proxy() -> Iterator[int]:
    """A loopback "proxy" on a port of its own that answers every CONNECT with 403 and closes;
    the port is yielded (point HTTPS_PROXY at it)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                with contextlib.suppress(OSError):
                    data = b""
                    while b"\r\n\r\n" not in data and len(data) < 65536:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        server.close()
        thread.join(5)
