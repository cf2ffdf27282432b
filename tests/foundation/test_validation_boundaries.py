"""Boundary examples for every validated field, one row each, so that an off-by-one or a
loosened pattern fails a named case rather than waiting for hypothesis to stumble on it.

The property tests in test_validation.py draw from wide alphabets; a 19- or 21-character
upper-case alphanumeric string is almost never among their draws. Here every limit is tried
on both sides, with lower case, non-ASCII letters and digits (which ``str.isdigit`` and
``\\w`` would let through), and the whitespace the validators strip.
"""

from __future__ import annotations

import pytest

from duoctl.errors import ValidationError
from duoctl.validation import (
    split_endpoint,
    validate_client_id,
    validate_client_secret,
    validate_endpoint,
    validate_name,
)

ARABIC_INDIC_THREE = "\u0663"  # str.isdigit() and int() both accept it
SUPERSCRIPT_TWO = "\u00b2"  # str.isdigit() accepts it, int() does not
FULLWIDTH_A = "\uff21"
E_ACUTE = "\u00e9"


# ---- provider name: 1-64 of [A-Za-z0-9._-], starting with a letter or digit -----------------


@pytest.mark.parametrize(
    "name",
    ["a", "Z", "0", "a" * 64, "prod-1.eu_west", "A." + "b" * 62],
)
def test_names_at_the_limits_are_accepted(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "a" * 65,
        "-prod",
        ".prod",
        "_prod",
        "pr od",
        "prod/x",
        "prod\n",
        f"caf{E_ACUTE}",
        f"prod{ARABIC_INDIC_THREE}",
        FULLWIDTH_A,
    ],
)
def test_names_past_the_limits_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="invalid provider name"):
        validate_name(name)


# ---- Client ID: exactly 20 of [A-Z0-9] --------------------------------------------------------


@pytest.mark.parametrize(
    "client_id",
    ["DI" + "X" * 18, "0" * 20, "Z9" * 10, " DI" + "X" * 18 + "\n"],
)
def test_client_ids_of_exactly_20_are_accepted(client_id: str) -> None:
    assert validate_client_id(client_id) == client_id.strip()


@pytest.mark.parametrize(
    ("client_id", "message"),
    [
        ("DI" + "X" * 17, "exactly 20 characters, got 19"),
        ("DI" + "X" * 19, "exactly 20 characters, got 21"),
        ("", "exactly 20 characters, got 0"),
        ("di" + "x" * 18, "only upper-case letters"),
        ("DI" + "X" * 17 + "x", "only upper-case letters"),
        ("DI" + "X" * 17 + ARABIC_INDIC_THREE, "only upper-case letters"),
        ("DI" + "X" * 17 + FULLWIDTH_A, "only upper-case letters"),
        ("DI" + "X" * 17 + E_ACUTE.upper(), "only upper-case letters"),
        ("DI" + "X" * 17 + "-", "only upper-case letters"),
        ("DI" + "X" * 8 + " " + "X" * 9, "only upper-case letters"),
    ],
)
def test_client_ids_off_by_one_or_outside_the_alphabet_are_refused(
    client_id: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        validate_client_id(client_id)


# ---- Client Secret: exactly 40 of [A-Za-z0-9]; never echoed ----------------------------------

SECRET_40 = "aB3" * 13 + "x"


@pytest.mark.parametrize("secret", [SECRET_40, "0" * 40, "z" * 40, f"  {SECRET_40}\n"])
def test_secrets_of_exactly_40_are_accepted(secret: str) -> None:
    assert validate_client_secret(secret) == secret.strip()


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (SECRET_40[:39], "exactly 40 characters, got 39"),
        (SECRET_40 + "y", "exactly 40 characters, got 41"),
        ("", "exactly 40 characters, got 0"),
        (SECRET_40[:39] + ARABIC_INDIC_THREE, "only letters and digits"),
        (SECRET_40[:39] + E_ACUTE, "only letters and digits"),
        (SECRET_40[:39] + FULLWIDTH_A, "only letters and digits"),
        (SECRET_40[:39] + "_", "only letters and digits"),
        (SECRET_40[:20] + " " + SECRET_40[21:], "only letters and digits"),
    ],
)
def test_secrets_off_by_one_or_outside_the_alphabet_are_refused(secret: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        validate_client_secret(secret)
    if secret:
        assert secret.strip() not in str(caught.value)


# ---- endpoint: host name (labels 1-63, no edge hyphen, 253 in all) or IP, port 1-65535 --------

LABEL_63 = "a" * 63
HOST_253 = ".".join([LABEL_63] * 3 + ["b" * 61])  # 63*3 + 61 + 3 dots = 253


@pytest.mark.parametrize(
    ("endpoint", "stored"),
    [
        ("api-1234abcd.duosecurity.com", "api-1234abcd.duosecurity.com"),
        ("API-1234ABCD.DuoSecurity.com", "api-1234abcd.duosecurity.com"),
        (f"{LABEL_63}.com", f"{LABEL_63}.com"),
        (HOST_253, HOST_253),
        ("a", "a"),
        ("localhost:1", "localhost:1"),
        ("localhost:65535", "localhost:65535"),
        ("127.0.0.1:8443", "127.0.0.1:8443"),
        ("[::1]:8443", "[::1]:8443"),
        ("[::1]", "[::1]"),
        ("  api-1.duosecurity.com \n", "api-1.duosecurity.com"),
    ],
)
def test_endpoints_at_the_limits_are_accepted(endpoint: str, stored: str) -> None:
    assert validate_endpoint(endpoint) == stored


@pytest.mark.parametrize(
    "endpoint",
    [
        "",
        "   ",
        f"{'a' * 64}.com",
        HOST_253 + "b",
        "-api.duosecurity.com",
        "api-.duosecurity.com",
        "api..duosecurity.com",
        "api_1.duosecurity.com",
        f"api-{ARABIC_INDIC_THREE}.duosecurity.com",
        f"caf{E_ACUTE}.example",
        "https://api-1.duosecurity.com",
        "api-1.duosecurity.com/path",
        "localhost:0",
        "localhost:65536",
        "localhost:-1",
        "localhost:",
        f"localhost:{ARABIC_INDIC_THREE * 3}",
        f"localhost:44{SUPERSCRIPT_TWO}",
        "localhost: 443",
        "[::1",
        "[::1]x",
    ],
)
def test_endpoints_past_the_limits_are_refused(endpoint: str) -> None:
    with pytest.raises(ValidationError, match="invalid endpoint"):
        validate_endpoint(endpoint)


@pytest.mark.parametrize(
    ("endpoint", "port"),
    [
        ("h", 443),
        ("h:1", 1),
        ("h:65535", 65535),
        ("[::1]:8443", 8443),
        ("[::1]", 443),
        ("h:0443", 443),
    ],
)
def test_ports_split_at_the_limits(endpoint: str, port: int) -> None:
    assert split_endpoint(endpoint)[1] == port


# The Admin API credential: "DI" + 18 upper-case letters or digits; a 40-character key.


@pytest.mark.parametrize(
    ("ikey", "ok"),
    [
        ("DI" + "A" * 18, True),
        ("di" + "a" * 18, True),  # typed in lower case: upper-cased, as Client IDs are
        (" DI" + "9" * 18 + " ", True),
        ("DI" + "A" * 17, False),
        ("DI" + "A" * 19, False),
        ("DX" + "A" * 18, False),
        ("DI" + "A" * 17 + "-", False),
        ("", False),
    ],
)
def test_admin_ikey_boundaries(ikey: str, ok: bool) -> None:
    from duoctl.validation import validate_admin_ikey

    if ok:
        assert validate_admin_ikey(ikey) == ikey.strip().upper()
    else:
        with pytest.raises(ValidationError, match="Admin API integration key"):
            validate_admin_ikey(ikey)


@pytest.mark.parametrize(("length", "ok"), [(39, False), (40, True), (41, False)])
def test_admin_skey_length_boundaries(length: int, ok: bool) -> None:
    from duoctl.validation import validate_admin_skey

    key = "k" * length
    if ok:
        assert validate_admin_skey(key) == key
    else:
        with pytest.raises(ValidationError, match="Admin API secret key") as caught:
            validate_admin_skey(key)
        assert key not in caught.value.message


def test_admin_skey_refuses_punctuation_without_echoing_it() -> None:
    from duoctl.validation import validate_admin_skey

    key = "k" * 39 + "!"
    with pytest.raises(ValidationError, match="only letters and digits") as caught:
        validate_admin_skey(key)
    assert key not in caught.value.message
