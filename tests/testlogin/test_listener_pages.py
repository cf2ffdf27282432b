"""The callback listener's answers word for word, and its life cycle at its edges.

Each page is what a person reads in the browser at the end of a login (or after a wrong
turn): its status line, title, text and colour are the product. Real loopback sockets, as in
test_listener.py.
"""

from __future__ import annotations

import collections
import errno
import html
import re
import socket
import struct
import threading

import pytest

from duoctl.errors import ValidationError
from duoctl.testlogin import listener as listener_module
from duoctl.testlogin.listener import (
    MAX_CONNECTIONS,
    MAX_REQUEST_BYTES,
    Callback,
    CallbackListener,
    PortInUse,
    Verdict,
)
from support.real_components import require_real
from testlogin import test_listener
from testlogin.helpers import SUBPROCESS_TIMEOUT, get, ipv6_loopback, read_all
from testlogin.test_listener import CODE, STATE, WAIT

listener = test_listener.listener  # the same fixture: started, expecting STATE
UNREACHABLE = "192.0.2.1"  # TEST-NET-1 (RFC 5737): never an address of this machine


def exchange(port: int, request: bytes) -> tuple[str, str, str, str]:
    """(status line, css class, title, text) of the page the listener answers ``request``
    with; the css class is "ok" (green) or "fail" (red)."""
    with socket.create_connection(("127.0.0.1", port), timeout=SUBPROCESS_TIMEOUT) as sock:
        sock.sendall(request)
        raw = read_all(sock)
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line = head.decode("latin-1").split("\r\n")[0]
    found = re.search(r'<h1 class="(\w+)">(.*?)</h1><p>(.*?)</p>', body.decode("utf-8"))
    assert found is not None, raw
    css, title, text = (html.unescape(part) for part in found.groups())
    return status_line, css, title, text


def request(target: str, *, host: str, method: str = "GET", extra: str = "") -> bytes:
    return f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode("latin-1")


def callback(live: CallbackListener, query: str = f"state={STATE}&duo_code={CODE}") -> bytes:
    """The callback request a browser sends back, with ``query``."""
    return request(f"{live.path}?{query}", host=f"localhost:{live.port}")


def test_every_refusal_page_word_for_word(listener: CallbackListener) -> None:
    port, path = listener.port, listener.path
    host = f"localhost:{port}"
    cases = [
        (
            b"HELLO\r\n\r\n",
            ("HTTP/1.1 400 Bad Request", "fail", "Bad request", "The request was malformed."),
        ),
        (
            # Two spaces: not "METHOD TARGET VERSION", whatever a lenient split would make of it
            f"GET  {path}?state={STATE}&duo_code={CODE} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode(),
            ("HTTP/1.1 400 Bad Request", "fail", "Bad request", "The request was malformed."),
        ),
        (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nno colon here\r\n\r\n".encode(),
            ("HTTP/1.1 400 Bad Request", "fail", "Bad request", "A header line was malformed."),
        ),
        (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nHost: {host}\r\n\r\n".encode(),
            (
                "HTTP/1.1 400 Bad Request",
                "fail",
                "Bad request",
                "The request carried more than one Host header.",
            ),
        ),
        (
            request("/favicon.ico", host=host),
            ("HTTP/1.1 404 Not Found", "fail", "Not found", ""),
        ),
        (
            request("/", host=host),
            (
                "HTTP/1.1 404 Not Found",
                "fail",
                "Not found",
                "This is duoctl's one-time Duo callback listener.",
            ),
        ),
        (
            request(f"{path}?state={STATE}&duo_code={CODE}", host=host, method="POST"),
            (
                "HTTP/1.1 405 Method Not Allowed",
                "fail",
                "Method not allowed",
                "Only GET is accepted here.",
            ),
        ),
        (
            request(f"{path}?state={STATE}&duo_code={CODE}", host=f"evil.example:{port}"),
            (
                "HTTP/1.1 400 Bad Request",
                "fail",
                "Wrong host",
                "The request's Host header is not this listener's.",
            ),
        ),
        (
            request(f"{path}?state={'t' * 48}&duo_code={CODE}", host=host),
            (
                "HTTP/1.1 400 Bad Request",
                "fail",
                "State mismatch",
                "This callback does not belong to the login duoctl is waiting for. "
                "It was ignored; duoctl keeps waiting.",
            ),
        ),
        (
            request(f"{path}?state={STATE}", host=host),
            (
                "HTTP/1.1 400 Bad Request",
                "fail",
                "Incomplete callback",
                "Neither a code nor an error was sent.",
            ),
        ),
        (
            request(f"{path}?state={STATE}&duo_code=", host=host),
            (
                "HTTP/1.1 400 Bad Request",
                "fail",
                "Incomplete callback",
                "Neither a code nor an error was sent.",
            ),
        ),
    ]
    for raw, expected in cases:
        assert exchange(port, raw) == expected, raw

    assert listener.strays == collections.Counter(
        {
            "two_hosts": 1,
            "wrong_path": 1,
            "wrong_method": 1,
            "wrong_host": 1,
            "wrong_state": 1,
            "incomplete": 2,
        }
    )
    assert sum(listener.stray_counts().values()) == 7
    assert listener.wait(0.2) is None
    assert (listener.accept_errors, listener.shed_connections) == (0, 0)


def test_an_oversized_request_gets_a_431_page(listener: CallbackListener) -> None:
    raw = f"GET {listener.path} HTTP/1.1\r\nX-Padding: ".encode()
    raw += b"a" * (MAX_REQUEST_BYTES + 1 - len(raw))

    assert exchange(listener.port, raw) == (
        "HTTP/1.1 431 Request Header Fields Too Large",
        "fail",
        "Request too large",
        "The request was refused.",
    )


def test_a_request_of_exactly_the_limit_is_read(listener: CallbackListener) -> None:
    head = callback(listener)[: -len(b"\r\n")] + b"X-Padding: "
    raw = head + b"a" * (MAX_REQUEST_BYTES - 4 - len(head)) + b"\r\n\r\n"
    assert len(raw) == MAX_REQUEST_BYTES
    listener.finish(Verdict(True, "Duo login allowed", "alice was authenticated."))

    assert exchange(listener.port, raw)[0] == "HTTP/1.1 200 OK"
    assert listener.wait(WAIT) == Callback(code=CODE)


def test_only_the_head_counts_even_if_a_body_follows(listener: CallbackListener) -> None:
    # A body that itself holds a blank line: only what comes before the first one is the head.
    raw = request(
        f"{listener.path}?state={STATE}&duo_code={CODE}", host=f"localhost:{listener.port}"
    )
    listener.finish(Verdict(True, "Duo login allowed", "alice was authenticated."))

    answer = exchange(listener.port, raw + b"junk\r\n\r\nmore junk")

    assert answer == ("HTTP/1.1 200 OK", "ok", "Duo login allowed", "alice was authenticated.")
    assert listener.wait(WAIT) == Callback(code=CODE)


@pytest.mark.parametrize(
    ("verdict", "css"),
    [
        (Verdict(True, "Duo login allowed", "alice was authenticated."), "ok"),
        (Verdict(False, "Duo login denied", "Login denied"), "fail"),
    ],
)
def test_the_valid_callback_gets_the_flows_verdict(
    listener: CallbackListener, verdict: Verdict, css: str
) -> None:
    listener.finish(verdict)
    raw = request(
        f"{listener.path}?state={STATE}&duo_code={CODE}", host=f"localhost:{listener.port}"
    )

    assert exchange(listener.port, raw) == ("HTTP/1.1 200 OK", css, verdict.title, verdict.detail)
    assert exchange(listener.port, raw) == (
        "HTTP/1.1 410 Gone",
        "fail",
        "Already used",
        "This one-time callback was already used.",
    )


def test_an_error_callback_shows_duos_words_or_the_error(listener: CallbackListener) -> None:
    raw = request(
        f"{listener.path}?state={STATE}&error=server_error", host=f"localhost:{listener.port}"
    )

    assert exchange(listener.port, raw) == (
        "HTTP/1.1 200 OK",
        "fail",
        "Duo login failed",
        "Duo reported: server_error",
    )
    assert listener.wait(WAIT) == Callback(code=None, error="server_error")


def test_a_request_without_a_host_header_is_refused(listener: CallbackListener) -> None:
    raw = f"GET {listener.path}?state={STATE}&duo_code={CODE} HTTP/1.1\r\n\r\n".encode()

    assert exchange(listener.port, raw)[:3] == ("HTTP/1.1 400 Bad Request", "fail", "Wrong host")
    assert listener.strays == collections.Counter({"wrong_host": 1})


def test_the_standard_code_parameter_is_accepted_too(listener: CallbackListener) -> None:
    # OAuth's own name for it; Duo sends duo_code (and duo_universal reads that).
    listener.finish(Verdict(True, "Duo login allowed", "ok"))

    assert exchange(listener.port, callback(listener, f"state={STATE}&code={CODE}"))[0] == (
        "HTTP/1.1 200 OK"
    )
    assert listener.wait(WAIT) == Callback(code=CODE)


def test_an_empty_error_parameter_still_counts_as_an_error(listener: CallbackListener) -> None:
    # Fail safe: a callback that says "error" at all is never exchanged, even with a code.
    answer = exchange(listener.port, callback(listener, f"state={STATE}&error=&duo_code={CODE}"))

    assert answer == ("HTTP/1.1 200 OK", "fail", "Duo login failed", "Duo reported: ")
    assert listener.wait(WAIT) == Callback(code=None, error="")


def test_a_callback_pending_when_duoctl_stops_is_told_so() -> None:
    live = CallbackListener(header_deadline=1.0).start()
    live.expect_state(STATE)
    pages: list[tuple[str, str, str, str]] = []
    raw = callback(live)
    browser = threading.Thread(target=lambda: pages.append(exchange(live.port, raw)))
    browser.start()
    assert live.wait(WAIT) == Callback(code=CODE)

    live.close()  # no verdict: the flow ended (an error, Ctrl+C) before it had one
    browser.join(WAIT)

    assert pages == [("HTTP/1.1 200 OK", "fail", "duoctl stopped", "The login was not completed.")]


def test_a_state_is_required_before_any_callback_counts() -> None:
    # Before expect_state() nothing matches, not even an empty state.
    with CallbackListener(header_deadline=1.0) as live:
        raw = callback(live, f"state=&duo_code={CODE}")
        assert exchange(live.port, raw)[2] == "State mismatch"
        assert live.wait(0.2) is None


def test_the_advertised_host_is_allowed_in_any_case() -> None:
    with CallbackListener(header_deadline=1.0, advertised_host="Box.Example") as live:
        live.expect_state(STATE)
        live.finish(Verdict(True, "Duo login allowed", "ok"))
        target = f"{live.path}?state={STATE}&duo_code={CODE}"
        assert live.redirect_uri.startswith(f"http://Box.Example:{live.port}/")

        answer = get(live.port, target, host_header=f"BOX.example:{live.port}")

        assert answer.status == 200
        assert live.wait(WAIT) == Callback(code=CODE)


def test_listeners_with_the_default_port_each_get_a_free_one() -> None:
    with CallbackListener() as first, CallbackListener() as second:
        assert 0 not in (first.port, second.port)
        assert first.port != second.port
        assert len(first.path) == len("/duoctl/callback/") + 16
        assert first.path != second.path


def test_an_address_that_is_not_this_machines_cannot_be_listened_on() -> None:
    with pytest.raises(ValidationError) as info:
        CallbackListener(bind_hosts=(UNREACHABLE,)).start()

    assert not isinstance(info.value, PortInUse)
    assert info.value.message == (
        "cannot open the local callback listener: "
        f"[Errno {errno.EADDRNOTAVAIL}] Cannot assign requested address"
    )


def test_a_later_address_that_cannot_be_bound_is_skipped() -> None:
    # Like ::1 on a host without IPv6: the addresses after it are still bound.
    require_real("IPv6 loopback", ipv6_loopback(), "this machine has no ::1")
    with CallbackListener(bind_hosts=("127.0.0.1", UNREACHABLE, "::1")) as live:
        v4 = get(live.port, "/")
        v6 = get(
            live.port, "/", host="::1", family=socket.AF_INET6, host_header=f"[::1]:{live.port}"
        )

    assert v4.status == v6.status == 404


def test_the_listeners_threads_are_named_daemons(listener: CallbackListener) -> None:
    # Daemons: a listener thread must never keep duoctl alive after the flow ended.
    raw = request(
        f"{listener.path}?state={STATE}&duo_code={CODE}", host=f"localhost:{listener.port}"
    )
    browser = threading.Thread(target=exchange, args=(listener.port, raw))
    browser.start()
    # The connection's worker lives while the page is held for the verdict.
    assert listener.wait(WAIT) == Callback(code=CODE)
    seen = {t.name: t.daemon for t in threading.enumerate() if t.name.startswith("duoctl-cal")}
    listener.finish(Verdict(True, "Duo login allowed", "ok"))
    browser.join(WAIT)

    expected = {"duoctl-callback-AF_INET": True, "duoctl-callback-conn": True}
    if ipv6_loopback():
        expected["duoctl-callback-AF_INET6"] = True
    assert seen == expected


def test_close_drops_a_silent_client_at_once() -> None:
    # A header deadline far beyond the test's wait: only close() can end the silent one.
    live = CallbackListener(header_deadline=SUBPROCESS_TIMEOUT * 10).start()
    silent = socket.create_connection(("127.0.0.1", live.port), timeout=WAIT)
    try:
        # One accept queue, served in order: once this answer is back, silent was accepted.
        assert get(live.port, "/").status == 404
        live.close()
        assert read_all(silent) == b""
    finally:
        silent.close()


def test_more_connections_over_time_than_the_cap_are_all_served(
    listener: CallbackListener,
) -> None:
    # Each finished connection gives its slot back: one that leaked would deafen the listener.
    for _ in range(MAX_CONNECTIONS + 2):
        assert get(listener.port, "/").status == 404


@pytest.mark.parametrize(
    ("soft", "cap"),
    [
        (listener_module.resource.RLIM_INFINITY, MAX_CONNECTIONS),
        (1 << 20, MAX_CONNECTIONS),
        (102, 25),  # a quarter of the descriptors, rounded down
        (20, 5),
        (16, 4),
        (10, 4),  # never fewer than 4
    ],
)
def test_the_connection_cap_follows_the_descriptor_limit(
    monkeypatch: pytest.MonkeyPatch, soft: int, cap: int
) -> None:
    monkeypatch.setattr(listener_module.resource, "getrlimit", lambda _which: (soft, soft))

    assert listener_module._connection_cap() == cap


def test_the_connection_cap_without_a_descriptor_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_which: int) -> tuple[int, int]:
        raise OSError(errno.EINVAL, "no limit to read")

    monkeypatch.setattr(listener_module.resource, "getrlimit", refuse)

    assert listener_module._connection_cap() == MAX_CONNECTIONS


def test_shutting_down_a_socket_that_is_not_connected_is_harmless() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as unconnected:
        listener_module._shutdown(unconnected)  # ENOTCONN, swallowed


def test_at_the_cap_the_oldest_silent_connection_makes_room(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The flood test's situation in miniature: a descriptor limit of 16 allows 4 connections.
    monkeypatch.setattr(listener_module.resource, "getrlimit", lambda _which: (16, 16))
    with CallbackListener(header_deadline=SUBPROCESS_TIMEOUT * 10) as live:
        live.expect_state(STATE)
        silent = [
            socket.create_connection(("127.0.0.1", live.port), timeout=WAIT) for _ in range(4)
        ]
        pages: list[tuple[str, str, str, str]] = []
        browser = threading.Thread(target=lambda: pages.append(exchange(live.port, callback(live))))
        try:
            browser.start()
            assert live.wait(WAIT) == Callback(code=CODE)
            assert read_all(silent[0]) == b""  # the oldest, dropped without a word
            # The browser's page is held for the verdict and cannot be dropped: with it
            # among the connections at the cap, the next one still gets in.
            for _ in range(2):
                assert get(live.port, "/").status == 404
            live.finish(Verdict(True, "Duo login allowed", "ok"))
            browser.join(WAIT)

            assert pages[0][:3] == ("HTTP/1.1 200 OK", "ok", "Duo login allowed")
            assert live.shed_connections >= 2
        finally:
            for sock in silent:
                sock.close()


def test_a_browser_gone_before_the_verdict_leaves_no_traceback(
    listener: CallbackListener, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The page cannot be delivered; that must end the connection quietly, not print a
    # thread's traceback over test-login's output.
    escaped: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", escaped.append)
    with socket.create_connection(("127.0.0.1", listener.port), timeout=WAIT) as browser:
        browser.sendall(callback(listener))
        assert listener.wait(WAIT) == Callback(code=CODE)
        # Closed with a reset: the listener's answer will meet a dead connection.
        browser.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    listener.finish(Verdict(True, "Duo login allowed", "ok"))
    listener.close()  # waits for the connection's worker to end

    assert escaped == []


def test_wait_keeps_waiting_past_its_first_slice(listener: CallbackListener) -> None:
    got: list[Callback | None] = []
    waiter = threading.Thread(target=lambda: got.append(listener.wait(WAIT, tick=0.001)))
    waiter.start()
    listener.finish(Verdict(True, "Duo login allowed", "ok"))

    assert exchange(listener.port, callback(listener))[0] == "HTTP/1.1 200 OK"
    waiter.join(WAIT)
    assert got == [Callback(code=CODE)]
