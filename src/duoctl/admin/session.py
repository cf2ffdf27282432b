"""The Admin API calls duoctl makes, typed, each bounded in time and retried on 429.

Build one with :func:`open_session` (the stored credential) or :class:`AdminSession` (a
credential at hand, e.g. the one `admin login` is about to store)::

    session = open_session(config_path, secrets, notify=streams.status)
    users = session.users_by_name("alice")

Every method raises duoctl's errors (:mod:`duoctl.admin.failures`): rejected credential or
Date (8), unreachable or TLS (7), timed out (9), a missing permission (14, naming it),
rate limited after the retries (7).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from duoctl.admin import permissions
from duoctl.admin.client import (
    DEFAULT_ADMIN_TIMEOUT,
    WEB_SDK_TYPE,
    AdminApi,
    AdminApiFactory,
    official_admin_api,
)
from duoctl.admin.failures import classify, is_rate_limited
from duoctl.config.model import AdminCredential
from duoctl.deadline import call_with_deadline
from duoctl.errors import DuoctlError, DuoNotFound, DuoProtocolError, DuoTimeout
from duoctl.secrets import SecretStore

_T = TypeVar("_T")
# Beyond duo_client's own socket timeout: a server that trickles bytes resets that timeout
# at every read, so the whole call gets a deadline too.
_DEADLINE_MARGIN = 5.0


class RetryPolicy(NamedTuple):
    """How 429 answers are retried: exponential waits from ``first_wait`` seconds, or what
    Retry-After asks if longer; at most ``attempts`` calls and ``budget`` seconds of waiting.

    Duo answers a client over its rate limit with 429 and code 42901 "Too Many Requests"
    (elastic/integrations issue 11405 quotes Duo's answer; duo_client 5.7.0 client.py
    `_RATE_LIMITED_RESP_CODE`). Duo's Admin API probably sends no Retry-After
    (elastic/integrations pull request 11441, unverified), so the exponential waits are what
    normally applies; the header is honoured when present. duo_client 5.7.0 itself ignores
    it and backs off 1, 2, 4 ... 32 s (client.py `_make_request`), silently.
    """

    attempts: int = 4
    first_wait: float = 1.0
    budget: float = 30.0


DEFAULT_RETRY = RetryPolicy()


class WebSdkIntegration(NamedTuple):
    """A created Web SDK application: its Client ID (integration key) and Client Secret.

    ``repr`` leaves the secret out: a traceback or a debug print must not show it.
    """

    integration_key: str
    secret: str
    name: str

    def __repr__(self) -> str:
        return f"WebSdkIntegration(integration_key={self.integration_key!r}, name={self.name!r})"


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Retry-After as seconds: delay-seconds or an HTTP date (RFC 9110 section 10.2.3)."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


class AdminSession:
    """The Admin API of one credential; see the module's docstring."""

    def __init__(
        self,
        api: AdminApi,
        credential: AdminCredential,
        *,
        notify: Callable[[str], None],
        timeout: float = DEFAULT_ADMIN_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        policy: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self.api = api
        self.credential = credential
        self.host = credential.host
        self._notify = notify
        self._timeout = timeout
        self._sleep = sleep
        self._clock = clock
        self._policy = policy

    def call(self, action: str, permission: str | None, call: Callable[[], _T]) -> _T:
        """Run ``call`` (one duo_client method) bounded in time, retrying 429 answers."""
        waited = 0.0
        for attempt in range(1, self._policy.attempts + 1):
            try:
                return call_with_deadline(
                    call,
                    self._timeout + _DEADLINE_MARGIN,
                    lambda: DuoTimeout(
                        f"{self.host} did not finish {action} within "
                        f"{self._timeout + _DEADLINE_MARGIN:.0f} s",
                        hint="check the network path to Duo, then try again",
                    ),
                    name="duo-admin",
                )
            except DuoctlError:
                raise
            except Exception as exc:
                if not is_rate_limited(exc) or attempt == self._policy.attempts:
                    raise classify(
                        exc, host=self.host, action=action, permission=permission
                    ) from None
                wait = self._wait(attempt)
                if waited + wait > self._policy.budget:
                    raise classify(
                        exc, host=self.host, action=action, permission=permission
                    ) from None
                self._notify(
                    f"Duo rate-limited {action} (HTTP 429); waiting {wait:.0f} s before "
                    f"attempt {attempt + 1} of {self._policy.attempts}"
                )
                self._sleep(wait)
                waited += wait
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait(self, attempt: int) -> float:
        exponential = self._policy.first_wait * float(2 ** (attempt - 1))
        asked = retry_after_seconds(self.api.retry_after, self._clock())
        return max(exponential, asked) if asked is not None else exponential

    # The typed calls. Paths and shapes: duo_client 5.7.0 admin.py, named in each.

    def summary(self) -> dict[str, Any]:
        """`get_info_summary`: GET /admin/v1/info/summary, the cheapest read."""
        found = self.call(
            "the account summary", permissions.READ_INFORMATION, self.api.get_info_summary
        )
        return _expect_dict(found, "the account summary")

    def users_by_name(self, username: str) -> list[dict[str, Any]]:
        """`get_users_by_name`: GET /admin/v1/users?username= (0 or 1 user)."""
        found = self.call(
            f"the lookup of user {username!r}",
            permissions.READ_RESOURCE,
            lambda: self.api.get_users_by_name(username),
        )
        if not isinstance(found, list) or not all(isinstance(u, dict) for u in found):
            raise DuoProtocolError(f"{self.host} answered the user lookup with no user list")
        return found

    def authentication_log(
        self,
        *,
        mintime_ms: int,
        maxtime_ms: int,
        limit: int | None = None,
        next_offset: str | Sequence[str] | None = None,
        users: Sequence[str] | None = None,
        applications: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """`get_authentication_log(api_version=2)`: GET /admin/v2/logs/authentication.

        ``users`` and ``applications`` are keys (a user's ``user_id``, an integration key),
        not names; ``next_offset`` is the previous page's ``metadata.next_offset`` as given.
        Returns Duo's ``{"authlogs": [...], "metadata": {"next_offset": ...}}``.
        """
        params: dict[str, Any] = {"mintime": mintime_ms, "maxtime": maxtime_ms}
        if limit is not None:
            params["limit"] = str(limit)
        if next_offset is not None:
            params["next_offset"] = (
                next_offset if isinstance(next_offset, str) else ",".join(next_offset)
            )
        if users:
            params["users"] = list(users)
        if applications:
            params["applications"] = list(applications)
        found = self.call(
            "the authentication log",
            permissions.READ_LOG,
            lambda: self.api.get_authentication_log(api_version=2, **params),
        )
        return _expect_dict(found, "the authentication log")

    def create_web_sdk_integration(self, name: str) -> WebSdkIntegration:
        """`create_integration(name, "websdk")`: POST /admin/v3/integrations."""
        found = self.call(
            f"the creation of Web SDK application {name!r}",
            permissions.APPLICATIONS,
            lambda: self.api.create_integration(name=name, integration_type=WEB_SDK_TYPE),
        )
        created = _expect_dict(found, "the new integration")
        ikey, secret = created.get("integration_key"), created.get("secret_key")
        if not isinstance(ikey, str) or not isinstance(secret, str):
            raise DuoProtocolError(
                f"{self.host} created an application but its answer lacks the integration key "
                "or secret key",
                hint=f"look for {name!r} in the Duo Admin Panel's Applications and delete it",
            )
        return WebSdkIntegration(ikey, secret, str(created.get("name", name)))

    def get_integration(self, integration_key: str) -> dict[str, Any]:
        """`get_integration`: GET /admin/v3/integrations/IKEY."""
        found = self.call(
            f"the lookup of application {integration_key}",
            permissions.APPLICATIONS,
            lambda: self.api.get_integration(integration_key),
        )
        return _expect_dict(found, "the integration")

    def delete_integration(self, integration_key: str) -> bool:
        """`delete_integration`: DELETE /admin/v3/integrations/IKEY. False: already gone."""
        try:
            self.call(
                f"the deletion of application {integration_key}",
                permissions.APPLICATIONS,
                lambda: self.api.delete_integration(integration_key),
            )
        except DuoNotFound:
            return False
        return True


def _expect_dict(found: object, what: str) -> dict[str, Any]:
    if not isinstance(found, dict):
        raise DuoProtocolError(f"Duo answered with something that is not {what}")
    return found


def open_session(
    config_path: Path,
    secrets: SecretStore,
    *,
    notify: Callable[[str], None],
    factory: AdminApiFactory | None = None,
    timeout: float = DEFAULT_ADMIN_TIMEOUT,
) -> AdminSession:
    """A session with the stored credential (exit 4 or 5 when there is none)."""
    from duoctl.admin.credentials import load

    credential, skey = load(config_path, secrets)
    return session_for(credential, skey, notify=notify, factory=factory, timeout=timeout)


def session_for(
    credential: AdminCredential,
    skey: str,
    *,
    notify: Callable[[str], None],
    factory: AdminApiFactory | None = None,
    timeout: float = DEFAULT_ADMIN_TIMEOUT,
) -> AdminSession:
    build = factory if factory is not None else official_admin_api
    api = build(credential, skey, timeout=timeout)
    return AdminSession(api, credential, notify=notify, timeout=timeout)
