"""Stand-ins for system tools, put on a PATH of the test's own (the real tools stay put)."""

from __future__ import annotations

import stat
from pathlib import Path


def fake_timedatectl(directory: Path, script: str) -> Path:
    """``directory``/timedatectl, a shell script running ``script``; returns ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "timedatectl"
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return directory
