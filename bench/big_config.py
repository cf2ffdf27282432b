"""`provider list` and `provider add` on a 1,000-provider config: median wall time.

Targets: list <= 0.5 s, add <= 1 s. The add stores a secret in a real Secret Service: the
one tests/support/secret_service.sh started (DUOCTL_TEST_SECRET_SERVICE=1 and
DBUS_SESSION_BUS_ADDRESS set), or a private one this script starts and stops, as
bench/test_login.py does. (It used to fall back to the tests' plain-text file keyring, which
the README's "real Secret Service" label did not say.) Each add uses a new name and is removed
again (unmeasured), so every run edits the same 1,000-entry file.

    python bench/big_config.py [--runs N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from common import DUOCTL, base_env, median_ms, secret_service, wall, write_config

PROVIDERS = 1000
LIST_TARGET_MS = 500
ADD_TARGET_MS = 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, secret_service() as keyring:
        config = Path(tmp) / "duoctl" / "config.toml"
        write_config(config, PROVIDERS)
        # After secret_service(): base_env copies os.environ, where it put the bus address.
        env = base_env(config)
        env["DUOCTL_SECRET_BACKEND"] = "keyring"

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
            # Leave nothing in the keyring (it may be a long-lived one).
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
