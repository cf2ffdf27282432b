"""`provider list` and `provider add` on a 1,000-provider config: median wall time.

Targets: list <= 0.5 s, add <= 1 s. The add stores a secret, so it needs a keyring: the
private Secret Service (tests/support/secret_service.sh) when DUOCTL_TEST_SECRET_SERVICE=1
and DBUS_SESSION_BUS_ADDRESS are set, else the test suite's file backend (plain text,
accepted with DUOCTL_ALLOW_PLAINTEXT_KEYRING=1). The one used is printed. Each add uses a
new name and is removed again (unmeasured), so every run edits the same 1,000-entry file.

    python bench/big_config.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import DUOCTL, ROOT, base_env, median_ms, wall, write_config

PROVIDERS = 1000
LIST_TARGET_MS = 500
ADD_TARGET_MS = 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "duoctl" / "config.toml"
        write_config(config, PROVIDERS)
        env = base_env(config)
        real = bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS")) and (
            os.environ.get("DUOCTL_TEST_SECRET_SERVICE") == "1"
        )
        if real:
            keyring = "Secret Service (gnome-keyring on the private bus)"
        else:
            keyring = "support.keyring_backends.PlaintextFileKeyring (no Secret Service)"
            env.update(
                {
                    "PYTHONPATH": str(ROOT / "tests"),
                    "PYTHON_KEYRING_BACKEND": "support.keyring_backends.PlaintextFileKeyring",
                    "DUOCTL_TEST_KEYRING_FILE": str(Path(tmp) / "keyring.json"),
                    "DUOCTL_ALLOW_PLAINTEXT_KEYRING": "1",
                }
            )

        list_cmd = [DUOCTL, "provider", "list"]
        wall(list_cmd, env)  # warm-up: .pyc files, page cache
        lists = [wall(list_cmd, env) for _ in range(args.runs)]

        adds = []
        try:
            for i in range(args.runs + 1):
                name = f"bench{i}"
                add = [DUOCTL, "provider", "add", name, "--endpoint",
                       "api-bench000.duosecurity.com", "--client-id", f"DIBENCH{i:013d}",
                       "--client-secret-stdin"]  # fmt: skip
                elapsed = wall(add, env, stdin="b" * 40 + "\n")
                if i:  # the first is the warm-up
                    adds.append(elapsed)
                wall([DUOCTL, "provider", "remove", name, "--yes"], env)
        finally:
            if real:
                subprocess.run(
                    ["secret-tool", "clear", "service", f"duoctl:{config.resolve()}"],
                    capture_output=True,
                    check=False,
                )

    list_ms, add_ms = median_ms(lists), median_ms(adds)
    ok = list_ms <= LIST_TARGET_MS and add_ms <= ADD_TARGET_MS
    print(f"big_config: {PROVIDERS} providers, runs={args.runs}, keyring: {keyring}")
    print(f"  provider list: median {list_ms:.0f} ms (target <= {LIST_TARGET_MS} ms)")
    print(f"  provider add:  median {add_ms:.0f} ms (target <= {ADD_TARGET_MS} ms)")
    print(f"  {'ok' if ok else 'OVER TARGET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
