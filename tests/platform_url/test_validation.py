"""The URL Application parameter's rules, and their agreement with Duo's redirect rules."""

from __future__ import annotations

import pytest

from duoctl.emulator.tokens import is_acceptable_redirect_uri
from duoctl.errors import ValidationError
from duoctl.platform_url import redirect_uri_for, redirect_uri_problem, validate_platform_url


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://pam.example.com", "https://pam.example.com"),
        ("https://pam.example.com/", "https://pam.example.com"),
        ("  HTTPS://PAM.Example.COM  ", "https://pam.example.com"),
        ("https://pam.example.com:8443", "https://pam.example.com:8443"),
        ("https://pam.example.com:443/", "https://pam.example.com"),
        ("https://pam.example.com.", "https://pam.example.com"),
        ("https://bücher.example.com", "https://xn--bcher-kva.example.com"),
        ("https://xn--bcher-kva.example.com", "https://xn--bcher-kva.example.com"),
    ],
)
def test_valid_urls_are_stored_in_normal_form(given: str, stored: str) -> None:
    assert validate_platform_url(given) == stored


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("http://pam.example.com", "must use https"),
        ("pam.example.com", "must use https"),
        ("ftp://pam.example.com", "must use https"),
        ("https://10.1.2.3", "IP address"),
        ("https://[::1]", "IP address"),
        ("https://[2001:db8::1]:8443", "IP address"),
        ("https://user@pam.example.com", "user name or password"),
        ("https://user:pw@pam.example.com", "user name or password"),
        ("https://pam.example.com/pam", "no path"),
        ("https://pam.example.com/?x=1", "no path"),
        ("https://pam.example.com/#top", "no path"),
        ("https://", "no host"),
        ("https://pam.example.com:99999", "invalid URL"),
        ("https://pam.example.com:0", "port 0"),
        ("https://pam", "fully qualified"),
        ("https://-pam.example.com", "invalid host name"),
        ("https://pam_1.example.com", "invalid host name"),
        ("https://pam .example.com", "spaces"),
        ("https://pam.example.com\n", "https://pam.example.com"),  # trailing newline: ok
    ],
)
def test_invalid_urls_say_what_is_wrong(given: str, says: str) -> None:
    if says.startswith("https://"):
        assert validate_platform_url(given) == says
        return
    with pytest.raises(ValidationError, match=says):
        validate_platform_url(given)


@pytest.mark.parametrize(
    "uri",
    [
        "https://pam.example.com/",
        "https://pam.example.com:8443/",
        "http://pam.example.com/",
        "https://10.0.0.1/",
        "https://[::1]/",
        "https://" + "a" * 250 + ".com/",
        "https:///",
        "https://pam.example.com:x/",
    ],
)
def test_redirect_rules_agree_with_the_emulator(uri: str) -> None:
    assert (redirect_uri_problem(uri) is None) == is_acceptable_redirect_uri(uri)


def test_redirect_uri_is_the_root() -> None:
    assert redirect_uri_for("https://pam.example.com:8443") == "https://pam.example.com:8443/"
