"""The control API under ``/emulator/``: how a test in any language scripts a running emulator.

``GET /emulator/health`` is a readiness probe and needs nothing. Everything else needs
``Authorization: Bearer <token>`` (compared in constant time) and otherwise answers 401
without saying whether the path exists. Routes (JSON in, JSON out):

- ``GET /emulator/users``; ``PUT /emulator/users/NAME`` ``{"outcome", "delay", "factor",
  "device_name", "status"}`` (add or replace; omitted fields take their defaults);
  ``DELETE /emulator/users/NAME``
- ``GET /emulator/faults``; ``PATCH /emulator/faults`` ``{"latency": 2, ...}`` (only the fields
  given change); ``DELETE /emulator/faults`` (all off)
- ``GET /emulator/requests?last=N``: the last N Duo-endpoint requests, oldest first, each with
  the authentication Duo decided on it (txid, user, result, reason) when there was one
- ``POST /emulator/reset``: users, Admin API grants, faults and the request and
  authentication logs back to the start state
- ``GET /emulator/admin``: the Admin API credential's ikey and permissions;
  ``PATCH /emulator/admin`` ``{"permissions": ["Grant read log", ...]}`` replaces them

A browser cannot attach the bearer header to a cross-site request without a CORS preflight,
which this API never grants, so a web page cannot script it either. Bodies are bounded.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args, get_origin, get_type_hints
from urllib.parse import unquote

from duoctl.emulator.admin.permissions import ALL_PERMISSIONS, parse_permissions
from duoctl.emulator.endpoints import Response, json_response
from duoctl.emulator.faults import SWITCHED_ON, Faults
from duoctl.emulator.users import EmulatedUser, parse_outcome
from duoctl.output import safe_text

if TYPE_CHECKING:
    from duoctl.emulator.server import SeenRequest

CONTROL_PREFIX = "/emulator/"
HEALTH_PATH = "/emulator/health"
USERS_PATH = "/emulator/users"
FAULTS_PATH = "/emulator/faults"
REQUESTS_PATH = "/emulator/requests"
RESET_PATH = "/emulator/reset"
ADMIN_PATH = "/emulator/admin"
MAX_CONTROL_BODY = 16 * 1024
MAX_NAME = 256
DEFAULT_LAST = 50
_USER_FIELDS = frozenset({"outcome", "delay", "factor", "device_name", "status"})
_UNAUTHORIZED_HEADERS = (("WWW-Authenticate", 'Bearer realm="duoctl-emulator"'),)
_NOT_CONTROL = frozenset({"/emulator/prompt"})  # the interactive page's form, not the API


class Controllable(Protocol):
    """What the control API drives: :class:`duoctl.emulator.Emulator` in practice."""

    users: dict[str, EmulatedUser]
    faults: Faults
    admin_ikey: str
    admin_permissions: set[str]

    def add_user(self, user: EmulatedUser) -> None: ...
    def remove_user(self, name: str) -> bool: ...
    def recent_requests(self, last: int) -> list[SeenRequest]: ...
    def reset(self) -> None: ...


class _BadRequest(Exception):
    def __init__(self, status: int, message: str, allow: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.allow = allow


def is_control_path(path: str) -> bool:
    return path.startswith(CONTROL_PREFIX) and path not in _NOT_CONTROL


def authorized(header: str | None, token: str) -> bool:
    """Does an Authorization header carry ``token`` as a bearer token? Constant time in the
    token's content; the scheme is case-insensitive (RFC 6750 section 2.1, RFC 9110 11.1)."""
    scheme, _, given = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        # Still compare, so a missing header costs what a wrong one does.
        given = ""
    return hmac.compare_digest(given.strip().encode(), token.encode())


def user_json(user: EmulatedUser) -> dict[str, Any]:
    return {
        "name": user.name,
        "outcome": user.outcome.value,
        "delay": user.delay,
        "factor": user.factor,
        "device_name": user.device_name,
        "status": user.status,
    }


def faults_json(faults: Faults) -> dict[str, Any]:
    return dataclasses.asdict(faults)


def request_json(seen: SeenRequest) -> dict[str, Any]:
    decision = seen.decision._asdict() if seen.decision is not None else None
    return {
        "method": seen.method,
        "path": seen.path,
        "status": seen.status,
        "reason": seen.reason,
        "decision": decision,
    }


class ControlAPI:
    def __init__(self, target: Controllable, token: str) -> None:
        if len(token) < 16:
            raise ValueError("the control token must be at least 16 characters")
        self._target = target
        self._token = token

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        authorizations: Sequence[str],
        body: bytes,
    ) -> Response:
        """Answer one request; ``authorizations`` are its Authorization headers, all of them
        (two are refused whatever they hold: which one counts would be a guess)."""
        if path == HEALTH_PATH:
            if method not in {"GET", "HEAD"}:
                return _error(405, "method not allowed", allow="GET, HEAD")
            return json_response(200, {"status": "ok"})
        header = authorizations[0] if len(authorizations) == 1 else None
        if not authorized(header, self._token):
            reason = {0: "no bearer token", 1: "wrong bearer token"}.get(
                len(authorizations), "several Authorization headers"
            )
            return Response(
                401,
                json.dumps({"error": "unauthorized"}).encode(),
                reason=f"control API: {reason}",
                headers=_UNAUTHORIZED_HEADERS,
            )
        if len(body) > MAX_CONTROL_BODY:
            return _error(413, f"body over {MAX_CONTROL_BODY} bytes")
        try:
            return self._route(method, path, query, body)
        except _BadRequest as exc:
            return _error(exc.status, exc.message, exc.allow)

    def _route(self, method: str, path: str, query: Mapping[str, str], body: bytes) -> Response:
        target = self._target
        if path == USERS_PATH:
            _allow(method, "GET")
            return _ok({"users": [user_json(u) for u in list(target.users.values())]})
        if path.startswith(USERS_PATH + "/"):
            name = unquote(path[len(USERS_PATH) + 1 :])
            if not name or len(name) > MAX_NAME:
                raise _BadRequest(400, f"a user name is 1..{MAX_NAME} characters")
            _allow(method, "PUT", "DELETE")
            if method == "DELETE":
                if not target.remove_user(name):
                    raise _BadRequest(404, "no such user")
                return _ok({"removed": name})
            user = _user_from(name, _json_object(body))
            target.add_user(user)
            return _ok({"user": user_json(user)})
        if path == FAULTS_PATH:
            _allow(method, "GET", "PATCH", "DELETE")
            if method == "PATCH":
                try:
                    apply_faults(target.faults, _json_object(body))
                except ValueError as exc:
                    raise _BadRequest(400, str(exc)) from None
            elif method == "DELETE":
                target.faults.reset()
            return _ok({"faults": faults_json(target.faults)})
        if path == REQUESTS_PATH:
            _allow(method, "GET")
            last = _last(query.get("last"))
            return _ok({"requests": [request_json(s) for s in target.recent_requests(last)]})
        if path == RESET_PATH:
            _allow(method, "POST")
            target.reset()
            return _ok({"reset": True})
        if path == ADMIN_PATH:
            _allow(method, "GET", "PATCH")
            if method == "PATCH":
                _set_admin_permissions(target, _json_object(body))
            granted = [p for p in ALL_PERMISSIONS if p in target.admin_permissions]
            return _ok({"admin": {"ikey": target.admin_ikey, "permissions": granted}})
        raise _BadRequest(404, "not found")


def apply_faults(faults: Faults, changes: Mapping[str, Any]) -> None:
    """Set the named fields of ``faults``, all or none (ValueError names the first bad one).

    Each value must have its field's type (a number for a number, a boolean for a flag, one
    of the choices of a ``Literal``); ``status_5xx`` also takes a status 500..599. New fields
    of :class:`Faults` work unchanged.
    """
    defaults = {f.name: f.default for f in dataclasses.fields(Faults)}
    hints = get_type_hints(Faults)
    unknown = sorted(set(changes) - set(defaults))
    if unknown:
        raise ValueError(f"unknown fault(s): {', '.join(unknown)}")
    staged = dataclasses.replace(faults)
    for name, value in changes.items():
        default, hint = defaults[name], hints.get(name)
        if default is None:
            # An optional whole number (rate_limit's Retry-After): None turns it off, and
            # RFC 9110 section 10.2.3 allows only a non-negative delay.
            ok = value is None or (
                isinstance(value, int) and not isinstance(value, bool) and value >= 0
            )
        elif get_origin(hint) is Literal:
            ok = value in get_args(hint)
        elif isinstance(default, bool):
            ok = isinstance(value, bool) or (
                name == "status_5xx" and isinstance(value, int) and 500 <= value <= 599
            )
        elif isinstance(default, int | float):
            ok = (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
            )
            if ok and name == "latency":
                ok = value >= 0
        elif isinstance(default, str):
            ok = isinstance(value, str)
        else:
            ok = False
        if not ok:
            raise ValueError(f"invalid value for fault {name}: {value!r}")
        setattr(staged, name, value)
    for name in changes:
        setattr(faults, name, getattr(staged, name))


def parse_fault_option(spec: str) -> tuple[str, Any]:
    """``NAME[=VALUE]`` (``duoctl emulator --fault``) as a (field, value) for
    :func:`apply_faults`, which still judges the value.

    Dashes in NAME stand for underscores (``rate-limit``). VALUE is read as JSON when it
    parses (``2.5``, ``502``, ``true``, ``null``), else taken as text (``wrong``). A bare NAME
    switches the fault on: True for a flag, :data:`SWITCHED_ON`'s value otherwise.
    """
    given, sep, text = spec.partition("=")
    name = given.strip().replace("-", "_")
    defaults = {f.name: f.default for f in dataclasses.fields(Faults)}
    if name not in defaults:
        known = ", ".join(n.replace("_", "-") for n in defaults)
        raise ValueError(f"unknown fault {safe_text(given, limit=60)!r} (known: {known})")
    if not sep:
        if isinstance(defaults[name], bool):
            return name, True
        if name in SWITCHED_ON:
            return name, SWITCHED_ON[name]
        raise ValueError(f"fault {name.replace('_', '-')} needs a value: NAME=VALUE")
    try:
        value: Any = json.loads(text)
    except ValueError:
        value = text
    return name, value


def _set_admin_permissions(target: Controllable, fields: Mapping[str, Any]) -> None:
    unknown = sorted(set(fields) - {"permissions"})
    if unknown:
        raise _BadRequest(400, f"unknown field(s): {', '.join(unknown)}")
    names = fields.get("permissions")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _BadRequest(400, "permissions must be a list of permission names")
    try:
        chosen = parse_permissions(names)
    except ValueError as exc:
        raise _BadRequest(400, str(exc)) from None
    # In place: the Admin API reads this very set on every request.
    target.admin_permissions.clear()
    target.admin_permissions.update(chosen)


def _user_from(name: str, fields: Mapping[str, Any]) -> EmulatedUser:
    unknown = sorted(set(fields) - _USER_FIELDS)
    if unknown:
        raise _BadRequest(400, f"unknown field(s): {', '.join(unknown)}")
    outcome, delay = fields.get("outcome", "approve"), fields.get("delay", 0.0)
    factor, device = fields.get("factor", "duo_push"), fields.get("device_name")
    status = fields.get("status", "active")
    if not isinstance(outcome, str):
        raise _BadRequest(400, "outcome must be a string")
    if isinstance(delay, bool) or not isinstance(delay, int | float):
        raise _BadRequest(400, "delay must be a number of seconds")
    if not isinstance(factor, str) or not isinstance(device, str | None):
        raise _BadRequest(400, "factor and device_name must be strings")
    if not isinstance(status, str):
        raise _BadRequest(400, "status must be a string")
    try:
        user = EmulatedUser(name, parse_outcome(outcome), float(delay), factor, status=status)
        if device is not None:
            user.device_name = device
    except ValueError as exc:
        raise _BadRequest(400, str(exc)) from None
    return user


def _json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _BadRequest(400, "the body is not JSON") from None
    if not isinstance(document, dict):
        raise _BadRequest(400, "the body must be a JSON object")
    return document


def _last(text: str | None) -> int:
    if text is None:
        return DEFAULT_LAST
    if not text.isdigit() or not 1 <= int(text) <= 10_000:
        raise _BadRequest(400, "last must be a whole number 1..10000")
    return int(text)


def _allow(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise _BadRequest(405, "method not allowed", ", ".join(allowed))


def _ok(payload: Mapping[str, Any]) -> Response:
    return json_response(200, payload)


def _error(status: int, message: str, allow: str | None = None) -> Response:
    body = json.dumps({"error": message}).encode()
    # The message can quote the request (a fault's name): the log gets it printable, one line.
    reason = f"control API: {safe_text(message, limit=200)}"
    return Response(status, body, reason=reason, allow=allow)
