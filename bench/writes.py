"""`provider add` and `provider remove` on a 10,000-provider config: medians, paired.

Target: add <= 0.5 s. Each round runs, alternated, the same add (then its remove) against the
10,000-provider file and against a 1-provider file, so the ratio between them shows what the
size of the file costs, measured under the same load (the load average is printed too). The
secret goes into a real Secret Service: the one tests/support/secret_service.sh started
(DUOCTL_TEST_SECRET_SERVICE=1 and DBUS_SESSION_BUS_ADDRESS set), or a private one this script
starts and stops. Every add uses a new name and is removed again, so each round edits a file
of the same size. With ``--against SRC`` (another checkout's ``src``), that code runs the same
commands in the same rounds, alternated with this one, through PYTHONPATH: a before/after
comparison under the same load.

    python bench/writes.py [--runs N] [--providers N] [--against OTHER/src]
"""

from __future__ import annotations

import argparse
import itertools
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
    parser.add_argument("--against", type=Path, help="another checkout's src, run alternated")
    args = parser.parse_args()

    variants = {"this": None} | ({"other": args.against.resolve()} if args.against else {})
    samples: dict[str, list[float]] = {}
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp, secret_service() as keyring:
        configs = {"big": Path(tmp) / "big" / "config.toml", "small": Path(tmp) / "small.toml"}
        write_config(configs["big"], args.providers)
        write_config(configs["small"], 1)
        envs = {}
        for (variant, src), (size, config) in itertools.product(variants.items(), configs.items()):
            # After secret_service(): base_env copies os.environ, where it put the bus address.
            env = base_env(config) | {"DUOCTL_SECRET_BACKEND": "keyring"}
            if src is not None:
                env["PYTHONPATH"] = str(src)
            envs[variant, size] = env
        try:
            for i in range(args.runs + 1):
                pairs = list(envs)
                for key in pairs if i % 2 else reversed(pairs):
                    name = f"bench{i}"
                    added = wall(_add_argv(name, i), envs[key], stdin="b" * 40 + "\n")
                    removed = wall([DUOCTL, "provider", "remove", name, "--yes"], envs[key])
                    if i:  # the first round is the warm-up: .pyc files, page cache
                        samples.setdefault(f"{key[0]} {key[1]} add", []).append(added)
                        samples.setdefault(f"{key[0]} {key[1]} rm", []).append(removed)
            loads.append(os.getloadavg()[0])
        finally:
            for config in configs.values():  # leave nothing in a long-lived keyring
                subprocess.run(
                    ["secret-tool", "clear", "service", f"duoctl:{config.resolve()}"],
                    capture_output=True,
                    check=False,
                )

    medians = {key: median_ms(values) for key, values in samples.items()}
    ok = medians["this big add"] <= ADD_TARGET_MS
    print(f"writes: {args.providers} vs 1 provider, runs={args.runs}, keyring: {keyring}")
    print(f"  load average (1 min) before / after: {loads[0]:.1f} / {loads[-1]:.1f}")
    for variant, src in variants.items():
        print(f"  {variant} ({src or 'this checkout'}):")
        for verb in ("add", "rm"):
            big, small = medians[f"{variant} big {verb}"], medians[f"{variant} small {verb}"]
            target = f" (target <= {ADD_TARGET_MS} ms)" if verb == "add" and not src else ""
            print(
                f"    provider {verb:<3} median {big:5.0f} ms vs {small:5.0f} ms with 1 "
                f"provider: {big / small:.2f}x{target}"
            )
    print(f"  {'ok' if ok else 'OVER TARGET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
