"""Integrations (Duo's "applications") created through the Admin API, live at once: their
integration key and secret key are a Client ID and secret the OIDC endpoints accept.

Shape: duo_client 5.7.0 admin.py, module docstring "INTEGRATIONS" (``integration_key``,
``secret_key``, ``name``, ``type``, ``adminapi_*`` flags, ``enroll_policy``, ...).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from duoctl.emulator.admin import errors

# The Web SDK (Universal Prompt, OIDC) application type, as Duo's Admin API docs name it in
# their list of integration types (https://duo.com/docs/adminapi#integrations).
WEB_SDK_TYPE = "websdk"
MAX_NAME = 1024  # unverified: Duo's limit is not documented; long enough for any real name
_FLAGS = (
    "adminapi_admins",
    "adminapi_info",
    "adminapi_integrations",
    "adminapi_read_log",
    "adminapi_read_resource",
    "adminapi_settings",
    "adminapi_write_resource",
    "self_service_allowed",
)
_POLICIES = {"enroll_policy": ("enroll", "allow", "deny")}
_NORMALIZATION = ("simple", "none")


@dataclass
class Integration:
    integration_key: str
    secret_key: str
    name: str
    type: str
    greeting: str = ""
    notes: str = ""
    enroll_policy: str = "enroll"
    username_normalization_policy: str = "none"
    flags: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "integration_key": self.integration_key,
            "secret_key": self.secret_key,
            "name": self.name,
            "type": self.type,
            "greeting": self.greeting,
            "notes": self.notes,
            "enroll_policy": self.enroll_policy,
            "username_normalization_policy": self.username_normalization_policy,
            **{flag: self.flags.get(flag, 0) for flag in _FLAGS},
        }


class Integrations:
    """The integrations the Admin API manages, sharing ``clients`` (Client ID -> secret)
    with the OIDC endpoints, so a created one is usable on the very next request."""

    def __init__(
        self,
        clients: MutableMapping[str, str],
        new_key: Callable[[], str],
        new_secret: Callable[[], str],
    ) -> None:
        self._clients = clients
        self._new_key = new_key
        self._new_secret = new_secret
        self._lock = threading.Lock()
        self._by_key: dict[str, Integration] = {}

    def register(self, integration: Integration) -> None:
        """Known at start (the emulator's own applications), or created through the API."""
        with self._lock:
            self._by_key[integration.integration_key] = integration
            if integration.type == WEB_SDK_TYPE:
                self._clients[integration.integration_key] = integration.secret_key

    def name_of(self, key: str) -> str:
        found = self._by_key.get(key)
        return found.name if found is not None else ""

    def get(self, key: str) -> Integration:
        found = self._by_key.get(key)
        if found is None:
            raise errors.not_found("integration")
        return found

    def delete(self, key: str) -> None:
        with self._lock:
            if self._by_key.pop(key, None) is None:
                raise errors.not_found("integration")
            self._clients.pop(key, None)

    def all(self) -> list[Integration]:
        with self._lock:
            return list(self._by_key.values())

    def create(self, params: Mapping[str, str]) -> Integration:
        """Validate ``params`` (``name`` and ``type`` required), create and register."""
        name = params.get("name")
        if not name or not name.strip():
            raise errors.invalid_parameter("name", "is required")
        if len(name) > MAX_NAME:
            raise errors.invalid_parameter("name", f"is over {MAX_NAME} characters")
        kind = params.get("type")
        if not kind:
            raise errors.invalid_parameter("type", "is required")
        if kind != WEB_SDK_TYPE:
            # Duo knows many more types; the emulator serves only Web SDK applications.
            raise errors.invalid_parameter("type", f"the emulator creates {WEB_SDK_TYPE} only")
        for key, choices in _POLICIES.items():
            if key in params and params[key] not in choices:
                raise errors.invalid_parameter(key, f"must be one of {', '.join(choices)}")
        normalization = params.get("username_normalization_policy", "none")
        if normalization not in _NORMALIZATION:
            raise errors.invalid_parameter("username_normalization_policy", "simple or none")
        flags: dict[str, int] = {}
        for flag in _FLAGS:
            if flag in params:
                if params[flag] not in {"0", "1"}:
                    raise errors.invalid_parameter(flag, "must be 0 or 1")
                flags[flag] = int(params[flag])
        integration = Integration(
            integration_key=self._new_key(),
            secret_key=self._new_secret(),
            name=name,
            type=kind,
            greeting=params.get("greeting", ""),
            notes=params.get("notes", ""),
            enroll_policy=params.get("enroll_policy", "enroll"),
            username_normalization_policy=normalization,
            flags=flags,
        )
        self.register(integration)
        return integration
