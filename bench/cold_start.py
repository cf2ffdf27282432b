"""Cold start of `duoctl provider list` (20 providers) and `duoctl mfa status` against the
import floor.

The floor is what any CLI built on these libraries pays: python plus
`import click, rich.table, rich.console, tomllib`. The three are measured in turn, run after
run, so a machine getting busier or quieter during the run affects them alike; each
command's median is divided by the floor's. Exit 1 if either ratio exceeds the target.

    python bench/cold_start.py [--runs N] [--target R]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from common import DUOCTL, PYTHON, base_env, median_ms, wall, write_config

FLOOR = [PYTHON, "-c", "import click, rich.table, rich.console, tomllib"]
COMMANDS = {
    "provider list (20 providers)": [DUOCTL, "provider", "list"],
    "mfa status (20 providers)": [DUOCTL, "mfa", "status"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--target", type=float, default=1.3)
    args = parser.parse_args()
    if args.runs < 10:
        parser.error("--runs must be at least 10")

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "duoctl" / "config.toml"
        write_config(config, 20)
        env = base_env(config)
        # One unmeasured run of each: the first pays for .pyc files and a cold page cache.
        for command in (*COMMANDS.values(), FLOOR):
            wall(command, env)
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        floor: list[float] = []
        for _ in range(args.runs):
            for name, command in COMMANDS.items():
                times[name].append(wall(command, env))
            floor.append(wall(FLOOR, env))

    f = median_ms(floor)
    print(f"cold_start: runs={args.runs} (alternating); load average {os.getloadavg()[0]:.1f}")
    print(f"  import floor (click, rich.table, rich.console, tomllib): median {f:.1f} ms")
    missed = False
    for name, samples in times.items():
        d = median_ms(samples)
        ratio = d / f
        missed = missed or ratio > args.target
        verdict = "ok" if ratio <= args.target else "OVER TARGET"
        print(
            f"  duoctl {name}: median {d:.1f} ms, ratio {ratio:.2f} "
            f"(target <= {args.target}) {verdict}"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
