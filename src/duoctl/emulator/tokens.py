"""The JWTs: client assertions and request objects checked as Duo would, id_tokens issued.

Every check raises :class:`Rejected` carrying an OAuth error code and a description; each
endpoint renders that in its own wire shape (health check ``stat: FAIL``, token ``error``).
"""

from __future__ import annotations

import datetime as dt
import heapq
import ipaddress
import math
import threading
import uuid
import warnings
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jwt

if TYPE_CHECKING:
    from duoctl.emulator.faults import Faults

ALGORITHM = "HS512"
MAX_EXP_AHEAD = 3600.0  # Duo refuses assertions valid for more than an hour
# How far in the future an ``iat`` may be. The Node SDK rounds the time to the nearest second,
# so its iat is up to 0.5 s ahead; what Duo allows is unverified. 60 s is the leeway every
# official SDK applies to Duo's own iat, so a clock difference that breaks nothing one way
# breaks nothing the other way. ``nbf`` has none: Duo refuses a future nbf (C# SDK issue 13).
IAT_LEEWAY = 60.0
STATE_MIN, STATE_MAX = 16, 1024
REDIRECT_URI_MAX = 256
ID_TOKEN_LIFETIME = 3600


class Rejected(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


# warnings.catch_warnings swaps the process-wide filter list and is not thread-safe: two
# handler threads interleaving enter/exit could leave the filter list of one in place for
# good. Serialising our own uses keeps them from tangling (HMAC is microseconds anyway).
_WARNINGS_LOCK = threading.Lock()


@contextmanager
def _quiet_key_length() -> Iterator[None]:
    # A 40-character Duo secret is shorter than the 64 bytes RFC 7518 suggests for HS512;
    # that is Duo's design, not something a user can fix, so the warning is noise here.
    with _WARNINGS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        yield


def encode(claims: Mapping[str, Any], secret: str) -> str:
    with _quiet_key_length():
        return jwt.encode(dict(claims), secret, algorithm=ALGORITHM)


class JtiCache:
    """Assertion IDs already used, remembered until their assertion expires.

    A set answers "seen before?" in O(1); a heap ordered by expiry lets each claim drop the
    expired entries it finds at the front, so a claim costs O(log n) amortised however many
    IDs are remembered (rebuilding the collection on every claim made sustained load decay).
    """

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()
        self._expiries: list[tuple[float, tuple[str, str]]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)

    def claim(self, client_id: str, jti: str, exp: float, now: float) -> bool:
        """Record ``jti``; False when it was already used (a replay)."""
        with self._lock:
            self._prune(now)
            key = (client_id, jti)
            if key in self._seen:
                return False
            self._seen.add(key)
            heapq.heappush(self._expiries, (exp, key))
            return True

    def _prune(self, now: float) -> None:
        # A key is in the heap exactly once (a replay is refused before it is pushed again).
        while self._expiries and self._expiries[0][0] < now:
            _, key = heapq.heappop(self._expiries)
            self._seen.remove(key)


def numeric_claim(value: Any) -> float | None:
    """A time claim as a number, or None when it is not one.

    JSON numbers, and strings that Python's ``int()`` reads, as PyJWT's own checks do
    (``int(payload["exp"])``): the C# SDK sends every claim as a JSON string
    (duo_universal_csharp JwtUtils.cs, CalculateExpiration) and real Duo accepts it.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            return float(int(value))
        except ValueError:
            return None
    return None


def _check_times(claims: Mapping[str, Any], now: float, what: str) -> float:
    """exp / nbf / iat against ``now``, plus Duo's one-hour ceiling on exp. Returns exp.

    PyJWT would compare these with the real time (its checks are turned off in the decode
    calls); the emulator compares them with its own clock, so a test can move time forward
    without sleeping. Sources for each rule: docs/emulator-fidelity.md."""
    exp = numeric_claim(claims.get("exp"))
    if exp is None:
        raise Rejected("invalid_client", f"{what} has no numeric exp")
    if exp <= now:
        raise Rejected("invalid_client", f"{what} has expired")
    if exp > now + MAX_EXP_AHEAD:
        raise Rejected("invalid_client", f"{what} exp is more than one hour ahead")
    for claim, leeway in (("nbf", 0.0), ("iat", IAT_LEEWAY)):
        if claim not in claims:
            continue
        value = numeric_claim(claims[claim])
        if value is None:
            raise Rejected("invalid_client", f"{what} {claim} is not a number")
        if value > now + leeway:
            raise Rejected("invalid_client", f"{what} is not valid yet ({claim} in the future)")
    return exp


def unverified_issuer(assertion: str | None) -> str:
    """The ``iss`` of a client assertion, read without checking it (to find whose secret
    checks it); "" when there is none. The signature is checked afterwards, as always."""
    if not assertion:
        return ""
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        return ""
    iss = claims.get("iss")
    return iss if isinstance(iss, str) else ""


def _jwt_failure(exc: jwt.PyJWTError) -> str:
    if isinstance(exc, jwt.InvalidSignatureError):
        return "signature verification failed"
    if isinstance(exc, jwt.InvalidAudienceError):
        return "aud does not match the endpoint"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "iss does not match the client ID"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"missing claim {exc.claim}"
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "the algorithm must be HS512"
    return "malformed JWT"


def verify_client_assertion(
    assertion: str,
    *,
    client_id: str,
    secret: str,
    audiences: Collection[str],
    now: float,
    jtis: JtiCache,
) -> None:
    """Check a ``client_assertion`` (health check and token endpoints)."""
    try:
        with _quiet_key_length():
            claims = jwt.decode(
                assertion,
                secret,
                algorithms=[ALGORITHM],
                audience=list(audiences),
                issuer=client_id,
                options={
                    "require": ["exp", "iss", "sub", "aud", "jti"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
    except jwt.PyJWTError as exc:
        raise Rejected("invalid_client", _jwt_failure(exc)) from None
    if claims.get("sub") != client_id:
        raise Rejected("invalid_client", "sub does not match the client ID")
    exp = _check_times(claims, now, "the assertion")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise Rejected("invalid_client", "jti must be a non-empty string")
    if not jtis.claim(client_id, jti, exp, now):
        raise Rejected("invalid_client", "jti has already been used")


@dataclass(frozen=True)
class AuthorizeRequest:
    """What a valid ``request`` JWT asked for."""

    client_id: str
    redirect_uri: str
    state: str
    username: str
    nonce: str | None
    use_duo_code_attribute: bool


def is_acceptable_redirect_uri(uri: str) -> bool:
    """``http://localhost...`` or ``https://`` with a host name (never an IP literal)."""
    if not 1 <= len(uri) <= REDIRECT_URI_MAX:
        return False
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        _ = parts.port  # raises on a non-numeric port
    except ValueError:
        return False
    if not host:
        return False
    if parts.scheme == "http":
        return host == "localhost"
    if parts.scheme != "https":
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False


def _flag(value: Any) -> bool:
    # The Python SDK sends a JSON bool; other SDKs send the string "true".
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise Rejected("invalid_request", "use_duo_code_attribute must be a boolean")


def verify_request_jwt(
    request_jwt: str,
    *,
    client_id: str,
    secret: str,
    audiences: Collection[str],
    query_nonce: str | None,
    now: float,
) -> AuthorizeRequest:
    """Check the ``request`` parameter of GET /oauth/v1/authorize."""
    try:
        with _quiet_key_length():
            # iss and aud are optional (the Java SDK omits both) but checked when present.
            claims = jwt.decode(
                request_jwt,
                secret,
                algorithms=[ALGORITHM],
                options={
                    "require": ["exp"],
                    "verify_aud": False,
                    "verify_iss": False,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
    except jwt.PyJWTError as exc:
        raise Rejected("invalid_request", f"invalid request JWT: {_jwt_failure(exc)}") from None
    try:
        _check_times(claims, now, "the request JWT")
    except Rejected as exc:
        raise Rejected("invalid_request", exc.description) from None
    if "iss" in claims and claims["iss"] != client_id:
        raise Rejected("invalid_request", "request JWT iss does not match the client ID")
    if "aud" in claims:
        aud = claims["aud"]
        auds = aud if isinstance(aud, list) else [aud]
        if not any(a in audiences for a in auds):
            raise Rejected("invalid_request", "request JWT aud does not match this host")
    if claims.get("client_id") != client_id:
        raise Rejected("invalid_request", "request JWT client_id does not match")
    if claims.get("response_type") != "code":
        raise Rejected("unsupported_response_type", "response_type must be 'code'")
    scope = claims.get("scope", "openid")
    if not isinstance(scope, str) or "openid" not in scope.split():
        raise Rejected("invalid_scope", "scope must include 'openid'")
    redirect_uri = claims.get("redirect_uri")
    if not isinstance(redirect_uri, str) or not is_acceptable_redirect_uri(redirect_uri):
        raise Rejected(
            "invalid_request",
            "redirect_uri must be 1-256 characters, http://localhost... or https:// "
            "with a host name",
        )
    state = claims.get("state")
    if not isinstance(state, str) or not STATE_MIN <= len(state) <= STATE_MAX:
        raise Rejected("invalid_request", "state must be 16-1024 characters")
    username = claims.get("duo_uname")
    if not isinstance(username, str) or not username:
        raise Rejected("invalid_request", "duo_uname is required")
    nonce = query_nonce if query_nonce else claims.get("nonce")
    if nonce is not None and not isinstance(nonce, str):
        raise Rejected("invalid_request", "nonce must be a string")
    # Absent means the plain OIDC parameter name, ``code``.
    use_duo_code = _flag(claims.get("use_duo_code_attribute", False))
    return AuthorizeRequest(client_id, redirect_uri, state, username, nonce, use_duo_code)


@dataclass(frozen=True)
class AuthFacts:
    """What happened during one authentication, for the id_token."""

    username: str
    allowed: bool
    reason: str
    factor: str
    device_name: str
    nonce: str | None
    txid: str
    auth_time: float  # already shifted by any clock-skew fault


def build_id_token(
    facts: AuthFacts,
    *,
    client_id: str,
    secret: str,
    issuer: str,
    now: float,
    faults: Faults | None = None,
) -> str:
    """An id_token shaped like Duo's, signed HS512 with the client secret."""
    iat = int(now)
    auth_time = int(facts.auth_time)
    user_key = "DU" + uuid.uuid5(uuid.NAMESPACE_OID, facts.username).hex[:18].upper()
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": facts.username,
        "aud": client_id,
        "exp": iat + ID_TOKEN_LIFETIME,
        "iat": iat,
        "auth_time": auth_time,
        "preferred_username": facts.username,
        "auth_result": {
            "result": "allow" if facts.allowed else "deny",
            "status": "allow" if facts.allowed else "deny",
            "status_msg": "Login Successful" if facts.allowed else "Login denied",
        },
        "auth_context": {
            "txid": facts.txid,
            "timestamp": auth_time,
            "event_type": "authentication",
            "result": "success" if facts.allowed else "denied",
            "reason": facts.reason,
            "factor": facts.factor,
            "user": {"name": facts.username, "key": user_key, "groups": []},
            "application": {"name": "duoctl emulator", "key": client_id},
            "auth_device": {
                "ip": None,
                "location": {"city": None, "state": None, "country": None},
                "name": facts.device_name,
                "key": "DP" + facts.txid.replace("-", "")[:18].upper(),
            },
            "access_device": {
                "ip": "127.0.0.1",
                "location": {"city": None, "state": None, "country": None},
                "hostname": None,
                "os": "unknown",
                "os_version": "unknown",
                "browser": "unknown",
                "browser_version": "unknown",
                "is_encryption_enabled": "unknown",
                "is_firewall_enabled": "unknown",
                "is_password_set": "unknown",
            },
            "alias": "",
            "email": "",
            "isotimestamp": _iso(auth_time),
        },
    }
    nonce = facts.nonce if faults is None else faults.nonce_for_id_token(facts.nonce)
    if nonce is not None:
        claims["nonce"] = nonce
    return encode(claims, secret)


def _iso(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat()
