"""`provider add` and `provider remove` on a 10,000-provider config: medians, paired.

Target: add <= 0.5 s. Each round runs, alternated, the same add (then its remove) against the
10,000-provider file and against a 1-provider file, so the ratio between them shows what the
size of the file costs, measured under the same load (the load average is printed too). The
secret goes into a real Secret Service: the one tests/support/secret_service.sh started
(DUOCTL_TEST_SECRET_SERVICE=1 and DBUS_SESSION_BUS_ADDRESS set), or a private one this script
starts and stops. Every add uses a new name and is removed again, so each round edits a file
of the same size.

    python bench/writes.py [--runs N] [--providers N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import DUOCTL, base_env, median_ms, secret_service, wall, write_config

ADD_TARGET_MS = 500


def _add_argv(name: str, index: int) -> list[str]:
    return [DUOCTL, "provider", "add", name, "--endpoint", "api-bench000.duosecurity.com",
            "--client-id", f"DIBENCH{index:013d}", "--client-secret-stdin"]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--providers", type=int, default=10_000)
    args = parser.parse_args()

    samples: dict[str, list[float]] = {"big add": [], "small add": [], "big rm": [], "small rm": []}
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp, secret_service() as keyring:
        configs = {"big": Path(tmp) / "big" / "config.toml", "small": Path(tmp) / "small.toml"}
        write_config(configs["big"], args.providers)
        write_config(configs["small"], 1)
        envs = {}
        for size, config in configs.items():
            # After secret_service(): base_env copies os.environ, where it put the bus address.
            envs[size] = base_env(config) | {"DUOCTL_SECRET_BACKEND": "keyring"}
        try:
            for i in range(args.runs + 1):
                order = ("big", "small") if i % 2 else ("small", "big")
                for size in order:
                    name = f"bench{i}"
                    added = wall(_add_argv(name, i), envs[size], stdin="b" * 40 + "\n")
                    removed = wall([DUOCTL, "provider", "remove", name, "--yes"], envs[size])
                    if i:  # the first round is the warm-up: .pyc files, page cache
                        samples[f"{size} add"].append(added)
                        samples[f"{size} rm"].append(removed)
            loads.append(os.getloadavg()[0])
        finally:
            for config in configs.values():  # leave nothing in a long-lived keyring
                subprocess.run(
                    ["secret-tool", "clear", "service", f"duoctl:{config.resolve()}"],
                    capture_output=True,
                    check=False,
                )

    medians = {key: median_ms(values) for key, values in samples.items()}
    ok = medians["big add"] <= ADD_TARGET_MS
    print(f"writes: {args.providers} vs 1 provider, runs={args.runs}, keyring: {keyring}")
    print(f"  load average (1 min) before / after: {loads[0]:.1f} / {loads[-1]:.1f}")
    for verb in ("add", "rm"):
        big, small = medians[f"big {verb}"], medians[f"small {verb}"]
        target = f" (target <= {ADD_TARGET_MS} ms)" if verb == "add" else ""
        print(
            f"  provider {verb:<6} median {big:4.0f} ms vs {small:4.0f} ms with 1 provider: "
            f"{big / small:.2f}x{target}"
        )
    print(f"  {'ok' if ok else 'OVER TARGET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
