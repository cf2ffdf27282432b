"""Every validation failure's exact message and hint, and the endpoint helpers, in process.

These are the words an admin reads when a paste goes wrong: a changed hint is a changed
instruction, so each is asserted whole (substring checks would pass with the text mangled).
The values themselves never appear in a secret's message (checked in test_validation.py).
"""

from __future__ import annotations

import pytest

from duoctl.errors import ValidationError
from duoctl.validation import (
    endpoint_warning,
    is_duo_api_host,
    normalize_pasted_endpoint,
    split_endpoint,
    validate_admin_ikey,
    validate_admin_skey,
    validate_client_id,
    validate_client_secret,
    validate_endpoint,
    validate_name,
)

WEB_SDK = "the Duo Admin Panel's Web SDK application page"
ADMIN = "the Duo Admin Panel's Admin API application page"
EXAMPLE = "for example: api-1234abcd.duosecurity.com"


def _refused(check: object, value: str) -> tuple[str, str | None]:
    with pytest.raises(ValidationError) as info:
        check(value)  # type: ignore[operator]
    return info.value.message, info.value.hint


@pytest.mark.parametrize(
    ("check", "value", "message", "hint"),
    [
        (
            validate_name,
            "-prod",
            "invalid provider name '-prod': use 1-64 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit",
            None,
        ),
        (
            validate_client_id,
            "DIXXXXXXXXXXXXXXXXX",
            "invalid Client ID: it must be exactly 20 characters, got 19",
            f"copy the Client ID from {WEB_SDK}",
        ),
        (
            validate_client_id,
            "DIXXXXXXXXXXXXXXXXX-",
            "invalid Client ID: only upper-case letters A-Z and digits 0-9 are allowed",
            f"copy the Client ID from {WEB_SDK}",
        ),
        (
            validate_client_secret,
            "s" * 39,
            "invalid Client Secret: it must be exactly 40 characters, got 39",
            f"copy the Client Secret from {WEB_SDK}",
        ),
        (
            validate_client_secret,
            "s" * 39 + "!",
            "invalid Client Secret: only letters and digits are allowed",
            f"copy the Client Secret from {WEB_SDK}",
        ),
        (
            validate_admin_ikey,
            "DI" + "X" * 17,
            "invalid Admin API integration key: it must be exactly 20 characters, got 19",
            f"copy the integration key from {ADMIN}",
        ),
        (
            validate_admin_ikey,
            "XX" + "X" * 18,
            "invalid Admin API integration key: it must start with 'DI' and hold only "
            "upper-case letters A-Z and digits 0-9",
            f"copy the integration key from {ADMIN}",
        ),
        (
            validate_admin_skey,
            "k" * 41,
            "invalid Admin API secret key: it must be exactly 40 characters, got 41",
            f"copy the secret key from {ADMIN}",
        ),
        (
            validate_admin_skey,
            "k" * 39 + "_",
            "invalid Admin API secret key: only letters and digits are allowed",
            f"copy the secret key from {ADMIN}",
        ),
        (
            validate_endpoint,
            "https://api-1234abcd.duosecurity.com",
            "invalid endpoint 'https://api-1234abcd.duosecurity.com': give the API hostname "
            "only, without scheme or path",
            EXAMPLE,
        ),
        (
            # A path without a scheme is refused just the same.
            validate_endpoint,
            "api-1234abcd.duosecurity.com/admin",
            "invalid endpoint 'api-1234abcd.duosecurity.com/admin': give the API hostname "
            "only, without scheme or path",
            EXAMPLE,
        ),
        (
            validate_endpoint,
            "   ",
            "invalid endpoint: it is empty",
            "e.g. api-1234abcd.duosecurity.com",
        ),
        (
            validate_endpoint,
            "api_1234.duosecurity.com",
            "invalid endpoint 'api_1234.duosecurity.com': 'api_1234.duosecurity.com' is not a "
            "valid host name",
            EXAMPLE,
        ),
    ],
)
def test_each_refusal_says_exactly_what_and_how(
    check: object, value: str, message: str, hint: str | None
) -> None:
    assert _refused(check, value) == (message, hint)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[::1]]", "invalid endpoint '[::1]]': unbalanced '[' ']'"),
        ("[::1", "invalid endpoint '[::1': unbalanced '[' ']'"),
        ("[::1]:443]", "invalid endpoint '[::1]:443]': port must be 1-65535"),
        ("host:0", "invalid endpoint 'host:0': port must be 1-65535"),
        ("host:65536", "invalid endpoint 'host:65536': port must be 1-65535"),
        ("host:", "invalid endpoint 'host:': port must be 1-65535"),
    ],
)
def test_split_endpoint_refusals(value: str, message: str) -> None:
    assert _refused(split_endpoint, value) == (message, None)


@pytest.mark.parametrize(
    ("value", "split"),
    [
        ("api-1234abcd.duosecurity.com", ("api-1234abcd.duosecurity.com", 443)),
        ("localhost:8443", ("localhost", 8443)),
        ("[::1]:65535", ("::1", 65535)),
        ("[::1]", ("::1", 443)),
        ("fe80::1", ("fe80::1", 443)),  # a bare IPv6 literal: no port can be told apart
    ],
)
def test_split_endpoint(value: str, split: tuple[str, int]) -> None:
    assert split_endpoint(value) == split


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("API-1234ABCD.DuoSecurity.com", "api-1234abcd.duosecurity.com"),
        # A fully qualified name's trailing dot is a valid host name.
        ("api-1234abcd.duosecurity.com.", "api-1234abcd.duosecurity.com."),
        ("[::1]:443", "[::1]:443"),
        # A label may end in an upper-case X (nothing is stripped before the label check).
        ("duo-X:8443", "duo-x:8443"),
    ],
)
def test_validate_endpoint_accepts_and_normalises(value: str, stored: str) -> None:
    assert validate_endpoint(value) == stored


@pytest.mark.parametrize(
    ("host", "duo"),
    [
        ("api-1234abcd.duosecurity.com", True),
        ("API-1234ABCD.DUOSECURITY.COM:443", True),
        ("api-1234abcd.duofederal.com", True),
        ("api-1234abcd.test.duosecurity.com", True),
        ("api-1234abcd.duosecurity.com.evil.example", False),
        ("localhost:8443", False),
    ],
)
def test_is_duo_api_host(host: str, duo: bool) -> None:
    assert is_duo_api_host(host) is duo


def test_endpoint_warning_names_the_shape_of_a_duo_host() -> None:
    assert endpoint_warning("api-1234abcd.duosecurity.com") is None
    assert endpoint_warning("duo.example.com") == (
        "endpoint 'duo.example.com' does not look like a Duo API hostname "
        "(api-XXXXXXXX.duosecurity.com or api-XXXXXXXX.duofederal.com)"
    )


@pytest.mark.parametrize(
    ("pasted", "result"),
    [
        (
            "https://api-1234abcd.duosecurity.com/",
            (
                "api-1234abcd.duosecurity.com",
                "endpoint 'https://api-1234abcd.duosecurity.com/': stored the host name "
                "'api-1234abcd.duosecurity.com'",
            ),
        ),
        (
            " https://api-1234abcd.duosecurity.com ",
            (
                "api-1234abcd.duosecurity.com",
                "endpoint 'https://api-1234abcd.duosecurity.com': stored the host name "
                "'api-1234abcd.duosecurity.com'",
            ),
        ),
        # Nothing to drop: as given, no note.
        ("api-1234abcd.duosecurity.com", ("api-1234abcd.duosecurity.com", None)),
        # A path, another scheme or an upper-case scheme: left for validate_endpoint to
        # refuse rather than guessed at.
        (
            "https://api-1234abcd.duosecurity.com/x",
            ("https://api-1234abcd.duosecurity.com/x", None),
        ),
        ("http://api-1234abcd.duosecurity.com/", ("http://api-1234abcd.duosecurity.com/", None)),
        ("HTTPS://api-1234abcd.duosecurity.com/", ("HTTPS://api-1234abcd.duosecurity.com/", None)),
        ("/api-1234abcd.duosecurity.com", ("/api-1234abcd.duosecurity.com", None)),
    ],
)
def test_normalize_pasted_endpoint(pasted: str, result: tuple[str, str | None]) -> None:
    assert normalize_pasted_endpoint(pasted) == result
