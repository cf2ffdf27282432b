"""Reading an endpoint (``host``, ``host:port``, ``[v6]``, ``[v6]:port``): the one parser.

Every module that needs the host or port of a provider's endpoint or the Admin API host asks
here, so an IPv6 literal is read the same way in a connection, a proxy rule and a message.
"""

from __future__ import annotations

from duoctl.errors import ValidationError

DEFAULT_PORT = 443


def split_endpoint(endpoint: str) -> tuple[str, int]:
    """Split ``host[:port]`` (``[v6]:port`` for IPv6 literals) into host and port (443)."""
    value = endpoint.strip()
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValidationError(f"invalid endpoint {endpoint!r}: unbalanced '[' ']'")
        port_text = rest[1:] if rest else None
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
    else:
        host, port_text = value, None
    if port_text is None:
        return host, DEFAULT_PORT
    # ASCII only: str.isdigit() also takes "\u0663" (which int() reads as 3) and "\u00b2"
    # (which int() refuses); "host:" has no port at all.
    if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
        raise ValidationError(f"invalid endpoint {endpoint!r}: port must be 1-65535")
    return host, int(port_text)


def endpoint_host(endpoint: str) -> str:
    """The host of ``endpoint``, for a message or a NO_PROXY match: never raises.

    A value :func:`split_endpoint` refuses (it cannot come from a loaded config) is
    returned as it was given, stripped.
    """
    try:
        return split_endpoint(endpoint)[0]
    except ValidationError:
        return endpoint.strip()
