"""Where the config file lives: ``--config`` > ``DUOCTL_CONFIG`` > the user config dir."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_ENV = "DUOCTL_CONFIG"


def default_config_dir() -> Path:
    # platformdirs is imported here, not at module level: it costs ~30 ms and only the
    # default-location path needs it.
    import platformdirs

    return Path(platformdirs.user_config_dir("duoctl", appauthor=False))


def resolve_config_path(cli_value: Path | None, env: dict[str, str] | None = None) -> Path:
    environ = os.environ if env is None else env
    if cli_value is not None:
        return cli_value.expanduser()
    from_env = environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return default_config_dir() / "config.toml"
