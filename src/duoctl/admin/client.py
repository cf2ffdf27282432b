"""The seam to Duo's Admin API: ``duo_client.Admin``, built here and nowhere else.

``duo_client`` is imported on use only: `provider list` and the other commands that never
call the Admin API must not pay for it (a test in tests/foundation checks this).
"""

from __future__ import annotations

from typing import Any, Protocol

from duoctl.config.model import AdminCredential
from duoctl.endpoint import split_endpoint

DEFAULT_ADMIN_TIMEOUT = 15.0  # seconds for one call: connect, send, answer
# Duo's Admin API type for a Web SDK application (the Universal Prompt's OIDC client):
# "websdk", in the list of integration types of https://duo.com/docs/adminapi#integrations
# ("Web SDK"); duo_client 5.7.0 admin.py `create_integration` sends it as `type` unchanged.
WEB_SDK_TYPE = "websdk"


class AdminApi(Protocol):
    """The subset of ``duo_client.Admin`` duoctl calls (a fake implements it in unit tests).

    ``retry_after`` is the Retry-After header of the last answer (duo_client's RuntimeError
    does not carry headers).
    """

    retry_after: str | None

    def get_info_summary(self) -> Any: ...

    def get_users_by_name(self, username: str) -> Any: ...

    def get_authentication_log(self, api_version: int = 1, **kwargs: Any) -> Any: ...

    def create_integration(self, name: str, integration_type: str) -> Any: ...

    def get_integration(self, integration_key: str) -> Any: ...

    def delete_integration(self, integration_key: str) -> Any: ...


class AdminApiFactory(Protocol):
    def __call__(self, credential: AdminCredential, skey: str, *, timeout: float) -> AdminApi: ...


def official_admin_api(credential: AdminCredential, skey: str, *, timeout: float) -> AdminApi:
    """``duo_client.Admin`` for this credential.

    - The port goes in ``port=``: duo_client connects to ``host`` and ``port`` (443 unless
      given; client.py `_connect`) and signs ``host`` alone (client.py `canonicalize`).
    - ``ca_certs`` only when the config names a bundle; otherwise duo_client's pinned Duo
      CA bundle (client.py `DEFAULT_CA_CERTS`). Verification is never turned off.
    - No proxy: duo_client opens its own ``http.client`` connection and uses a proxy only
      through ``set_proxy`` (client.py `_connect`), never HTTPS_PROXY; the platform
      supports no proxy for Duo ("a direct connection to Duo"), so none is set.
    - Its own 429 back-off (1 to 32 s of silent sleeps, client.py `_make_request`) is
      switched off: duoctl retries itself, honouring Retry-After and saying so on stderr.
    """
    import warnings

    import duo_client

    # duo_client 5.7.0 https_wrapper.py builds its context with ssl.PROTOCOL_TLS, deprecated
    # since Python 3.10: its warning says nothing an operator can act on.
    warnings.filterwarnings(
        "ignore", category=DeprecationWarning, module="duo_client.https_wrapper"
    )

    class _Admin(duo_client.Admin):  # type: ignore[misc]
        retry_after: str | None = None

        def api_call(self, *args: Any, **kwargs: Any) -> Any:
            response, data = super().api_call(*args, **kwargs)
            self.retry_after = response.getheader("Retry-After")
            return response, data

    host, port = split_endpoint(credential.host)
    kwargs: dict[str, Any] = {"timeout": timeout}
    if port != 443:
        kwargs["port"] = port
    if credential.ca_bundle is not None:
        kwargs["ca_certs"] = credential.ca_bundle
    admin = _Admin(credential.ikey, skey, host, **kwargs)
    # client.py `_make_request` retries while its wait (1 s, doubling) is at most this.
    admin._MAX_BACKOFF_WAIT_SECS = 0
    api: AdminApi = admin
    return api
