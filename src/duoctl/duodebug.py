"""``--debug``: the HTTP exchanges with Duo, on stderr, with everything secret redacted.

duo_universal calls ``requests.post`` at module level, with no session and no hook to hand
in, so the only way to see its exchanges whole (bodies included) is to give its module a
stand-in for ``requests``: its ``post`` is the same call (``requests.post`` is a fresh
Session's ``request``), made through a Session that carries a response hook. The stand-in is
installed only when debugging is asked for, passes every other attribute through, and in a
thread that is not being observed it is plain ``requests.post``. A test pins that the SDK
still calls ``requests.post``, so an SDK that changes this fails loudly instead of quietly
showing nothing.

What is shown: method, URL, the form or query fields, status, elapsed time, the JSON answer.
What is never shown: the value of any field named like a credential or a one-time value
(client assertions, id_tokens, codes, state, nonce...), anything shaped like a JWT, and the
Client Secret itself wherever it might appear (a last pass over every line).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

from duoctl.duoclient import DuoClient, DuoClientFactory, exception_chain, root_cause
from duoctl.output import safe_text

REDACTED = "<redacted>"
# Field names whose values are credentials or one-time values (lower case).
SENSITIVE_FIELDS = frozenset(
    {
        "access_token",
        "authorization",
        "client_assertion",
        "client_secret",
        "code",
        "cookie",
        "duo_code",
        "id_token",
        "nonce",
        "password",
        "proxy-authorization",
        "refresh_token",
        "request",
        "secret",
        "set-cookie",
        "state",
    }
)
BODY_LIMIT = 2000  # characters of one answer's body
_FIELD_NAMES = "|".join(re.escape(name) for name in sorted(SENSITIVE_FIELDS))
# name=value in a query string or form, however the text around it quotes it.
_PAIR = re.compile(rf"(?i)(?<![A-Za-z0-9_-])({_FIELD_NAMES})=(?!{re.escape(REDACTED)})[^&\s'\"<>]*")
# "name": "value" in JSON text, or 'name': 'value' in a Python repr.
_QUOTED_PAIR = re.compile(
    rf"""(?i)((["'])(?:{_FIELD_NAMES})\2\s*:\s*)(["'])(?:(?!\3)[^\\]|\\.)*\3"""
)


class HttpDebug:
    """Writes each exchange, redacted, through ``write`` (one call per line)."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add_secret(self, secret: str) -> None:
        """A value that must never print, in any of the ways a request may encode it."""
        if secret:
            self._secrets.update({secret, quote(secret, safe=""), quote_plus(secret)})

    def redact(self, text: str) -> str:
        text = _PAIR.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
        text = _QUOTED_PAIR.sub(lambda m: f"{m.group(1)}{m.group(3)}{REDACTED}{m.group(3)}", text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        # One line each (a body cannot forge others), no control characters, no JWT shapes.
        return safe_text(text, limit=BODY_LIMIT + 200)

    def _lines(self, lines: Iterable[str]) -> None:
        with self._lock:
            for line in lines:
                indent = line[: len(line) - len(line.lstrip(" "))]
                self._write("debug: " + indent + self.redact(line))

    def exchange(self, response: Any, *_args: Any, **_kwargs: Any) -> Any:
        """A requests response hook: show the request and the answer."""
        request = response.request
        url = urlsplit(str(request.url))
        lines = [f"> {request.method} {url.scheme}://{url.netloc}{url.path}"]
        if url.query:
            lines.append("  query: " + _fields(parse_qsl(url.query, keep_blank_values=True)))
        body = request.body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        if body:
            content_type = str(request.headers.get("Content-Type", ""))
            if "x-www-form-urlencoded" in content_type:
                lines.append("  form: " + _fields(parse_qsl(body, keep_blank_values=True)))
            else:
                lines.append(f"  body: {len(body)} characters of {content_type or 'data'}")
        elapsed = response.elapsed.total_seconds()
        lines.append(f"< {response.status_code} {response.reason or ''} in {elapsed:.2f} s")
        lines.append("  " + _answer(response))
        self._lines(lines)
        return response

    def failure(self, exc: BaseException) -> None:
        """What a call raised (no answer: refused, proxy, TLS; or one it could not read)."""
        chain = exception_chain(root_cause(exc))
        if not chain:
            return  # Duo's own refusal: its answer was shown with the exchange
        names = " > ".join(type(e).__name__ for e in chain)
        self._lines([f"! failed: {names}: {chain[-1]}"])


def _fields(pairs: list[tuple[str, str]]) -> str:
    return " ".join(
        f"{name}={REDACTED if name.lower() in SENSITIVE_FIELDS else value}" for name, value in pairs
    )


def _redact_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED if str(key).lower() in SENSITIVE_FIELDS else _redact_json(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redact_json(item) for item in value]
    return value


def _answer(response: Any) -> str:
    import json

    content_type = str(response.headers.get("Content-Type", ""))
    content: bytes = response.content or b""
    if "json" in content_type:
        try:
            shown = json.dumps(_redact_json(json.loads(content)), separators=(",", ":"))
        except ValueError:
            shown = content.decode("utf-8", "replace")
        return shown[:BODY_LIMIT] + ("..." if len(shown) > BODY_LIMIT else "")
    return f"{len(content)} bytes of {content_type or 'unlabelled data'} (not shown)"


# ---- observing the SDK ------------------------------------------------------------------

_observing = threading.local()
_install_lock = threading.Lock()


class _RequestsStandIn:
    """``requests`` for duo_universal: the same module, but ``post`` can be observed."""

    def __init__(self, real: ModuleType) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def post(self, url: str, data: Any = None, json: Any = None, **kwargs: Any) -> Any:
        debug: HttpDebug | None = getattr(_observing, "debug", None)
        if debug is None:
            return self._real.post(url, data=data, json=json, **kwargs)
        # What requests.post does (requests.api.request), plus the hook.
        with self._real.Session() as session:
            session.hooks["response"].append(debug.exchange)
            return session.request("post", url, data=data, json=json, **kwargs)


def _install() -> None:
    import duo_universal.client as sdk

    with _install_lock:
        if not isinstance(sdk.requests, _RequestsStandIn):
            sdk.requests = _RequestsStandIn(sdk.requests)


class _Observed:
    """A DuoClient whose network calls show their exchanges through ``debug``."""

    def __init__(self, inner: DuoClient, debug: HttpDebug) -> None:
        self._inner = inner
        self._debug = debug

    def _observe(self, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        _observing.debug = self._debug  # this thread only: the deadline worker's
        try:
            return call()
        except Exception as exc:
            self._debug.failure(exc)
            raise
        finally:
            _observing.debug = None

    def health_check(self) -> dict[str, Any]:
        return self._observe(self._inner.health_check)

    def create_auth_url(self, username: str, state: str, nonce: str | None = None) -> str:
        return self._inner.create_auth_url(username, state, nonce)

    def exchange_authorization_code_for_2fa_result(
        self, duoCode: str, username: str, nonce: str | None = None
    ) -> dict[str, Any]:
        self._debug.add_secret(duoCode)
        return self._observe(
            lambda: self._inner.exchange_authorization_code_for_2fa_result(duoCode, username, nonce)
        )


def observed(factory: DuoClientFactory, debug: HttpDebug) -> DuoClientFactory:
    """``factory``, whose clients show their HTTP exchanges through ``debug``."""

    def build(
        *,
        client_id: str,
        client_secret: str,
        host: str,
        redirect_uri: str,
        ca_bundle: str | None,
    ) -> DuoClient:
        debug.add_secret(client_secret)
        _install()
        client = factory(
            client_id=client_id,
            client_secret=client_secret,
            host=host,
            redirect_uri=redirect_uri,
            ca_bundle=ca_bundle,
        )
        return _Observed(client, debug)

    return build
