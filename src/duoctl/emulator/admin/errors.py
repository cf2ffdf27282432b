"""Duo's Admin API error answers: ``{"stat": "FAIL", "code", "message", "message_detail"}``.

The codes and texts are Duo's where a source shows them (docs/emulator-fidelity.md, "Admin
API"); the five-digit code is the HTTP status followed by two digits, as in all of Duo's
APIs. ``reason`` says which check failed, for the emulator's own log only: Duo's answers
stay as vague as Duo's.
"""

from __future__ import annotations

from typing import Any

from duoctl.emulator.endpoints import Response, json_response


class AdminError(Exception):
    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        detail: str | None = None,
        reason: str | None = None,
        headers: tuple[tuple[str, str], ...] = (),
        allow: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.reason = reason
        self.headers = headers
        self.allow = allow

    def response(self) -> Response:
        body: dict[str, Any] = {"stat": "FAIL", "code": self.code, "message": self.message}
        if self.detail is not None:
            body["message_detail"] = self.detail
        plain = json_response(self.status, body, self.reason or self.message)
        return Response(
            plain.status,
            plain.body,
            reason=plain.reason,
            headers=self.headers,
            allow=self.allow,
        )


# 401: the request's credentials (Authorization and Date headers).
def missing_credentials(reason: str) -> AdminError:
    return AdminError(401, 40101, "Missing request credentials", reason=reason)


def invalid_identity(reason: str) -> AdminError:
    return AdminError(401, 40102, "Invalid identity in request credentials", reason=reason)


def invalid_signature(reason: str) -> AdminError:
    return AdminError(401, 40103, "Invalid signature in request credentials", reason=reason)


def missing_timestamp() -> AdminError:
    return AdminError(401, 40104, "Missing request timestamp", reason="no Date header")


def bad_timestamp(reason: str) -> AdminError:
    return AdminError(401, 40105, "Bad request timestamp", reason=reason)


def forbidden(permission: str) -> AdminError:
    return AdminError(
        403, 40301, "Access forbidden", reason=f"the admin credential lacks {permission!r}"
    )


def invalid_parameter(name: str, why: str) -> AdminError:
    """400 for a missing or malformed parameter; ``message_detail`` names the parameter."""
    return AdminError(
        400, 40002, "Invalid request parameters", detail=name, reason=f"{name}: {why}"
    )


def not_found(what: str) -> AdminError:
    return AdminError(404, 40401, "Resource not found", reason=f"no such {what}")


def method_not_allowed(allowed: str) -> AdminError:
    return AdminError(405, 40501, "Method not allowed", allow=allowed)
