"""Cold start of `duoctl provider list` (20 providers) against the import floor.

The floor is what any CLI built on these libraries pays: python plus
`import click, rich.table, rich.console, tomllib`. The two are measured alternately, so a
machine getting busier or quieter during the run affects both alike. Exit 1 if the median
ratio exceeds the target.

    python bench/cold_start.py [--runs N] [--target R]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from common import DUOCTL, PYTHON, base_env, median_ms, wall, write_config

FLOOR = [PYTHON, "-c", "import click, rich.table, rich.console, tomllib"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--target", type=float, default=1.6)
    args = parser.parse_args()
    if args.runs < 10:
        parser.error("--runs must be at least 10")

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "duoctl" / "config.toml"
        write_config(config, 20)
        env = base_env(config)
        command = [DUOCTL, "provider", "list"]
        # One unmeasured run of each: the first pays for .pyc files and a cold page cache.
        wall(command, env)
        wall(FLOOR, env)
        duoctl, floor = [], []
        for _ in range(args.runs):
            duoctl.append(wall(command, env))
            floor.append(wall(FLOOR, env))

    d, f = median_ms(duoctl), median_ms(floor)
    ratio = d / f
    verdict = "ok" if ratio <= args.target else "OVER TARGET"
    print(f"cold_start: runs={args.runs} (alternating)")
    print(f"  duoctl provider list (20 providers): median {d:.1f} ms")
    print(f"  import floor (click, rich.table, rich.console, tomllib): median {f:.1f} ms")
    print(f"  ratio {ratio:.2f} (target <= {args.target}) {verdict}")
    return 0 if ratio <= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
