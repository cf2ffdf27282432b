"""The typed view of a config file, and the checks that turn raw TOML data into it."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from duoctl.errors import ConfigError, ValidationError
from duoctl.validation import validate_client_id, validate_endpoint, validate_name

SCHEMA_VERSION = 1
PROVIDER_TYPE_DUO = "duo"

PROVIDER_KEYS = ("type", "enabled", "endpoint", "client_id", "ca_bundle")
EXTERNAL_MFA_KEYS = ("enabled", "failmode")
# What the platform does with a login while Duo cannot be reached (issue 15, row 7).
FAILMODE_CHOICES = ("closed", "open")
SECRETS_KEYS = ("backend", "systemd_creds_key", "migrating_from", "migrating_to")
AUDIT_KEYS = ("syslog", "syslog_socket")
PLATFORM_KEYS = ("url", "ca_bundle")
ADMIN_KEYS = ("host", "ikey", "ca_bundle")
TOP_LEVEL_KEYS = (
    "schema_version",
    "external_mfa",
    "secrets",
    "audit",
    "platform",
    "admin",
    "providers",
)
# Kept here rather than imported from duoctl.secrets: the model is on every start-up path.
SECRET_BACKEND_CHOICES = ("auto", "keyring", "systemd-creds", "encrypted-file")
# What `systemd-creds encrypt --with-key=` accepts for a credential duoctl can decrypt later.
SYSTEMD_CREDS_KEYS = ("host", "tpm2", "host+tpm2", "auto")


class AdminCredential(NamedTuple):
    """The [admin] table: where the Admin API is and which key signs; the secret key lives
    in the secret store (duoctl.admin.credentials)."""

    host: str
    ikey: str
    ca_bundle: str | None = None


# NamedTuples rather than frozen dataclasses: equally immutable, and about ten times cheaper
# to define, which every command pays at start-up (see bench/cold_start.py).
class Provider(NamedTuple):
    name: str
    endpoint: str
    client_id: str
    enabled: bool = True
    ca_bundle: str | None = None
    type: str = PROVIDER_TYPE_DUO

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "enabled": self.enabled,
            "endpoint": self.endpoint,
            "client_id": self.client_id,
            "ca_bundle": self.ca_bundle,
        }


_NO_PROVIDERS: Mapping[str, Provider] = MappingProxyType({})


class Config(NamedTuple):
    path: Path
    exists: bool
    schema_version: int = SCHEMA_VERSION
    external_mfa_enabled: bool = False
    external_mfa_failmode: str | None = None  # "closed" | "open"; None: never chosen
    providers: Mapping[str, Provider] = _NO_PROVIDERS
    unknown_top_level: tuple[str, ...] = ()
    secrets_backend: str = "auto"
    systemd_creds_key: str = "host"
    # Set while `secrets migrate` deletes the copies left in the old backend.
    secrets_migrating_from: str | None = None
    # Set while `secrets migrate` copies into a new backend, before it switches to it.
    secrets_migrating_to: str | None = None
    audit_syslog: bool = False  # [audit] syslog: copy each record to syslog/journald
    audit_syslog_socket: str | None = None  # None: /dev/log
    platform_url: str | None = None  # [platform] url: the "URL Application" parameter
    platform_ca_bundle: str | None = None  # the CA that signs its certificate, if private
    admin: AdminCredential | None = None  # [admin]: the Admin API credential, its secret aside

    def enabled_providers(self) -> list[Provider]:
        return [p for p in self.providers.values() if p.enabled]

    def provider(self, name: str) -> Provider:
        from duoctl.errors import ProviderNotFound

        try:
            return self.providers[name]
        except KeyError:
            known = ", ".join(self.providers) or "none configured"
            raise ProviderNotFound(
                f"no provider named {name!r} in {self.path}",
                hint=f"known providers: {known}",
            ) from None


def _where(path: Path, key: str) -> str:
    return f"{path}: {key}"


def _type_name(value: object) -> str:
    return {
        bool: "boolean",
        int: "integer",
        float: "float",
        str: "string",
        list: "array",
        dict: "table",
    }.get(type(value), type(value).__name__)


def _expect(path: Path, key: str, value: object, kind: type, label: str) -> None:
    # bool is an int subclass: a ``true`` must not pass as a schema version.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(
            f"{_where(path, key)} must be {label}, got {_type_name(value)} {value!r}",
            hint=f"edit {path} and fix that key",
        )


def _reject_unknown(
    path: Path, section: str, data: Mapping[str, Any], allowed: tuple[str, ...]
) -> None:
    for key in data:
        if key not in allowed:
            import difflib  # only on this error path

            close = difflib.get_close_matches(key, allowed, n=1)
            suggestion = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{_where(path, section + '.' + key)} is not a known key{suggestion}",
                hint=f"allowed keys in [{section}]: {', '.join(allowed)}",
            )


def _choice(path: Path, key: str, value: object, choices: tuple[str, ...]) -> str:
    _expect(path, key, value, str, "a string")
    assert isinstance(value, str)
    if value not in choices:
        raise ConfigError(
            f"{_where(path, key)} must be one of {', '.join(repr(c) for c in choices)}, "
            f"got {value!r}",
            hint=f"edit {path} and fix that key",
        )
    return value


def _strings(
    path: Path, section: str, raw: dict[str, Any], required: tuple[str, ...]
) -> str | None:
    """Check that the ``required`` keys are strings; return the optional ``ca_bundle``."""
    for key in required:
        if key not in raw:
            raise ConfigError(f"{_where(path, section)} is missing {key!r}")
        _expect(path, f"{section}.{key}", raw[key], str, "a string")
    ca_bundle = raw.get("ca_bundle")
    if ca_bundle is not None:
        _expect(path, f"{section}.ca_bundle", ca_bundle, str, "a string (a file path)")
    return ca_bundle


_PROVIDER_KEY_SET = frozenset(PROVIDER_KEYS)


def _provider_from(path: Path, name: str, raw: object) -> Provider:
    return _usual_provider(name, raw) or _checked_provider(path, name, raw)


def _usual_provider(name: str, raw: object) -> Provider | None:
    """``raw`` as a Provider when it passes every check of :func:`_checked_provider` by
    exact types and known keys; None sends it through those checks, which name what is wrong.

    The same checks, without the messages built for each key on the way: with validation's
    cached patterns, a check of 10,000 providers falls from ~45 ms to ~30 ms.
    """
    if type(raw) is not dict or not raw.keys() <= _PROVIDER_KEY_SET:
        return None
    enabled = raw.get("enabled", True)
    endpoint = raw.get("endpoint")
    client_id = raw.get("client_id")
    ca_bundle = raw.get("ca_bundle")
    if (
        raw.get("type", PROVIDER_TYPE_DUO) != PROVIDER_TYPE_DUO
        or type(enabled) is not bool
        or type(endpoint) is not str
        or type(client_id) is not str
        or (ca_bundle is not None and type(ca_bundle) is not str)
    ):
        return None
    try:
        return Provider(
            name=validate_name(name),
            endpoint=validate_endpoint(endpoint),
            client_id=validate_client_id(client_id),
            enabled=enabled,
            ca_bundle=ca_bundle,
        )
    except ValidationError:
        return None


def _checked_provider(path: Path, name: str, raw: object) -> Provider:
    section = f"providers.{name}"
    _expect(path, section, raw, dict, "a table")
    assert isinstance(raw, dict)
    try:
        validate_name(name)
    except ValidationError as exc:
        raise ConfigError(f"{_where(path, section)}: {exc.message}") from None
    _reject_unknown(path, section, raw, PROVIDER_KEYS)
    ptype = raw.get("type", PROVIDER_TYPE_DUO)
    _expect(path, f"{section}.type", ptype, str, "a string")
    if ptype != PROVIDER_TYPE_DUO:
        raise ConfigError(f'{_where(path, section + ".type")} must be "duo", got {ptype!r}')
    enabled = raw.get("enabled", True)
    _expect(path, f"{section}.enabled", enabled, bool, "a boolean (true/false)")
    ca_bundle = _strings(path, section, raw, ("endpoint", "client_id"))
    try:
        endpoint = validate_endpoint(raw["endpoint"])
        client_id = validate_client_id(raw["client_id"])
    except ValidationError as exc:
        raise ConfigError(f"{_where(path, section)}: {exc.message}") from None
    return Provider(
        name=name,
        endpoint=endpoint,
        client_id=client_id,
        enabled=enabled,
        ca_bundle=ca_bundle,
    )


def config_from_data(path: Path, data: Mapping[str, Any]) -> Config:
    """Check types and values of parsed TOML; raise ConfigError naming the bad key."""
    version = data.get("schema_version", SCHEMA_VERSION)
    _expect(path, "schema_version", version, int, "an integer")
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"{path} has schema_version {version}, newer than this duoctl understands "
            f"({SCHEMA_VERSION})",
            hint="upgrade duoctl",
        )
    if version < 1:
        raise ConfigError(f"{_where(path, 'schema_version')} must be >= 1, got {version}")
    mfa = data.get("external_mfa", {})
    _expect(path, "external_mfa", mfa, dict, "a table")
    _reject_unknown(path, "external_mfa", mfa, EXTERNAL_MFA_KEYS)
    mfa_enabled = mfa.get("enabled", False)
    _expect(path, "external_mfa.enabled", mfa_enabled, bool, "a boolean (true/false)")
    failmode = mfa.get("failmode")
    if failmode is not None:
        _choice(path, "external_mfa.failmode", failmode, FAILMODE_CHOICES)
    secrets = data.get("secrets", {})
    _expect(path, "secrets", secrets, dict, "a table")
    _reject_unknown(path, "secrets", secrets, SECRETS_KEYS)
    backend = _choice(
        path, "secrets.backend", secrets.get("backend", "auto"), SECRET_BACKEND_CHOICES
    )
    creds_key = _choice(
        path,
        "secrets.systemd_creds_key",
        secrets.get("systemd_creds_key", "host"),
        SYSTEMD_CREDS_KEYS,
    )
    migrating_from = secrets.get("migrating_from")
    if migrating_from is not None:
        _choice(path, "secrets.migrating_from", migrating_from, SECRET_BACKEND_CHOICES[1:])
    migrating_to = secrets.get("migrating_to")
    if migrating_to is not None:
        _choice(path, "secrets.migrating_to", migrating_to, SECRET_BACKEND_CHOICES[1:])
    audit_syslog, audit_socket = _audit_from(path, data.get("audit", {}))
    platform_url, platform_ca = _platform_from(path, data.get("platform", {}))
    admin = _admin_from(path, data.get("admin")) if "admin" in data else None
    raw_providers = data.get("providers", {})
    _expect(path, "providers", raw_providers, dict, "a table of [providers.NAME] tables")
    providers = {name: _provider_from(path, name, raw) for name, raw in raw_providers.items()}
    unknown = tuple(key for key in data if key not in TOP_LEVEL_KEYS)
    return Config(
        path=path,
        exists=True,
        schema_version=version,
        external_mfa_enabled=mfa_enabled,
        external_mfa_failmode=failmode,
        providers=providers,
        unknown_top_level=unknown,
        secrets_backend=backend,
        systemd_creds_key=creds_key,
        secrets_migrating_from=migrating_from,
        secrets_migrating_to=migrating_to,
        audit_syslog=audit_syslog,
        audit_syslog_socket=audit_socket,
        platform_url=platform_url,
        platform_ca_bundle=platform_ca,
        admin=admin,
    )


def config_after_change(
    before: Config, data: Mapping[str, Any], touched: Collection[str]
) -> Config:
    """What :func:`config_from_data` returns for ``data``, an edit of ``before``'s data that
    changed only the ``touched`` providers (and any top-level table).

    The providers left alone were checked when ``before`` was loaded and are reused: on
    10,000 providers checking them all again costs ~45 ms a write.
    """
    raw_providers = data.get("providers", {})
    _expect(before.path, "providers", raw_providers, dict, "a table of [providers.NAME] tables")
    head = config_from_data(before.path, {**data, "providers": {}})
    providers = {
        name: (
            before.providers[name]
            if name in before.providers and name not in touched
            else _provider_from(before.path, name, raw)
        )
        for name, raw in raw_providers.items()
    }
    return head._replace(providers=providers)


def _admin_from(path: Path, admin: object) -> AdminCredential | None:
    _expect(path, "admin", admin, dict, "a table")
    assert isinstance(admin, dict)
    if not admin:
        return None  # `admin logout` may leave the empty table behind
    _reject_unknown(path, "admin", admin, ADMIN_KEYS)
    ca_bundle = _strings(path, "admin", admin, ("host", "ikey"))
    from duoctl.validation import validate_admin_ikey  # only when the table is there

    try:
        host = validate_endpoint(admin["host"])
        ikey = validate_admin_ikey(admin["ikey"])
    except ValidationError as exc:
        raise ConfigError(f"{_where(path, 'admin')}: {exc.message}") from None
    if ikey != admin["ikey"]:
        raise ConfigError(f"{_where(path, 'admin.ikey')}: not in upper case")
    return AdminCredential(host=host, ikey=ikey, ca_bundle=ca_bundle)


def _audit_from(path: Path, audit: object) -> tuple[bool, str | None]:
    _expect(path, "audit", audit, dict, "a table")
    assert isinstance(audit, dict)
    _reject_unknown(path, "audit", audit, AUDIT_KEYS)
    syslog = audit.get("syslog", False)
    _expect(path, "audit.syslog", syslog, bool, "a boolean (true/false)")
    socket_path = audit.get("syslog_socket")
    if socket_path is not None:
        _expect(path, "audit.syslog_socket", socket_path, str, "a string (a socket path)")
    return syslog, socket_path


def _platform_from(path: Path, platform: object) -> tuple[str | None, str | None]:
    _expect(path, "platform", platform, dict, "a table")
    assert isinstance(platform, dict)
    _reject_unknown(path, "platform", platform, PLATFORM_KEYS)
    url = platform.get("url")
    if url is not None:
        _expect(path, "platform.url", url, str, "a string")
        from duoctl.platform_url import validate_platform_url  # only when one is set

        try:
            if validate_platform_url(url) != url:
                raise ValidationError("not in its normal form (run 'duoctl platform url set')")
        except ValidationError as exc:
            raise ConfigError(f"{_where(path, 'platform.url')}: {exc.message}") from None
    ca_bundle = platform.get("ca_bundle")
    if ca_bundle is not None:
        _expect(path, "platform.ca_bundle", ca_bundle, str, "a string (a file path)")
    return url, ca_bundle
