"""Duo's three OIDC endpoints plus the emulator's prompt answer, as plain functions of the
request parameters. No sockets here: :mod:`duoctl.emulator.server` does the transport."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from duoctl.emulator import prompt_pages
from duoctl.emulator.faults import UNAUTHORIZED_OIDC_BODY, Faults
from duoctl.emulator.grants import (
    CODE_LIFETIME,
    PROMPT_LIFETIME,
    Grant,
    OneTimeStore,
    PendingPrompt,
)
from duoctl.emulator.tokens import (
    ID_TOKEN_LIFETIME,
    AuthFacts,
    AuthorizeRequest,
    JtiCache,
    Rejected,
    build_id_token,
    unverified_issuer,
    verify_client_assertion,
    verify_request_jwt,
)
from duoctl.emulator.users import EmulatedUser, NewUserPolicy, Outcome, find_user

HEALTH_CHECK_PATH = "/oauth/v1/health_check"
AUTHORIZE_PATH = "/oauth/v1/authorize"
TOKEN_PATH = "/oauth/v1/token"  # noqa: S105 (a URL path, not a password)
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# How long a TIMEOUT user's authorize is held before a "timed out" page (no redirect). Real
# Duo gives up on a push after about a minute; stop() releases held requests at once.
TIMEOUT_HOLD = 60.0

# Duo's answers never say which check failed; the specific reason goes to the emulator's log
# (Response.reason) instead. Sources: docs/emulator-fidelity.md.
INVALID_CLIENT_DETAIL = "The provided client_assertion was invalid."
INVALID_GRANT_DETAIL = (
    "The provided authorization grant or refresh token is invalid, expired, revoked, "
    "does not match the redirection URI."
)

# Outcomes that end in ``error=access_denied`` on the redirect, with their description.
_ACCESS_DENIED: dict[Outcome, str] = {
    Outcome.FRAUD: "The user reported this login request as fraudulent.",
    Outcome.LOCKOUT: "The user is locked out.",
    Outcome.POLICY_DENY: "Access was denied by policy.",
    Outcome.NOT_ENROLLED: "The user is not enrolled in Duo.",
}
_NOT_ENROLLED_DENIED = _ACCESS_DENIED[Outcome.NOT_ENROLLED]


class Decision(NamedTuple):
    """What Duo decided for one authentication, as its authentication log records it.

    ``result`` and ``reason`` use the Admin API's authentication log values ("success",
    "denied", "fraud"; "user_approved", "user_cancelled", ...: Duo Admin API documentation,
    "Authentication Logs"). Seen through the control API's request log.
    """

    txid: str
    user: str
    result: str
    reason: str
    # What the Admin API's authentication log adds (empty in decisions made before they
    # were recorded): the factor, the application's Client ID, the device, the server time.
    factor: str = ""
    application: str = ""
    device: str = ""
    time: float = 0.0


# Outcome -> (result, reason) in Duo's authentication log vocabulary (Admin API docs).
_LOGGED: dict[Outcome, tuple[str, str]] = {
    Outcome.APPROVE: ("success", "user_approved"),
    Outcome.DENY: ("denied", "user_cancelled"),
    Outcome.FRAUD: ("fraud", "user_marked_fraud"),
    Outcome.LOCKOUT: ("denied", "locked_out"),
    Outcome.POLICY_DENY: ("denied", "denied_by_policy"),
    Outcome.TIMEOUT: ("denied", "no_response"),
    Outcome.NOT_ENROLLED: ("denied", "deny_unenrolled_user"),
}


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    location: str | None = None
    reason: str | None = None  # why a request was refused: for the log, never the client
    allow: str | None = None  # the Allow header of a 405
    decision: Decision | None = None  # an authentication decided by this request
    headers: tuple[tuple[str, str], ...] = ()  # any other response headers

    @property
    def is_json(self) -> bool:
        return self.content_type == "application/json"


def json_response(status: int, payload: Mapping[str, Any], reason: str | None = None) -> Response:
    return Response(status, json.dumps(payload).encode(), reason=reason)


def html_response(status: int, body: bytes, reason: str | None = None) -> Response:
    return Response(status, body, "text/html; charset=utf-8", reason=reason)


def _redirect(
    uri: str,
    params: Mapping[str, str],
    reason: str | None = None,
    decision: Decision | None = None,
) -> Response:
    # Keep any query the application put in its redirect URI, add ours after it.
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    location = urlunsplit(parts._replace(query=urlencode(query)))
    return Response(302, b"", "text/plain", location, reason, decision=decision)


# A user's Admin API status that decides before any push (Duo Admin API docs, "Users":
# status; authentication log reasons "user_disabled" and "locked_out").
_STATUS_DENIED: dict[str, tuple[str, str]] = {
    "disabled": ("user_disabled", "The user is disabled."),
    "locked out": ("locked_out", _ACCESS_DENIED[Outcome.LOCKOUT]),
}


class DuoEndpoints:
    def __init__(
        self,
        *,
        clients: Mapping[str, str],
        users: Mapping[str, EmulatedUser],
        faults: Faults,
        interactive: bool,
        stopping: threading.Event,
        clock: Callable[[], float] = time.time,
        new_user_policy: NewUserPolicy = NewUserPolicy.ENROLL,
        lowercase_preferred_username: bool = False,
        push_timeout: float = TIMEOUT_HOLD,
    ) -> None:
        self._clients = clients  # client_id -> secret; shared with Emulator, mutable
        self._users = users
        self._new_user_policy = new_user_policy
        self._lowercase_preferred_username = lowercase_preferred_username
        self._push_timeout = push_timeout
        self._faults = faults
        self._interactive = interactive
        self._stopping = stopping
        self._clock = clock
        self._jtis = JtiCache()
        self._codes: OneTimeStore[Grant] = OneTimeStore(CODE_LIFETIME)
        self._prompts: OneTimeStore[PendingPrompt] = OneTimeStore(PROMPT_LIFETIME)
        self._authorities: frozenset[str] = frozenset()
        self._canonical = ""

    def bind_port(self, port: int, names: Iterable[str] = ()) -> None:
        """Learn the port: a client may call us by a loopback name or by one of ``names``
        (``--hostname``, what the leaf certificate also carries)."""
        self._canonical = f"localhost:{port}"
        extra = {f"[{n}]:{port}" if ":" in n else f"{n}:{port}" for n in names}
        self._authorities = frozenset(
            {self._canonical, f"127.0.0.1:{port}", f"[::1]:{port}", *extra}
        )

    def _reported_time(self) -> float:
        return self._clock() + self._faults.clock_skew

    def _decision(
        self,
        request: AuthorizeRequest,
        result: str,
        reason: str,
        user: EmulatedUser | None = None,
        txid: str | None = None,
    ) -> Decision:
        return Decision(
            txid if txid is not None else str(uuid.uuid4()),
            request.username,
            result,
            reason,
            factor=user.factor if user is not None else "not_available",
            application=request.client_id,
            device=user.device_name if user is not None else "",
            time=self._reported_time(),
        )

    def _logged(
        self, request: AuthorizeRequest, outcome: Outcome, user: EmulatedUser | None = None
    ) -> Decision:
        result, reason = _LOGGED[outcome]
        return self._decision(request, result, reason, user)

    def _urls(self, path: str) -> frozenset[str]:
        return frozenset(f"https://{a}{path}" for a in self._authorities)

    # -- POST /oauth/v1/health_check -------------------------------------------------------

    def health_check(self, form: Mapping[str, str]) -> Response:
        client_id = form.get("client_id", "")
        try:
            self._authenticate(client_id, form.get("client_assertion"), HEALTH_CHECK_PATH)
        except Rejected as exc:
            return json_response(
                400,
                {
                    "stat": "FAIL",
                    "code": 40002,
                    "message": "invalid_client",
                    "message_detail": INVALID_CLIENT_DETAIL,
                    "timestamp": int(self._reported_time()),
                },
                reason=exc.description,
            )
        return json_response(
            200, {"stat": "OK", "response": {"timestamp": int(self._reported_time())}}
        )

    def _authenticate(self, client_id: str, assertion: str | None, path: str) -> str:
        """Check a client assertion; return the client's secret."""
        secret = self._clients.get(client_id)
        if secret is None:
            raise Rejected("invalid_client", "unknown client_id")
        if not assertion:
            raise Rejected("invalid_client", "client_assertion is required")
        verify_client_assertion(
            assertion,
            client_id=client_id,
            secret=secret,
            audiences=self._urls(path),
            now=self._clock(),
            jtis=self._jtis,
        )
        return secret

    # -- GET /oauth/v1/authorize -----------------------------------------------------------

    def authorize(self, query: Mapping[str, str]) -> Response:
        try:
            request = self._parse_authorize(query)
        except Rejected as exc:
            return json_response(
                400, {"error": exc.error, "error_description": exc.description}, exc.description
            )
        if self._faults.not_web_sdk:
            # After the request verified: the keys are real, the application is the wrong kind.
            return json_response(400, UNAUTHORIZED_OIDC_BODY, reason="not_web_sdk fault")
        user = find_user(self._users, request.username)
        if user is None:
            return self._new_user(request)
        if user.status in _STATUS_DENIED:
            reason, description = _STATUS_DENIED[user.status]
            return _redirect(
                request.redirect_uri,
                {
                    "error": "access_denied",
                    "error_description": description,
                    "state": request.state,
                },
                reason=f"user status: {user.status}",
                decision=self._decision(request, "denied", reason, user),
            )
        if user.status == "bypass":
            # Let through without a second factor; Duo logs this as bypass_user.
            bypassed = EmulatedUser(user.name, factor="not_available", device_name="")
            return self._grant(request, bypassed, True, "bypass_user")
        if not user.is_enrolled:
            # Duo's New User Policy governs users who exist but have not enrolled, as well
            # as unknown ones (docs/emulator-fidelity.md).
            return self._new_user(request, known=True)
        if self._interactive:
            txid = self._prompts.put(PendingPrompt(request, user), self._clock())
            return html_response(
                200,
                prompt_pages.prompt_page(
                    username=user.name,
                    device_name=user.device_name,
                    factor=user.factor,
                    txid=txid,
                ),
            )
        return self._scripted_answer(request, user)

    def _parse_authorize(self, query: Mapping[str, str]) -> AuthorizeRequest:
        client_id = query.get("client_id", "")
        secret = self._clients.get(client_id)
        if secret is None:
            raise Rejected("invalid_client", "unknown client_id")
        if query.get("response_type", "code") != "code":
            raise Rejected("unsupported_response_type", "response_type must be 'code'")
        request_jwt = query.get("request")
        if not request_jwt:
            raise Rejected("invalid_request", "the request parameter (a JWT) is required")
        audiences = self._urls("") | self._urls("/") | self._urls(AUTHORIZE_PATH)
        return verify_request_jwt(
            request_jwt,
            client_id=client_id,
            secret=secret,
            audiences=audiences,
            query_nonce=query.get("nonce"),
            now=self._clock(),
        )

    def _new_user(self, request: AuthorizeRequest, *, known: bool = False) -> Response:
        """A user the emulator does not know (or knows as not enrolled), as Duo's New User
        Policy treats one."""
        who = "unenrolled user" if known else "unknown user"
        why = f"{who} (new user policy: {self._new_user_policy.value})"
        if self._new_user_policy is NewUserPolicy.ALLOW:
            # Let through without a second factor; Duo logs this as allow_unenrolled_user.
            unenrolled = EmulatedUser(request.username, factor="not_available", device_name="")
            return self._grant(request, unenrolled, True, "allow_unenrolled_user")
        if self._new_user_policy is NewUserPolicy.DENY:
            return _redirect(
                request.redirect_uri,
                {
                    "error": "access_denied",
                    "error_description": _NOT_ENROLLED_DENIED,
                    "state": request.state,
                },
                reason=why,
                decision=self._logged(request, Outcome.NOT_ENROLLED),
            )
        # enroll: Duo would start its enrollment pages; the user stays there, no redirect.
        return html_response(200, prompt_pages.enrollment_page(), reason=why)

    def _scripted_answer(self, request: AuthorizeRequest, user: EmulatedUser) -> Response:
        if user.outcome is Outcome.TIMEOUT:
            # Like a push nobody answers: the browser stays on Duo's page, no redirect.
            self._stopping.wait(self._push_timeout)
            return Response(
                200,
                prompt_pages.timed_out_page(),
                "text/html; charset=utf-8",
                decision=self._logged(request, Outcome.TIMEOUT, user),
            )
        if user.delay and self._stopping.wait(user.delay):
            return html_response(
                503, prompt_pages.error_page("Stopping", "The emulator is stopping.")
            )
        return self._finish(request, user, user.outcome)

    def _finish(self, request: AuthorizeRequest, user: EmulatedUser, outcome: Outcome) -> Response:
        if outcome in _ACCESS_DENIED:
            return _redirect(
                request.redirect_uri,
                {
                    "error": "access_denied",
                    "error_description": _ACCESS_DENIED[outcome],
                    "state": request.state,
                },
                decision=self._logged(request, outcome, user),
            )
        allowed = outcome is Outcome.APPROVE
        return self._grant(request, user, allowed, "user_approved" if allowed else "user_cancelled")

    def _grant(
        self, request: AuthorizeRequest, user: EmulatedUser, allowed: bool, reason: str
    ) -> Response:
        """Redirect with a code whose token tells ``allowed`` and ``reason``."""
        username = request.username
        if self._lowercase_preferred_username:
            # As Duo does for some accounts (e.g. an alias): duo_universal_csharp issue 47.
            username = username.lower()
        facts = AuthFacts(
            username=username,
            allowed=allowed,
            reason=reason,
            factor=user.factor,
            device_name=user.device_name,
            nonce=request.nonce,
            txid=str(uuid.uuid4()),
            auth_time=self._reported_time(),
        )
        code = self._codes.put(Grant(request, facts), self._clock())
        code_name = "duo_code" if request.use_duo_code_attribute else "code"
        decision = self._decision(
            request, "success" if allowed else "denied", reason, user, txid=facts.txid
        )
        return _redirect(
            request.redirect_uri, {code_name: code, "state": request.state}, decision=decision
        )

    # -- POST /emulator/prompt (interactive mode) ------------------------------------------

    def prompt_answer(self, form: Mapping[str, str]) -> Response:
        action = form.get("action")
        if action not in {"approve", "deny"}:
            return html_response(400, prompt_pages.error_page("Bad request", "Unknown action."))
        pending = self._prompts.take(form.get("txid", ""), self._clock())
        if pending is None:
            return html_response(
                400,
                prompt_pages.error_page(
                    "Prompt expired", "This prompt was already answered or expired."
                ),
            )
        outcome = Outcome.APPROVE if action == "approve" else Outcome.DENY
        return self._finish(pending.request, pending.user, outcome)

    # -- POST /oauth/v1/token --------------------------------------------------------------

    def token(self, params: Mapping[str, str], host: str | None) -> Response:
        try:
            return json_response(200, self._exchange(params, host))
        except Rejected as exc:
            # Duo's fixed texts for these two; the specific reason goes to the log only.
            description = {
                "invalid_client": INVALID_CLIENT_DETAIL,
                "invalid_grant": INVALID_GRANT_DETAIL,
            }.get(exc.error, exc.description)
            return json_response(
                400, {"error": exc.error, "error_description": description}, exc.description
            )

    def _exchange(self, params: Mapping[str, str], host: str | None) -> dict[str, Any]:
        if params.get("grant_type") != "authorization_code":
            raise Rejected("unsupported_grant_type", "grant_type must be authorization_code")
        if params.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
            raise Rejected(
                "invalid_client", f"client_assertion_type must be {CLIENT_ASSERTION_TYPE}"
            )
        client_assertion = params.get("client_assertion")
        # Optional: the Java SDK sends none (DuoService.java); the assertion's iss names the
        # client. When present it must be the same client.
        issuer = unverified_issuer(client_assertion)
        client_id = params.get("client_id") or issuer
        # No readable assertion: _authenticate says what is wrong with it (missing, malformed)
        # rather than the log blaming a mismatch with an issuer that was never there.
        if issuer and client_id != issuer:
            raise Rejected("invalid_client", "client_id differs from the assertion's iss")
        secret = self._authenticate(client_id, client_assertion, TOKEN_PATH)
        code = params.get("code")
        if not code:
            raise Rejected("invalid_request", "code is required")
        # Taken before the bindings are compared: a code is burnt by any authenticated attempt.
        grant = self._codes.take(code, self._clock())
        if grant is None or grant.request.client_id != client_id:
            raise Rejected("invalid_grant", "unknown, used, expired or another client's code")
        if grant.request.redirect_uri != params.get("redirect_uri"):
            raise Rejected("invalid_grant", "redirect_uri differs from the authorize request")
        # The issuer names the host the client called (localhost or an IP), as the SDK
        # compares it with https://{its host}/oauth/v1/token.
        authority = host if host in self._authorities else self._canonical
        id_token = build_id_token(
            grant.facts,
            client_id=client_id,
            secret=secret,
            issuer=f"https://{authority}{TOKEN_PATH}",
            now=self._reported_time(),
            faults=self._faults,
        )
        return {
            "id_token": id_token,
            "access_token": uuid.uuid4().hex,
            "expires_in": ID_TOKEN_LIFETIME,
            "token_type": "Bearer",
        }
