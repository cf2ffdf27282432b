"""Duo's Admin API under ``/admin/``, on the emulator's host and port as on Duo's API host.

Every request is signed (:mod:`duoctl.emulator.admin.signature`) with the emulator's Admin
API credential, whose permissions decide what it may call (403 otherwise). Endpoints, with
the duo_client 5.7.0 admin.py method that calls each:

- ``GET /admin/v1/info/summary`` (``get_info_summary``): Grant read information
- ``GET /admin/v1/users[?username=]``, ``GET /admin/v1/users/USER_ID``
  (``get_users_by_name``, ``get_users``, ``get_user_by_id``): Grant read resource
- ``GET|POST /admin/v3/integrations``, ``GET|DELETE /admin/v3/integrations/IKEY``
  (``get_integrations``, ``create_integration``, ``get_integration``,
  ``delete_integration``): Grant applications
- ``GET /admin/v2/logs/authentication`` (``get_authentication_log(api_version=2)``):
  Grant read log
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl, unquote

from duoctl.emulator.admin import errors, permissions
from duoctl.emulator.admin.authlog import (
    AuthLog,
    AuthRecord,
    parse_query,
    user_key,
    whole_number,
)
from duoctl.emulator.admin.errors import AdminError
from duoctl.emulator.admin.integrations import Integrations
from duoctl.emulator.admin.signature import SignedRequest, duo_headers_of, verify
from duoctl.emulator.admin.users_json import user_json
from duoctl.emulator.endpoints import Decision, Response, json_response
from duoctl.emulator.faults import Faults
from duoctl.emulator.users import EmulatedUser, find_user

ADMIN_PREFIX = "/admin/"
SUMMARY_PATH = "/admin/v1/info/summary"
USERS_PATH = "/admin/v1/users"
INTEGRATIONS_PATH = "/admin/v3/integrations"
AUTH_LOG_PATH = "/admin/v2/logs/authentication"
DEFAULT_USERS_PAGE = 100  # Duo's default and largest ``limit`` for users (Admin API docs)
MAX_USERS_PAGE = 300
_JSON = "application/json"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def is_admin_path(path: str) -> bool:
    return path.startswith(ADMIN_PREFIX)


class AdminAPI:
    def __init__(
        self,
        *,
        ikey: str,
        skey: str,
        granted: Callable[[], Iterable[str]],
        users: MutableMapping[str, EmulatedUser],
        integrations: Integrations,
        log: AuthLog,
        faults: Faults,
        clock: Callable[[], float],
    ) -> None:
        self._ikey = ikey
        self._skey = skey
        self._granted = granted  # read on every request: a test may change it any time
        self._users = users
        self._integrations = integrations
        self._log = log
        self._faults = faults
        self._clock = clock
        self._hosts: frozenset[str] = frozenset()

    def bind_port(self, port: int, names: Iterable[str] = ()) -> None:
        """Learn the names a client may sign with: duo_client signs the host it was given,
        which is a bare name (``host="localhost", port=N``: it cannot connect to a
        ``name:port`` host) or, for other clients, ``name:port``."""
        bare = {"localhost", "127.0.0.1", "[::1]", "::1", *(n.lower() for n in names)}
        self._hosts = frozenset(bare | {f"{h}:{port}" for h in bare if h != "::1"})

    def _now(self) -> float:
        return self._clock() + self._faults.clock_skew

    # -- the authentication log -----------------------------------------------------------

    def record(self, decision: Decision, client_ip: str) -> None:
        """Log an authorize decision; a success is also the user's ``last_login``."""
        self._log.append(
            AuthRecord(
                txid=decision.txid,
                timestamp=decision.time or self._now(),
                username=decision.user,
                result=decision.result,
                reason=decision.reason,
                factor=decision.factor,
                application_key=decision.application,
                application_name=self._integrations.name_of(decision.application),
                access_ip=client_ip,
                device_name=decision.device,
            )
        )
        user = find_user(self._users, decision.user)
        if user is not None and decision.result == "success":
            user.last_login = decision.time or self._now()

    # -- requests --------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: Message, body: bytes, client_ip: str
    ) -> Response:
        """Answer one request to ``target`` (path and query); never raises for bad input."""
        try:
            return self._handle(method, target, headers, body)
        except AdminError as exc:
            return exc.response()

    def _handle(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        raw_path, _, query_string = target.partition("?")
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        is_json = content_type == _JSON
        # Where the parameters are, as duo_client puts them (client.py ``api_call``): a body
        # for POST/PUT/PATCH (urlencoded for version 2, JSON for 4 and 5), else the query.
        if method in _BODY_METHODS and not is_json:
            # Undecodable bytes become U+FFFD: the signature then fails, which is the answer.
            signed = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        else:
            signed = parse_qsl(query_string, keep_blank_values=True)
        verify(
            SignedRequest(
                method=method,
                path=raw_path,
                params=signed,
                body=body,
                date=headers.get("Date"),
                authorizations=headers.get_all("Authorization") or [],
                duo_headers=duo_headers_of(headers.items()),
            ),
            secret_for=lambda ikey: self._skey if ikey == self._ikey else None,
            hosts=self._hosts,
            now=self._now(),
        )
        params: dict[str, list[str]] = {}
        for name, value in signed:
            params.setdefault(name, []).append(value)
        if is_json and method in _BODY_METHODS:
            params.update(_json_params(body))
        return self._route(method, unquote(raw_path), params)

    def _route(self, method: str, path: str, params: Mapping[str, Sequence[str]]) -> Response:
        if path == SUMMARY_PATH:
            self._allow(method, "GET", permissions.READ_INFORMATION)
            return _ok(self._summary())
        if path == USERS_PATH:
            self._allow(method, "GET", permissions.READ_RESOURCE)
            return self._users_list(params)
        if path.startswith(USERS_PATH + "/"):
            self._allow(method, "GET", permissions.READ_RESOURCE)
            wanted = path[len(USERS_PATH) + 1 :]
            found = next(
                (u for u in list(self._users.values()) if user_key(u.name) == wanted), None
            )
            if found is None:
                raise errors.not_found("user")
            return _ok(user_json(found))
        if path == INTEGRATIONS_PATH:
            self._allow(method, "GET, POST", permissions.APPLICATIONS)
            if method == "POST":
                created = self._integrations.create({k: v[-1] for k, v in params.items() if v})
                return _ok(created.to_json())
            everything = [i.to_json() for i in self._integrations.all()]
            return _paged(everything, params, DEFAULT_USERS_PAGE, MAX_USERS_PAGE)
        if path.startswith(INTEGRATIONS_PATH + "/"):
            self._allow(method, "GET, DELETE", permissions.APPLICATIONS)
            key = path[len(INTEGRATIONS_PATH) + 1 :]
            if method == "DELETE":
                self._integrations.delete(key)
                return _ok("")
            return _ok(self._integrations.get(key).to_json())
        if path == AUTH_LOG_PATH:
            self._allow(method, "GET", permissions.READ_LOG)
            return _ok(self._log.page(parse_query(params, int(self._now() * 1000))))
        raise errors.not_found("Admin API endpoint")

    def _allow(self, method: str, allowed: str, permission: str) -> None:
        if method not in allowed.split(", "):
            raise errors.method_not_allowed(allowed)
        if permission not in set(self._granted()):
            raise errors.forbidden(permission)

    def _summary(self) -> dict[str, Any]:
        return {
            "admin_count": 1,
            "integration_count": len(self._integrations.all()),
            "telephony_credits_remaining": 0,
            "user_count": len(self._users),
            "user_pending_deletion_count": 0,
        }

    def _users_list(self, params: Mapping[str, Sequence[str]]) -> Response:
        username = params.get("username")
        if username:
            found = find_user(self._users, username[-1])
            return _ok([user_json(found)] if found is not None else [])
        everything = [user_json(u) for u in list(self._users.values())]
        return _paged(everything, params, DEFAULT_USERS_PAGE, MAX_USERS_PAGE)


def _json_params(body: bytes) -> dict[str, list[str]]:
    """A JSON body's parameters, as lists of strings. duo_client sends strings, and for
    some fields (``sso``) objects (duo_client tests/admin/test_integration.py): those are
    kept as JSON text, a null as absent; each endpoint checks the fields it knows."""
    if not body.strip():
        return {}
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid_parameter("body", "is not JSON") from None
    if not isinstance(document, dict):
        raise errors.invalid_parameter("body", "must be a JSON object")
    params: dict[str, list[str]] = {}
    for name, value in document.items():
        if value is None:
            continue
        if isinstance(value, bool):
            params[name] = ["true" if value else "false"]
        elif isinstance(value, str | int | float):
            params[name] = [str(value)]
        else:
            params[name] = [json.dumps(value)]
    return params


def _paged(
    items: list[Any], params: Mapping[str, Sequence[str]], default: int, largest: int
) -> Response:
    """Offset paging as Duo's v1 lists do: ``metadata.next_offset`` while more remain."""
    limit = _bounded(params, "limit", default, 1, largest)
    offset = _bounded(params, "offset", 0, 0, max(len(items), 0))
    page = items[offset : offset + limit]
    metadata: dict[str, Any] = {"total_objects": len(items)}
    if offset + limit < len(items):
        metadata["next_offset"] = offset + limit
    if offset > 0:
        metadata["prev_offset"] = max(offset - limit, 0)
    return json_response(200, {"stat": "OK", "response": page, "metadata": metadata})


def _bounded(
    params: Mapping[str, Sequence[str]], name: str, default: int, low: int, high: int
) -> int:
    values = params.get(name)
    if not values:
        return default
    number = whole_number(values[-1])
    if number is None:
        raise errors.invalid_parameter(name, "must be a whole number")
    # Duo clamps an over-large limit rather than refusing it (unverified).
    return min(max(number, low), high)


def _ok(response: Any) -> Response:
    return json_response(200, {"stat": "OK", "response": response})
