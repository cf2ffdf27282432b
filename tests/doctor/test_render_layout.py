"""doctor's terminal tables, laid out by duoctl: the same text as rich's Table, cell for
cell, and rich's Table still where a cell is not one column a character."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from duoctl.doctor.model import CheckResult, fail, ok, skipped_after, warn
from duoctl.doctor.render import _laid_out, _painter, _table

SCOPE = "provider:prod"
TCP = fail(
    SCOPE,
    "tcp",
    "cannot connect: 127.0.0.1:1: connection refused",
    "allow outbound TCP 1 from this machine to Duo in the firewall",
)
RESULTS = [
    ok(SCOPE, "dns", "api-12345678.duosecurity.com -> 127.0.0.1"),
    TCP,
    skipped_after(SCOPE, "tls", TCP),
    warn(
        SCOPE,
        "endpoint",
        "/very/long/path/without/spaces/to/a/ca-bundle-that-breaks-after-slashes.pem is odd",
        "copy the API hostname from the Duo Admin Panel (api-XXXXXXXX.duosecurity.com)",
    ),
]


def console(width: int, *, colour: bool) -> Console:
    return Console(
        file=io.StringIO(),
        force_terminal=True,
        width=width,
        color_system="standard" if colour else None,
        no_color=False,  # the tests run with NO_COLOR=1; these look at the styles
    )


def rich_text(width: int) -> str:
    out = console(width, colour=False)
    out.print(_table("Provider prod", RESULTS, width))
    assert isinstance(out.file, io.StringIO)
    return out.file.getvalue()


def laid_out(width: int, *, colour: bool) -> str | None:
    return _laid_out("Provider prod", RESULTS, width, _painter(console(width, colour=colour)))


@pytest.mark.parametrize("width", [200, 100, 80, 60])
def test_the_layout_is_rich_tables_text(width: int) -> None:
    assert laid_out(width, colour=False) == rich_text(width)


def test_the_layout_keeps_the_styles() -> None:
    text = laid_out(100, colour=True)
    assert text is not None
    assert "\x1b[1;31mFAIL   \x1b[0m" in text  # the status, bold red, padded to its column
    assert "\x1b[2mfix: fix 'TCP connect' first\x1b[0m" in text  # a skipped check's fix, dim
    assert "\x1b[3mProvider prod" in text  # the title, italic


@pytest.mark.parametrize(
    "result",
    [
        ok(SCOPE, "dns", "名前.example -> 127.0.0.1"),  # wide characters
        ok(SCOPE, "dns", "a \x1b[2J control sequence"),  # rich strips those; so must this
        ok("provider:" + "p" * 300, "dns", "a title wider than the table"),
    ],
)
def test_what_is_not_one_column_a_character_goes_to_rich(result: CheckResult) -> None:
    title = "Provider " + result.scope
    assert _laid_out(title, [result], 80, _painter(console(80, colour=False))) is None
