"""A load checks each provider by a quick path for the usual table and by the full checks,
which name what is wrong, for anything else: the quick path never accepts what the full
checks refuse, and returns what they return."""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from duoctl.config.model import PROVIDER_KEYS, Provider, _checked_provider, _usual_provider
from duoctl.errors import ConfigError

PATH = Path("/etc/duoctl/config.toml")
ENDPOINT = "api-1234abcd.duosecurity.com"
CLIENT_ID = "DIABCDEFGHIJ12345678"


class _Text(str):
    """A str that is not exactly str: the full checks take it (isinstance), so the quick
    path may only return what they return."""


_VALUES = st.sampled_from(
    [
        ENDPOINT, "API-1234ABCD.DuoSecurity.com ", "[::1]:8443", "127.0.0.1:70000", "a/b",
        "https://x", "", " ", "-bad-.com", CLIENT_ID, " diabcdefghij12345678 ",
        "DIABCDEFGHIJ1234567", "duo", "Duo", "/etc/ssl/ca.pem", True, False, 0, 1, 1.5,
        [], {}, _Text("duo"), _Text(ENDPOINT),
    ]
)  # fmt: skip
_KEYS = st.sampled_from([*PROVIDER_KEYS, "client_secret", "Enabled"])
_NAMES = st.sampled_from(["p1", "a.b", "x-1", "-x", "", "a" * 64, "a" * 65, "caf\u00e9"])


@st.composite
def _tables(draw: st.DrawFn) -> dict[str, object]:
    """A valid provider table with up to two keys changed or added and some dropped, so
    that most draws fail one check at most."""
    table: dict[str, object] = {"endpoint": ENDPOINT, "client_id": CLIENT_ID}
    table |= draw(st.dictionaries(_KEYS, _VALUES, max_size=2))
    for key in draw(st.lists(_KEYS, max_size=1)):
        table.pop(key, None)
    return table


@settings(max_examples=1500, deadline=None)
@given(st.one_of(st.just("p1"), _NAMES), st.one_of(_tables(), _VALUES))
@example("p1", {"endpoint": ENDPOINT, "client_id": CLIENT_ID, "enabled": 1})
@example("p1", {"endpoint": ENDPOINT, "client_id": CLIENT_ID, "type": _Text("duo")})
def test_the_quick_path_returns_what_the_full_checks_return(name: str, raw: object) -> None:
    quick = _usual_provider(name, raw)
    try:
        full = _checked_provider(PATH, name, raw)
    except ConfigError:
        assert quick is None
        return
    assert quick is None or (quick == full and type(quick.enabled) is type(full.enabled))


def test_the_usual_provider_takes_the_quick_path() -> None:
    raw = {
        "type": "duo",
        "enabled": False,
        "endpoint": " API-1234ABCD.duosecurity.com",
        "client_id": CLIENT_ID,
        "ca_bundle": "/etc/ssl/ca.pem",
    }
    expected = Provider("p1", ENDPOINT, CLIENT_ID, False, "/etc/ssl/ca.pem")
    assert _usual_provider("p1", raw) == expected
    assert _usual_provider("p1", {"endpoint": ENDPOINT, "client_id": CLIENT_ID}) == Provider(
        "p1", ENDPOINT, CLIENT_ID
    )
