"""Where the config file and its credential files live.

Lookup order (first match wins): ``--config`` > ``DUOCTL_CONFIG`` > ``--system`` (or
``DUOCTL_SCOPE=system``) > the user config dir. The system scope is one config per host,
``/etc/duoctl/config.toml``, whose credential files live under ``/var/lib/duoctl``: the
platform's MFA settings belong to the host, not to whichever admin ran duoctl.

``DUOCTL_SYSTEM_ROOT`` moves both system directories under another root (packaging, tests);
it is never needed on a real host.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

CONFIG_ENV = "DUOCTL_CONFIG"
SCOPE_ENV = "DUOCTL_SCOPE"
SYSTEM_ROOT_ENV = "DUOCTL_SYSTEM_ROOT"

SYSTEM_CONFIG = Path("/etc/duoctl/config.toml")
SYSTEM_STATE_DIR = Path("/var/lib/duoctl")

RULE_OPTION = "--config"
RULE_ENV = CONFIG_ENV
RULE_SYSTEM_OPTION = "--system"
RULE_SYSTEM_ENV = f"{SCOPE_ENV}=system"
RULE_USER = "user config dir"


class ConfigLocation(NamedTuple):
    path: Path
    rule: str  # which lookup rule chose it (one of the RULE_* values)
    system: bool  # the host-wide config (credential files under /var/lib/duoctl)


class ConfigPathResult:
    """``config path``: the path alone on stdout, so ``$(duoctl config path)`` works."""

    headers = None
    empty = ""
    warnings: tuple[str, ...] = ()

    def __init__(self, location: ConfigLocation) -> None:
        self.location = location
        self.exists = location.path.exists()

    @property
    def notes(self) -> tuple[str, ...]:
        exists = (
            "it exists" if self.exists else "it does not exist yet (a write command creates it)"
        )
        return (f"chosen by {self.location.rule}; {exists}",)

    def to_dict(self) -> dict[str, Any]:
        path, system = self.location.path, self.location.system
        return {
            "path": str(path),
            "rule": self.location.rule,
            "exists": self.exists,
            "scope": "system" if system else "user",
            "credentials_dir": str(credentials_dir(path, system=system)),
        }

    def rows(self) -> list[tuple[str]]:
        return [(str(self.location.path),)]


def _under_root(path: Path, environ: Mapping[str, str]) -> Path:
    root = environ.get(SYSTEM_ROOT_ENV)
    return Path(root) / path.relative_to("/") if root else path


def system_config_path(env: Mapping[str, str] | None = None) -> Path:
    return _under_root(SYSTEM_CONFIG, os.environ if env is None else env)


def system_state_dir(env: Mapping[str, str] | None = None) -> Path:
    return _under_root(SYSTEM_STATE_DIR, os.environ if env is None else env)


def default_config_dir() -> Path:
    # platformdirs is imported here, not at module level: it costs ~30 ms and only the
    # default-location path needs it.
    import platformdirs

    return Path(platformdirs.user_config_dir("duoctl", appauthor=False))


def locate_config(
    cli_value: Path | None, *, system: bool = False, env: Mapping[str, str] | None = None
) -> ConfigLocation:
    environ = os.environ if env is None else env
    system_path = system_config_path(environ)

    def located(path: Path, rule: str) -> ConfigLocation:
        return ConfigLocation(path, rule, _same_file(path, system_path))

    if cli_value is not None:
        return located(cli_value.expanduser(), RULE_OPTION)
    from_env = environ.get(CONFIG_ENV)
    if from_env:
        return located(Path(from_env).expanduser(), RULE_ENV)
    if system:
        return ConfigLocation(system_path, RULE_SYSTEM_OPTION, True)
    if environ.get(SCOPE_ENV, "").lower() == "system":
        return ConfigLocation(system_path, RULE_SYSTEM_ENV, True)
    return ConfigLocation(default_config_dir() / "config.toml", RULE_USER, False)


def resolve_config_path(cli_value: Path | None, env: dict[str, str] | None = None) -> Path:
    return locate_config(cli_value, env=env).path


def _same_file(path: Path, other: Path) -> bool:
    try:
        return path.resolve() == other.resolve()
    except OSError:
        return False


def config_identity(config_path: Path) -> str:
    """The config's absolute path with links resolved: what its secrets are filed under.

    A symlinked config and its target share one identity, so editing through the link and
    editing the target reach the same secrets.
    """
    return str(config_path.expanduser().resolve())


def credentials_dir(
    config_path: Path, *, system: bool, env: Mapping[str, str] | None = None
) -> Path:
    """The 0700 directory holding this config's credential files (one per provider).

    Next to the config for a user config, under /var/lib/duoctl for the system one. The
    name carries the config's file name (for people) and a hash of its identity (so two
    configs never share a directory, even with equal names).
    """
    import hashlib  # here, not at the top: every command imports this module at start-up

    identity = config_identity(config_path)
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:12]
    base = (
        system_state_dir(env) / "credentials" if system else Path(identity).parent / "credentials"
    )
    return base / f"{Path(identity).stem}-{digest}"
