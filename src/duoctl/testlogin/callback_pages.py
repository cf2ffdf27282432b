"""The small HTML pages the callback listener shows in the user's browser."""

from __future__ import annotations

import html

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>duoctl: {title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}}
h1{{font-size:1.4rem}} .ok{{color:#1a7f37}} .fail{{color:#b42318}}</style></head>
<body><h1 class="{css}">{title}</h1><p>{body}</p><p>{footer}</p></body></html>
"""


def page(title: str, body: str, *, ok: bool, footer: str = "You can close this tab.") -> bytes:
    # Everything shown is escaped: error descriptions come from the query string.
    return _TEMPLATE.format(
        title=html.escape(title),
        body=html.escape(body),
        footer=html.escape(footer),
        css="ok" if ok else "fail",
    ).encode("utf-8")
