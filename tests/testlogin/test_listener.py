"""The callback listener against hostile and sloppy clients, over real loopback sockets."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from duoctl.errors import ValidationError
from duoctl.testlogin.listener import (
    MAX_REQUEST_BYTES,
    Callback,
    CallbackListener,
    PortInUse,
    Verdict,
)
from support.real_components import require_real
from testlogin.helpers import (
    HttpAnswer,
    assert_port_closed,
    get,
    ipv6_loopback,
    raw_request,
    read_all,
)

STATE = "s" * 48
CODE = "CODE-must-never-be-echoed-0123456789"
WAIT = 10.0  # an upper bound for things that happen at once; never reached when all is well


@pytest.fixture
def listener() -> Iterator[CallbackListener]:
    with CallbackListener(header_deadline=1.0) as live:
        live.expect_state(STATE)
        yield live


def callback_target(listener: CallbackListener, **params: str) -> str:
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    return f"{listener.path}?{query}"


def assert_safe_page(answer: HttpAnswer) -> None:
    """What every page the listener serves must carry, whatever the request was."""
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert CODE not in answer.body


def test_valid_callback_hands_over_the_code_and_shows_the_verdict(
    listener: CallbackListener,
) -> None:
    answers: list[HttpAnswer] = []
    browser = threading.Thread(
        target=lambda: answers.append(
            get(listener.port, callback_target(listener, duo_code=CODE, state=STATE))
        )
    )
    browser.start()

    callback = listener.wait(WAIT)
    assert callback == Callback(code=CODE)
    # The browser's page is held until the flow knows the verdict.
    assert not answers
    listener.finish(Verdict(True, "Duo login allowed", "alice was authenticated."))
    browser.join(WAIT)

    assert answers[0].status == 200
    assert "Duo login allowed" in answers[0].body
    assert_safe_page(answers[0])


def test_wrong_state_is_refused_and_the_flow_keeps_waiting(listener: CallbackListener) -> None:
    wrong = get(listener.port, callback_target(listener, duo_code=CODE, state="t" * 48))

    assert wrong.status == 400
    assert "does not belong to the login" in wrong.body
    assert_safe_page(wrong)
    assert listener.wait(0.3) is None  # nothing was handed over
    assert sum(listener.stray_counts().values()) == 1

    listener.finish(Verdict(True, "Duo login allowed", "ok"))
    right = get(listener.port, callback_target(listener, duo_code=CODE, state=STATE))
    assert right.status == 200
    assert listener.wait(WAIT) == Callback(code=CODE)


def test_missing_state_is_refused(listener: CallbackListener) -> None:
    answer = get(listener.port, callback_target(listener, duo_code=CODE))

    assert answer.status == 400
    assert_safe_page(answer)
    assert listener.wait(0.3) is None


def test_replayed_callback_is_gone(listener: CallbackListener) -> None:
    listener.finish(Verdict(True, "Duo login allowed", "ok"))
    first = get(listener.port, callback_target(listener, duo_code=CODE, state=STATE))
    replay = get(listener.port, callback_target(listener, duo_code=CODE, state=STATE))

    assert first.status == 200
    assert replay.status == 410
    assert_safe_page(replay)
    assert listener.wait(WAIT) == Callback(code=CODE)
    assert listener.wait(0.3) is None  # exactly one callback was handed over


def test_foreign_host_header_is_refused(listener: CallbackListener) -> None:
    # What a DNS-rebinding page would send: the right path and state, someone else's Host.
    answer = get(
        listener.port,
        callback_target(listener, duo_code=CODE, state=STATE),
        host_header=f"attacker.example:{listener.port}",
    )

    assert answer.status == 400
    assert "Host" in answer.body
    assert_safe_page(answer)
    assert listener.wait(0.3) is None


@pytest.mark.parametrize(
    "hosts",
    [
        pytest.param(("evil.example", "localhost:{port}"), id="ours-last"),
        pytest.param(("localhost:{port}", "evil.example"), id="ours-first"),
        pytest.param(("localhost:{port}", "localhost:{port}"), id="ours-twice"),
    ],
)
def test_two_host_headers_are_refused_and_the_flow_keeps_waiting(
    listener: CallbackListener, hosts: tuple[str, str]
) -> None:
    # Which Host would count is a guess; the last one used to win. Refuse them all.
    target = callback_target(listener, duo_code=CODE, state=STATE)
    header_lines = "".join(f"Host: {h.format(port=listener.port)}\r\n" for h in hosts)
    request = f"GET {target} HTTP/1.1\r\n{header_lines}Connection: close\r\n\r\n"

    answer = raw_request(listener.port, request.encode("latin-1"))

    assert answer.status == 400
    assert "more than one Host header" in answer.body
    assert_safe_page(answer)
    assert listener.wait(0.3) is None
    # The flow was not used up: the genuine callback still goes through.
    listener.finish(Verdict(True, "Duo login allowed", "ok"))
    assert get(listener.port, target).status == 200
    assert listener.wait(WAIT) == Callback(code=CODE)


def test_wrong_path_is_404(listener: CallbackListener) -> None:
    answer = get(listener.port, f"/duoctl/callback/guess?duo_code={CODE}&state={STATE}")

    assert answer.status == 404
    assert_safe_page(answer)
    assert listener.wait(0.3) is None


def test_wrong_method_is_405(listener: CallbackListener) -> None:
    answer = get(
        listener.port, callback_target(listener, duo_code=CODE, state=STATE), method="POST"
    )

    assert answer.status == 405
    assert answer.headers["allow"] == "GET"
    assert_safe_page(answer)
    assert listener.wait(0.3) is None


def test_oversized_request_is_431(listener: CallbackListener) -> None:
    # Exactly one byte over the limit and no blank line: the listener reads it all, refuses.
    request = f"GET {listener.path} HTTP/1.1\r\nX-Padding: ".encode()
    request += b"a" * (MAX_REQUEST_BYTES + 1 - len(request))

    answer = raw_request(listener.port, request)

    assert answer.status == 431
    assert_safe_page(answer)
    assert listener.wait(0.3) is None


def test_malformed_request_line_is_400(listener: CallbackListener) -> None:
    answer = raw_request(listener.port, b"HELLO\r\n\r\n")

    assert answer.status == 400
    assert_safe_page(answer)


def test_silent_client_blocks_nobody_and_close_returns() -> None:
    with CallbackListener(header_deadline=1.0) as live:
        live.expect_state(STATE)
        with socket.create_connection(("127.0.0.1", live.port), timeout=WAIT) as silent:
            # While the silent client holds a connection, another one is served...
            live.finish(Verdict(True, "Duo login allowed", "ok"))
            answer = get(live.port, callback_target(live, duo_code=CODE, state=STATE))
            assert answer.status == 200
            assert live.wait(WAIT) == Callback(code=CODE)
            # ...and the silent one is dropped once its header deadline has passed.
            assert read_all(silent) == b""
        port = live.port
    # Leaving the with-block ran close(): it returned, and the port is gone.
    assert_port_closed(port)


def test_close_returns_while_a_silent_client_is_connected() -> None:
    live = CallbackListener().start()  # default header deadline: longer than close() waits
    silent = socket.create_connection(("127.0.0.1", live.port), timeout=WAIT)
    try:
        live.close()
        assert_port_closed(live.port)
    finally:
        silent.close()


def test_access_denied_is_handed_over_and_escaped(listener: CallbackListener) -> None:
    script = "<script>alert(1)</script>"
    answer = get(
        listener.port,
        callback_target(listener, error="access_denied", error_description=script, state=STATE),
    )

    assert answer.status == 200
    assert script not in answer.body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.body
    assert_safe_page(answer)
    callback = listener.wait(WAIT)
    assert callback == Callback(code=None, error="access_denied", error_description=script)


def test_code_and_error_together_count_as_an_error(listener: CallbackListener) -> None:
    answer = get(
        listener.port,
        callback_target(listener, error="access_denied", duo_code=CODE, state=STATE),
    )

    assert answer.status == 200
    assert_safe_page(answer)
    callback = listener.wait(WAIT)
    assert callback is not None
    assert callback.code is None
    assert callback.error == "access_denied"


def test_pages_for_strays_carry_the_security_headers(listener: CallbackListener) -> None:
    for target in ("/", "/favicon.ico", f"{listener.path}?state={STATE}"):
        answer = get(listener.port, target)
        assert answer.status in (400, 404)
        assert_safe_page(answer)
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_port_zero_picks_a_free_port_and_advertises_localhost() -> None:
    with CallbackListener(port=0) as live:
        assert live.port != 0
        assert live.redirect_uri == f"http://localhost:{live.port}{live.path}"
        assert get(live.port, "/").status == 404


def test_taken_port_raises_port_in_use() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]

        with pytest.raises(PortInUse) as info:
            CallbackListener(port=port).start()

    assert isinstance(info.value, ValidationError)
    assert info.value.message == f"port {port} is already in use on this machine"
    assert info.value.hint == "choose another --port, or omit it to let duoctl pick a free one"


def test_ipv4_and_ipv6_loopback_answer_on_the_same_port(listener: CallbackListener) -> None:
    require_real("IPv6 loopback", ipv6_loopback(), "this machine has no ::1")
    v4 = get(listener.port, "/", host="127.0.0.1", family=socket.AF_INET)
    v6 = get(
        listener.port,
        "/",
        host="::1",
        family=socket.AF_INET6,
        host_header=f"[::1]:{listener.port}",
    )

    assert v4.status == v6.status == 404


def test_callback_over_ipv6_loopback_is_accepted(listener: CallbackListener) -> None:
    require_real("IPv6 loopback", ipv6_loopback(), "this machine has no ::1")
    listener.finish(Verdict(True, "Duo login allowed", "ok"))
    answer = get(
        listener.port,
        callback_target(listener, duo_code=CODE, state=STATE),
        host="::1",
        family=socket.AF_INET6,
    )

    assert answer.status == 200
    assert listener.wait(WAIT) == Callback(code=CODE)


def test_port_refuses_connections_after_close() -> None:
    live = CallbackListener().start()
    port = live.port
    assert get(port, "/").status == 404
    live.close()

    assert_port_closed(port)
