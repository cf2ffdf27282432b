"""Summarise a finished ``mutmut run`` (``make mutate``): the kill rate and every survivor.

Reads ``mutmut results --all true`` (one ``name: status`` line per mutant). Killed and
timed-out mutants count as caught; survivors and mutants that no selected test reaches
("no tests") are listed, since both are bugs the tests would let through. Exits 0: the
figure is recorded in the README, not enforced.
"""

from __future__ import annotations

import collections
import subprocess
import sys
from pathlib import Path

CAUGHT = ("killed", "timeout")
MISSED = ("survived", "no tests")


def main() -> int:
    mutmut = Path(sys.executable).parent / "mutmut"
    listing = subprocess.run(
        [str(mutmut), "results", "--all", "true"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    status: dict[str, str] = {}
    for line in listing.splitlines():
        name, sep, state = line.strip().rpartition(": ")
        if sep and name:
            status[name] = state
    if not status:
        print("no mutmut results: run `make mutate` first", file=sys.stderr)
        return 1
    counts = collections.Counter(status.values())
    caught = sum(counts[s] for s in CAUGHT)
    print(f"mutants: {len(status)}  " + "  ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    print(f"kill rate: {caught}/{len(status)} = {100 * caught / len(status):.1f}%")
    by_module: dict[str, list[str]] = collections.defaultdict(list)
    for name, state in sorted(status.items()):
        if state not in CAUGHT:
            by_module[name.split(".x_")[0]].append(f"{name.split('.x_')[-1]} ({state})")
    for module, names in sorted(by_module.items()):
        print(f"\n{module}: {len(names)} not caught (`mutmut show NAME` shows the diff)")
        for name in names:
            print(f"  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
