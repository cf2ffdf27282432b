"""Summarise a finished ``mutmut run`` (``make mutate``): the kill rate and every survivor.

Reads ``mutmut results --all true`` (one ``name: status`` line per mutant). Killed and
timed-out mutants count as caught; every other status that was checked (survived, "no
tests": reached by no selected test, ...) is listed, since each is a bug the tests would let
through. Mutants a subset run (``MUTANTS=...``) did not check are counted apart. Exits 0: the
figure is recorded in the README, not enforced.
"""

from __future__ import annotations

import collections
import subprocess
import sys
from pathlib import Path

CAUGHT = ("killed", "timeout")
NOT_CHECKED = "not checked"


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
    checked = len(status) - counts[NOT_CHECKED]
    caught = sum(counts[s] for s in CAUGHT)
    print(f"mutants: {len(status)}  " + "  ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    if not checked:
        print("no mutant was checked", file=sys.stderr)
        return 1
    print(f"kill rate: {caught}/{checked} checked = {100 * caught / checked:.1f}%")
    by_module: dict[str, list[str]] = collections.defaultdict(list)
    for name, state in sorted(status.items()):
        if state not in (*CAUGHT, NOT_CHECKED):
            # duoctl.fileio.x_fsync_dir__mutmut_3, duoctl.listener.xǁClassǁmethod__mutmut_1
            module, _, function = name.replace(".xǁ", ".x_").partition(".x_")
            by_module[module].append(f"{function} ({state})")
    for module, names in sorted(by_module.items()):
        print(f"\n{module}: {len(names)} not caught (`mutmut show NAME` shows the diff)")
        for name in names:
            print(f"  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
