"""A fake duo_client.Admin for unit tests: scripted answers, and a record of the calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from duoctl.config.model import AdminCredential

CREDENTIAL = AdminCredential(host="api-1234abcd.duosecurity.com", ikey="DIADMIN0000000000001")
ADMIN_SKEY = "AdminSkey0AdminSkey0AdminSkey0AdminSkey0"
assert len(ADMIN_SKEY) == 40


def duo_failure(status: int, code: int, message: str, detail: str | None = None) -> RuntimeError:
    """What duo_client raises for a non-200 answer (client.py
    `parse_json_response_and_metadata`): RuntimeError with status, reason and raw data."""
    body: dict[str, Any] = {"stat": "FAIL", "code": code, "message": message}
    if detail is not None:
        body["message_detail"] = detail
    error = RuntimeError(f"Received {status} {message}")
    error.status = status  # type: ignore[attr-defined]
    error.reason = "reason"  # type: ignore[attr-defined]
    # duo_client's closure sees `data` after it was parsed: a dict, as here.
    error.data = body  # type: ignore[attr-defined]
    return error


class FakeAdmin:
    """Each method pops its next scripted outcome: a value to return or an exception."""

    def __init__(self) -> None:
        self.retry_after: str | None = None
        self.script: dict[str, list[Any]] = {}
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.retry_after_script: list[str | None] = []

    def answer(self, method: str, *outcomes: Any) -> None:
        self.script.setdefault(method, []).extend(outcomes)

    def _next(self, method: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((method, args, kwargs))
        if self.retry_after_script:
            self.retry_after = self.retry_after_script.pop(0)
        queue = self.script.get(method, [])
        outcome = queue.pop(0) if len(queue) > 1 else (queue[0] if queue else {})
        if isinstance(outcome, BaseException):
            raise outcome
        if callable(outcome):
            return outcome()
        return outcome

    def get_info_summary(self) -> Any:
        return self._next("get_info_summary")

    def get_users_by_name(self, username: str) -> Any:
        return self._next("get_users_by_name", username)

    def get_authentication_log(self, api_version: int = 1, **kwargs: Any) -> Any:
        return self._next("get_authentication_log", api_version, **kwargs)

    def create_integration(self, name: str, integration_type: str) -> Any:
        return self._next("create_integration", name=name, integration_type=integration_type)

    def get_integration(self, integration_key: str) -> Any:
        return self._next("get_integration", integration_key)

    def delete_integration(self, integration_key: str) -> Any:
        return self._next("delete_integration", integration_key)


def factory_for(fake: FakeAdmin) -> Callable[..., FakeAdmin]:
    def build(credential: AdminCredential, skey: str, *, timeout: float) -> FakeAdmin:
        return fake

    return build
