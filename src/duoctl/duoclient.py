"""The seam to Duo: the official ``duo_universal`` client, bounded in time, errors classified.

Nothing of Duo's protocol is re-implemented here. This module only builds the official
client for a provider, puts a deadline on its network calls (the SDK passes no timeout to
``requests``), and turns ``DuoException`` and friends into duoctl's domain errors so that
callers can tell bad credentials from an unreachable host from a TLS failure.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from duoctl.deadline import call_with_deadline
from duoctl.endpoint import endpoint_host
from duoctl.errors import (
    DuoCredentialsRejected,
    DuoctlError,
    DuoProtocolError,
    DuoTimeout,
    DuoUnreachable,
)
from duoctl.field_failures import (
    NOT_WEB_SDK_CAUSE,
    OUTAGE_HINT,
    classify_page,
    is_json,
    not_json_shape,
    pinned_refusal,
    rate_limited,
    username_mismatch,
)
from duoctl.httpanswer import PROBE_TIMEOUT, AnswerProbe, HttpAnswer, probe_answer

# duo_universal's own messages for these two checks (its ERR_USERNAME and ERR_NONCE; a
# test pins them to the installed SDK), copied so classification needs no SDK import.
ERR_USERNAME = "The username is invalid."
ERR_NONCE = "The nonce is invalid."
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
DEFAULT_NETWORK_TIMEOUT = 15.0  # one call to Duo
DEFAULT_LOGIN_WAIT = 240.0  # for the push to be answered: under the 5 minutes Duo keeps an
# authorize request alive


class DuoClient(Protocol):
    """The subset of ``duo_universal.Client`` duoctl uses (a fake implements it in tests)."""

    def health_check(self) -> dict[str, Any]: ...

    def create_auth_url(self, username: str, state: str, nonce: str | None = None) -> str: ...

    def exchange_authorization_code_for_2fa_result(
        self, duoCode: str, username: str, nonce: str | None = None
    ) -> dict[str, Any]: ...


class DuoClientFactory(Protocol):
    def __call__(
        self,
        *,
        client_id: str,
        client_secret: str,
        host: str,
        redirect_uri: str,
        ca_bundle: str | None,
    ) -> DuoClient: ...


def official_client(
    *, client_id: str, client_secret: str, host: str, redirect_uri: str, ca_bundle: str | None
) -> DuoClient:
    """Build ``duo_universal.Client``: Duo's pinned CA bundle unless the provider names one."""
    import duo_universal
    import jwt.warnings

    # 40-byte secrets are what Duo issues; PyJWT's advice about 64-byte keys is noise here.
    warnings.filterwarnings("ignore", category=jwt.warnings.InsecureKeyLengthWarning)
    kwargs: dict[str, Any] = {}
    if ca_bundle is not None:
        kwargs["duo_certs"] = ca_bundle
    try:
        client: DuoClient = duo_universal.Client(
            client_id=client_id,
            client_secret=client_secret,
            host=host,
            redirect_uri=redirect_uri,
            **kwargs,
        )
    except duo_universal.DuoException as exc:
        raise DuoProtocolError(f"the Duo client refused its settings: {exc}") from None
    return client


def proxy_in_use(environ: Mapping[str, str] | None = None, host: str | None = None) -> str | None:
    """The proxy ``requests`` would route Duo traffic through, or None.

    The platform this mirrors does not support proxies for Duo; NO_PROXY covering the host
    makes the proxy variables harmless.
    """
    env = os.environ if environ is None else environ
    for name in PROXY_VARIABLES:
        value = env.get(name)
        if value:
            if host is not None and _no_proxy_covers(env, host):
                return None
            return f"{name}={_redact_proxy(value)}"
    return None


def _no_proxy_covers(env: Mapping[str, str], host: str) -> bool:
    raw = env.get("NO_PROXY") or env.get("no_proxy") or ""
    hostname = endpoint_host(host).lower()
    for entry in (e.strip().lower() for e in raw.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        domain = entry.lstrip(".").split(":")[0]
        if hostname == domain or hostname.endswith("." + domain):
            return True
    return False


def _redact_proxy(value: str) -> str:
    # A proxy URL may carry user:password; never print it.
    if "@" in value:
        scheme, _, rest = value.rpartition("://")
        return (scheme + "://" if scheme else "") + "***@" + rest.split("@", 1)[1]
    return value


def ca_bundle_fix(provider: str | None) -> str:
    """The fix for a CA bundle that cannot be used (the same words as ``doctor``'s)."""
    return f"give a readable PEM file: duoctl provider edit {provider or 'NAME'} --ca-bundle FILE"


def proxy_fix(endpoint: str) -> str:
    """The fix for Duo traffic sent through a proxy (the same words as ``doctor``'s)."""
    host = endpoint_host(endpoint)
    return (
        f"add {host} to NO_PROXY (export NO_PROXY={host},$NO_PROXY), or unset the proxy "
        "variable for duoctl and the platform"
    )


@dataclass(frozen=True)
class CallContext:
    """What an error about one call may name besides the host, where the caller knows it."""

    provider: str | None = None
    ca_bundle: str | None = None  # the provider's own bundle; None: Duo's pinned one
    username: str | None = None


def root_cause(exc: BaseException) -> object:
    """DuoException wraps what went wrong, sometimes twice: dig to the innermost payload."""
    current: object = exc
    seen = 0
    while seen < 5 and type(current).__name__ == "DuoException":
        args = getattr(current, "args", ())
        if not args:
            break
        current = args[0]
        seen += 1
    return current


def exception_chain(cause: object) -> list[BaseException]:
    """``cause`` and what it wraps: requests' error holds urllib3's MaxRetryError, whose
    ``reason`` holds urllib3's ProxyError or SSLError, which holds the socket's error."""
    found: list[BaseException] = []
    pending = [cause]
    while pending and len(found) < 12:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or any(current is f for f in found):
            continue
        found.append(current)
        args = getattr(current, "args", ())
        pending.extend(a for a in args if isinstance(a, BaseException))
        pending.extend([getattr(current, "reason", None), current.__cause__, current.__context__])
    return found


# requests raises this (an OSError, before any connection) when ``verify`` names no file.
_NO_CA_FILE = "Could not find a suitable TLS CA certificate bundle"
# OpenSSL's words when the bundle exists but holds no certificate it can load.
_NO_CERTIFICATE = ("NO_CERTIFICATE_OR_CRL_FOUND", "PEM lib", "X509 lib")


def classify(
    exc: BaseException,
    host: str,
    action: str,
    context: CallContext | None = None,
    answer: HttpAnswer | None = None,
) -> DuoctlError:
    """Map an exception from the SDK (or requests under it) to a domain error.

    ``context`` lets the message and the fix name the provider, its CA bundle and the user;
    without it they say less, never something wrong. ``answer`` is what a second look at
    the host found (:func:`duoctl.httpanswer.probe_answer`), for the failures whose cause is
    in the HTTP status and headers the SDK does not pass on.
    """
    if isinstance(exc, DuoctlError):
        return exc
    cause = root_cause(exc)
    if isinstance(cause, dict):
        return _classify_body(cause, host, action, answer)
    chain = exception_chain(cause)
    names = {type(e).__name__ for e in chain}
    text = " ".join(str(e) for e in chain[:1])
    ca_problem = _classify_ca_bundle(chain, host, action, context)
    if ca_problem is not None:
        return ca_problem
    if "ProxyError" in names:
        # requests' ProxyError is a ConnectionError: test it first, or it reads as "cannot
        # connect" with a fix about firewalls when the fix is NO_PROXY.
        return DuoUnreachable(
            f"cannot reach {host} through the proxy during {action}: {_proxy_reason(chain)}",
            hint=proxy_fix(host),
        )
    if any("SSL" in n for n in names) or "CERTIFICATE_VERIFY_FAILED" in text:
        return DuoUnreachable(
            f"TLS to {host} failed during {action}: the certificate could not be verified",
            hint="check the provider's CA bundle (or remove it to use Duo's pinned bundle); "
            "a TLS-intercepting proxy or firewall breaks Duo; check the system clock",
        )
    if names & {"ConnectionError", "ConnectTimeout", "NewConnectionError", "MaxRetryError"}:
        if names & {"NameResolutionError", "gaierror"} or any(
            words in text for words in ("Name or service not known", "NameResolutionError")
        ):
            return DuoUnreachable(
                f"cannot resolve {host} during {action}",
                hint="check the endpoint spelling and this machine's DNS",
            )
        return DuoUnreachable(
            f"cannot connect to {host} during {action}",
            hint="check the endpoint and port, and that a firewall allows outbound HTTPS to Duo",
        )
    name = type(cause).__name__
    text = str(cause)
    if name in ("JSONDecodeError", "KeyError", "TypeError", "ValueError"):
        if answer is not None and is_json(answer):
            answer = None  # Duo's JSON again on the second look: the first page passed
        # A 429 or a 5xx is the path's state, and a credential-free look sees it as the SDK
        # did; any other status the look gets is its own (Duo refuses it: no credentials).
        if answer is not None and (answer.status == 429 or answer.status >= 500):
            return classify_page(answer, host, action)
        return DuoProtocolError(
            f"{host} answered {action} with something that is not Duo's API "
            f"({not_json_shape(answer)})",
            hint="a captive portal or a TLS-intercepting proxy answers in Duo's place, or the "
            "endpoint is not your Duo API hostname: check the endpoint, log in to the "
            "network's portal, or exempt the Duo host from inspection",
        )
    if text == ERR_USERNAME:
        return username_mismatch(context.username if context else None, action)
    if text == ERR_NONCE:
        return DuoProtocolError(f"the nonce in Duo's answer does not match ({action})")
    if name in ("ExpiredSignatureError", "ImmatureSignatureError"):
        # The SDK checks Duo's id_token with 60 s of leeway: "not yet valid" means this
        # machine is behind Duo by more than that, "expired" that it is far ahead.
        behind = name == "ImmatureSignatureError"
        return DuoProtocolError(
            f"Duo's token is outside its validity window ({action}): this machine's clock "
            + ("is behind Duo's by more than 60 s" if behind else "is ahead of Duo's"),
            hint="synchronise this machine's clock (NTP: timedatectl set-ntp true); "
            "'duoctl doctor' measures the skew",
        )
    if name in (
        "InvalidSignatureError",
        "InvalidAudienceError",
        "InvalidIssuerError",
        "DecodeError",
    ):
        return DuoProtocolError(f"Duo's token did not verify ({action}): {name}")
    return DuoProtocolError(f"{action} failed: {name}")


def _classify_ca_bundle(
    chain: list[BaseException], host: str, action: str, context: CallContext | None
) -> DuoctlError | None:
    """A CA bundle that cannot be loaded: nothing reached the network, and the fix is local.

    Without a ``context`` the caller did not say which bundle the client was given.
    """
    from duoctl.output import safe_text

    missing = [str(e) for e in chain if _NO_CA_FILE in str(e)]
    unloadable = any(
        type(e).__name__ == "SSLError" and any(word in str(e) for word in _NO_CERTIFICATE)
        for e in chain
    )
    if not (missing or unloadable):
        return None
    why = "no such file" if missing else "it holds no PEM certificate"
    if context is not None and context.ca_bundle is None:
        return DuoUnreachable(
            f"cannot use Duo's pinned CA bundle for {host} during {action}: {why}",
            hint="reinstall duoctl: its duo_universal dependency is incomplete",
        )
    if context is not None:
        bundle = f"the CA bundle {context.ca_bundle}"
    elif missing:
        bundle = "the CA bundle " + safe_text(missing[0].partition("invalid path: ")[2], limit=200)
    else:
        bundle = "the CA bundle"
    return DuoUnreachable(
        f"cannot use {bundle} for {host} during {action}: {why}",
        hint=ca_bundle_fix(context.provider if context else None),
    )


def _proxy_reason(chain: list[BaseException]) -> str:
    from duoctl.output import safe_text

    for exc in chain:
        if isinstance(exc, ConnectionRefusedError) or "Connection refused" in str(exc):
            return "the proxy refused the connection"
    for exc in chain:
        text = str(exc)
        if text.startswith("Tunnel connection failed"):
            # The proxy's own status line: quoted cleaned and cut, it may say anything.
            return "the proxy answered " + safe_text(text.partition(": ")[2], limit=60)
    return "the proxy did not carry the connection"


def _classify_body(
    body: dict[str, Any], host: str, action: str, answer: HttpAnswer | None = None
) -> DuoctlError:
    from duoctl.output import safe_text

    # Only Duo's short message fields are quoted, cleaned and cut: never the whole body,
    # which a proxy or a hostile endpoint could fill with anything.
    message = safe_text(body.get("message") or body.get("error") or "", limit=80)
    detail = safe_text(body.get("message_detail") or body.get("error_description") or "", limit=200)
    code = body.get("code")
    if message == "invalid_client" or code == 40002:
        timestamp = duo_time(body)
        return DuoCredentialsRejected(
            f"Duo rejected the Client ID / Client Secret for {host} ({detail or message})",
            hint="check the Client ID in the config and rotate the secret with "
            "'duoctl provider edit NAME --rotate-secret'; both come from the Web SDK "
            "application. If they match the Admin Panel: " + NOT_WEB_SDK_CAUSE,
            # Duo's FAIL body still tells the time: a skewed clock is a common cause of this.
            data={"server_time": timestamp} if timestamp is not None else None,
        )
    if code == 42901:
        return rate_limited(host, action, answer)
    if message == "invalid_grant":
        return DuoProtocolError(
            f"Duo refused the authorization code during {action} ({detail or message})",
            hint="codes are single-use and expire quickly; start the login again",
        )
    if isinstance(code, int) and code >= 50000:
        # Duo's codes carry the HTTP status in their first three digits (50301: 503).
        status = answer.status if answer is not None else code // 100
        return DuoUnreachable(
            f"Duo reported a server error (HTTP {status}) during {action}: "
            f"{message} {detail}".strip(),
            hint=OUTAGE_HINT,
        )
    return DuoProtocolError(
        f"Duo refused {action}: {message or 'an answer without a message'} {detail}".strip()
    )


def duo_time(body: object) -> float | None:
    """Duo's clock from an answer, in whichever shape it comes: a top-level ``timestamp``
    (a FAIL body), ``response.timestamp`` (the health check), ``response.time`` (the Auth
    API's ``/auth/v2/check``). None when there is none."""
    if not isinstance(body, dict):
        return None
    response = body.get("response")
    nested = response if isinstance(response, dict) else {}
    for value in (body.get("timestamp"), nested.get("timestamp"), nested.get("time")):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


@dataclass(frozen=True)
class Skew:
    """Duo's clock minus this machine's, and how far off that figure may be: the request's
    half round trip, plus a second when Duo's time is whole seconds (it truncates)."""

    seconds: float
    uncertainty: float

    @classmethod
    def measure(cls, server_time: float, started: float, elapsed: float) -> Skew:
        whole = float(server_time).is_integer()
        # A whole-second stamp was taken somewhere in [t, t + 1): its middle is the best guess.
        middle = server_time + (0.5 if whole else 0.0)
        return cls(middle - (started + elapsed / 2), elapsed / 2 + (0.5 if whole else 0.0))


@dataclass(frozen=True)
class HealthResult:
    server_time: float | None
    elapsed: float
    skew: float | None  # server time minus local time at the midpoint of the request
    measured: Skew | None = None


def pinned_bundle() -> str:
    """duo_universal's own CA bundle, what the SDK verifies Duo against by default."""
    import duo_universal.client

    return str(duo_universal.client.DEFAULT_CA_CERT_PATH)


def _wants_a_look(exc: BaseException) -> bool:
    """Is the cause in the HTTP status or headers the SDK dropped? (a 429's Retry-After, the
    status of a page that is not JSON)"""
    cause = root_cause(exc)
    if isinstance(cause, dict):
        return cause.get("code") == 42901
    return type(cause).__name__ == "JSONDecodeError"


def bounded(
    call: Callable[[], Any],
    *,
    host: str,
    action: str,
    timeout: float,
    context: CallContext | None = None,
    probe: AnswerProbe | None = probe_answer,
) -> Any:
    """``call`` under a deadline, its failure classified. With a ``context`` (which names
    the CA bundle in use), a failure whose cause is at the HTTP level gets one more look at
    the host through ``probe``."""

    def timed_out() -> DuoTimeout:
        return DuoTimeout(
            f"{host} did not answer {action} within {timeout:g} s",
            hint="a firewall may be dropping traffic to Duo, or the host is overloaded",
        )

    try:
        return call_with_deadline(call, timeout, timed_out, name=f"duo-{action}")
    except DuoTimeout:
        raise
    except Exception as exc:
        answer = None
        if probe is not None and context is not None and _wants_a_look(exc):
            bundle = context.ca_bundle or pinned_bundle()
            answer = probe(host, bundle, min(timeout, PROBE_TIMEOUT))
        error = classify(exc, host, action, context, answer)
        if probe is not None and context is not None and context.ca_bundle is None:
            # Only Duo's pinned bundle refused the chain: say whose it is (issue 15, row 3).
            chain = exception_chain(root_cause(exc))
            wait = min(timeout, PROBE_TIMEOUT)
            error = pinned_refusal(chain, host, action, wait, pinned_bundle()) or error
        raise error from None


def health_check(
    client: DuoClient,
    *,
    host: str,
    timeout: float,
    clock: Callable[[], float] = time.time,
    context: CallContext | None = None,
    probe: AnswerProbe | None = probe_answer,
) -> HealthResult:
    started = clock()
    monotonic_start = time.monotonic()
    result = bounded(
        client.health_check,
        host=host,
        action="the health check",
        timeout=timeout,
        context=context,
        probe=probe,
    )
    elapsed = time.monotonic() - monotonic_start
    server_time = duo_time(result)
    measured = None if server_time is None else Skew.measure(server_time, started, elapsed)
    skew = None if measured is None else measured.seconds
    return HealthResult(server_time=server_time, elapsed=elapsed, skew=skew, measured=measured)
