"""The server secret store (systemd-creds) against the desktop one (the Secret Service).

Measured side by side, alternated, medians of several runs, on the same provider and the
same emulator (instant approve):

- ``provider show NAME`` (reads the secret): systemd-creds vs Secret Service, ratio;
- ``test-login NAME`` (reads it, logs in): systemd-creds vs Secret Service, ratio;
- ``provider add`` on a 1,000-provider config with systemd-creds: median (target <= 0.5 s),
  next to ``provider list`` of the same file as the floor of reading it.

The systemd-creds runs use no D-Bus session and the machine's real host key, as on a
server; they need root (this script says so and exits 0 otherwise). The Secret Service is
the one on DBUS_SESSION_BUS_ADDRESS when tests/support/secret_service.sh started it, or a
private one started here.

    python bench/server_stores.py [--runs 11]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from common import DUOCTL, secret_service, wall, write_config

ADD_TARGET_S = 0.5
PROVIDERS = 1000
_SERVER_DROPS = ("DBUS_SESSION_BUS_ADDRESS", "DUOCTL_TEST_SECRET_SERVICE", "PYTHON_KEYRING_BACKEND")


def _env(config: Path, backend: str) -> dict[str, str]:
    env = {**os.environ, "DUOCTL_CONFIG": str(config), "NO_COLOR": "1", "COLUMNS": "200"}
    for name in ("BROWSER", "DUOCTL_CLIENT_SECRET", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        env.pop(name, None)
    if backend == "systemd-creds":
        for name in _SERVER_DROPS:
            env.pop(name, None)
    env["DUOCTL_SECRET_BACKEND"] = backend
    return env


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("server_stores: skipped, systemd-creds with the host key needs root")
        return 0

    from duoctl.emulator import EmulatedUser, Emulator

    with (
        secret_service() as keyring_used,
        tempfile.TemporaryDirectory(prefix="duoctl-bench-") as tmp,
        Emulator([EmulatedUser("alice", delay=0)]) as emu,
    ):
        envs = {}
        for backend in ("keyring", "systemd-creds"):
            config = Path(tmp) / backend / "config.toml"
            # A named config may be created, in a directory that exists (issue 9).
            config.parent.mkdir(mode=0o700)
            envs[backend] = env = _env(config, backend)
            add = [DUOCTL, "provider", "add", "emu", "--endpoint", emu.api_host,
                   "--client-id", emu.client_id, "--ca-bundle", str(emu.ca_bundle),
                   "--client-secret-stdin"]  # fmt: skip
            wall(add, env, stdin=emu.client_secret + "\n")
        commands = {
            "provider show": [DUOCTL, "provider", "show", "emu"],
            "test-login": [DUOCTL, "test-login", "emu", "-u", "alice", "--browser", "follow"],
        }
        results: dict[str, dict[str, list[float]]] = {}
        for label, argv in commands.items():
            for env in envs.values():
                wall(argv, env)  # warm-up: page cache, .pyc files, the keyring's unlock
            samples: dict[str, list[float]] = {"keyring": [], "systemd-creds": []}
            for _ in range(args.runs):
                for backend, env in envs.items():
                    samples[backend].append(wall(argv, env))
            results[label] = samples
        wall([DUOCTL, "provider", "remove", "emu", "--yes"], envs["keyring"])

        big = Path(tmp) / "big" / "config.toml"
        write_config(big, PROVIDERS)
        big_env = _env(big, "systemd-creds")
        lists, adds = [], []
        for i in range(args.runs + 1):
            name = f"bench{i}"
            add = [DUOCTL, "provider", "add", name, "--endpoint", "api-bench000.duosecurity.com",
                   "--client-id", f"DIBENCH{i:013d}", "--client-secret-stdin"]  # fmt: skip
            listed = wall([DUOCTL, "provider", "list"], big_env)
            added = wall(add, big_env, stdin="b" * 40 + "\n")
            if i:  # the first round is the warm-up
                lists.append(listed)
                adds.append(added)
            wall([DUOCTL, "provider", "remove", name, "--yes"], big_env)

    print(f"server_stores: runs={args.runs}, alternated; Secret Service: {keyring_used}")
    for label, samples in results.items():
        keyring_ms = _median_ms(samples["keyring"])
        creds_ms = _median_ms(samples["systemd-creds"])
        print(
            f"  {label:<14} systemd-creds {creds_ms:6.1f} ms vs Secret Service "
            f"{keyring_ms:6.1f} ms: ratio {creds_ms / keyring_ms:.2f}"
        )
    add_ms = _median_ms(adds)
    print(
        f"  provider add, {PROVIDERS} providers, systemd-creds: median {add_ms:.0f} ms "
        f"(target <= {ADD_TARGET_S * 1000:.0f} ms); provider list of the same file "
        f"{_median_ms(lists):.0f} ms"
    )
    ok = add_ms <= ADD_TARGET_S * 1000
    print(f"  {'ok' if ok else 'OVER TARGET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
