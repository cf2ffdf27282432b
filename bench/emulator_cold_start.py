"""Cold start of `duoctl emulator --json`: from exec until the JSON banner is on stdout.

What a CI job waits for before its tests can start. Three commands, measured alternately (so
a machine getting busier or quieter affects all alike), each a fresh process:

- fresh: a new private state dir, so a new CA and a new RSA-2048 leaf key;
- kept: `--state-dir` after a first run, so the CA and leaf key are read back, not made;
- floor: `duoctl --version`, the same interpreter and console script doing nothing.

Prints medians and the ratios to the floor; a run that fails or prints no banner is an
error, not a figure. There is no target: the figure is recorded in the README.

    python bench/emulator_cold_start.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from common import DUOCTL, median_ms, wall


def to_banner(argv: Sequence[str], env: Mapping[str, str]) -> float:
    """Seconds from exec until the banner line is read; the emulator is then stopped."""
    start = time.perf_counter()
    process = subprocess.Popen(
        list(argv), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=dict(env)
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - start
    process.send_signal(signal.SIGTERM)
    process.wait(30)
    if not line or json.loads(line).get("ok") is not True:
        raise SystemExit(f"{' '.join(argv)}: no banner (exit {process.returncode})")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if args.runs < 5:
        parser.error("--runs must be at least 5")
    env = {**os.environ, "NO_COLOR": "1"}
    for name in ("HTTPS_PROXY", "https_proxy", "DUOCTL_DEBUG"):
        env.pop(name, None)
    fresh_cmd = [DUOCTL, "emulator", "--json"]
    floor_cmd = [DUOCTL, "--version"]
    with tempfile.TemporaryDirectory() as tmp:
        kept_cmd = [*fresh_cmd, "--state-dir", str(Path(tmp) / "state")]
        # One unmeasured run of each: .pyc files, the page cache, and the kept state dir.
        to_banner(fresh_cmd, env)
        to_banner(kept_cmd, env)
        wall(floor_cmd, env)
        fresh, kept, floor = [], [], []
        for _ in range(args.runs):
            fresh.append(to_banner(fresh_cmd, env))
            kept.append(to_banner(kept_cmd, env))
            floor.append(wall(floor_cmd, env))
    f, k, base = median_ms(fresh), median_ms(kept), median_ms(floor)
    load = os.getloadavg()[0]
    print(f"emulator_cold_start: runs={args.runs} (alternating), load {load:.1f}")
    print(f"  duoctl emulator --json, fresh CA and RSA leaf: median {f:.0f} ms ({f / base:.2f}x)")
    print(f"  duoctl emulator --json --state-dir (kept):     median {k:.0f} ms ({k / base:.2f}x)")
    print(f"  duoctl --version (floor):                      median {base:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
