"""Fault injection: the ways a real Duo (or the path to it) misbehaves, switchable at runtime.

Handler threads read these attributes on every request, so a test can flip them on a running
emulator and the next request sees the change. Plain attribute reads and writes are atomic in
CPython, which is all the synchronisation this needs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Literal

# Duo's answer to a rate-limited request: elastic/integrations issue 11405 quotes it verbatim
# ({"code": 42901, "message": "Too Many Requests", "stat": "FAIL"}), and duo_client_java
# issue 3 shows the same code and message ("Duo error code (42901): Too Many Requests").
RATE_LIMITED_BODY: dict[str, object] = {
    "stat": "FAIL",
    "code": 42901,
    "message": "Too Many Requests",
}
# Duo's answer in the browser to an authorize request for such keys, quoted verbatim in
# duo_universal_csharp issues 14 and 45 (Duo's answer in 14: create a Web SDK application).
UNAUTHORIZED_OIDC_BODY: dict[str, object] = {
    "error": "unauthorized_request",
    "error_description": "Unauthorized OIDC request",
}
PORTAL_PATH = "/captive-portal"
# What a bare ``--fault NAME`` turns a fault to, for the faults that are not plain flags.
# 60 s: Duo's documented limits are per minute (duo_client_python issue 101, Duo's answer).
SWITCHED_ON: dict[str, object] = {"rate_limit": 60}


@dataclass
class Faults:
    latency: float = 0.0  # seconds added before answering each request
    status_5xx: bool | int = False  # True: 503; an int 500..599: that status
    non_json: bool = False  # JSON endpoints answer with an HTML body instead
    clock_skew: float = 0.0  # seconds added to every time the server reports
    wrong_ca: bool = False  # serve a leaf from a CA that is not in ca_bundle
    expired_cert: bool = False  # serve a leaf from the right CA that has expired
    # The id_token's nonce: "wrong" (not the one the client sent) or "missing" (no claim at
    # all). A relying party must refuse both; without them nothing proves that it checks.
    nonce_claim: Literal["ok", "wrong", "missing"] = "ok"
    # The keys are not a Web SDK application's, or its Universal Prompt is not activated:
    # authorize answers Duo's unauthorized_request (UNAUTHORIZED_OIDC_BODY) and no prompt.
    not_web_sdk: bool = False
    # A captive portal in the path: every request (but the control API's) is redirected to
    # a network login page (PORTAL_PATH), which answers 200 with HTML. Not Duo's behaviour:
    # a network device's, which a client must tell apart from Duo's answers.
    captive_portal: bool = False
    # Retry-After seconds; None = off. Every Duo endpoint answers 429 with Duo's 42901 body
    # (RATE_LIMITED_BODY), as Duo does when an integration exceeds its rate limit.
    rate_limit: int | None = None

    def forced_status(self) -> int | None:
        """The 5xx status to answer with, or None when the fault is off."""
        # bool is an int subclass: test it first so True means 503, not status 1.
        if isinstance(self.status_5xx, bool):
            return 503 if self.status_5xx else None
        if 500 <= self.status_5xx <= 599:
            return self.status_5xx
        raise ValueError(f"status_5xx must be a bool or 500..599, not {self.status_5xx!r}")

    def nonce_for_id_token(self, asked: str | None) -> str | None:
        """The nonce to put in an id_token when the client asked for ``asked``."""
        if self.nonce_claim == "missing":
            return None
        if self.nonce_claim == "wrong":
            # Same shape as a real one, so only a comparison can tell them apart.
            return secrets.token_hex(max(len(asked or "") // 2, 24))
        return asked

    def reset(self) -> None:
        """Turn every fault off (handy between tests sharing one emulator)."""
        fresh = Faults()
        for name in vars(fresh):
            setattr(self, name, getattr(fresh, name))
