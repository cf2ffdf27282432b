"""The one endpoint parser: host and port of ``host[:port]`` and ``[v6][:port]``."""

from __future__ import annotations

import pytest

from duoctl.duoclient import proxy_fix
from duoctl.endpoint import endpoint_host, split_endpoint
from duoctl.errors import ValidationError


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("api-1234abcd.duosecurity.com", ("api-1234abcd.duosecurity.com", 443)),
        (" 127.0.0.1:8443 ", ("127.0.0.1", 8443)),
        ("[::1]:9443", ("::1", 9443)),
        ("[fe80::1]", ("fe80::1", 443)),
        ("fe80::1", ("fe80::1", 443)),  # many colons: an address, not host:port
    ],
)
def test_split_endpoint_reads_host_and_port(endpoint: str, expected: tuple[str, int]) -> None:
    assert split_endpoint(endpoint) == expected
    assert endpoint_host(endpoint) == expected[0]


@pytest.mark.parametrize(
    "endpoint", ["host:0", "host:65536", "host:", "host:\u0663", "[::1", "[::1]x"]
)
def test_a_bad_port_or_bracket_is_refused_and_the_host_still_named(endpoint: str) -> None:
    with pytest.raises(ValidationError):
        split_endpoint(endpoint)
    assert endpoint_host(endpoint) == endpoint  # for a message: as given, never a crash


def test_the_proxy_fix_names_an_ipv6_host_without_brackets_or_port() -> None:
    assert "export NO_PROXY=::1,$NO_PROXY" in proxy_fix("[::1]:9443")
