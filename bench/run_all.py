"""Run every bench script in bench/ and summarise.

Helpers are not benchmarks and are skipped: this file, common.py, and by convention any
`_*.py` or `reference_*.py` (e.g. reference_login.py, which test_login.py starts itself
with arguments).

`make bench` calls this. A script's exit status says whether it met its targets; this one
exits 1 if any did not.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOT_BENCHMARKS = {"run_all.py", "common.py"}


def main() -> int:
    scripts = sorted(
        p
        for p in HERE.glob("*.py")
        if p.name not in NOT_BENCHMARKS and not p.name.startswith(("_", "reference_"))
    )
    rows = []
    for script in scripts:
        print(f"==> {script.name}", flush=True)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE, check=False)
        rows.append((script.name, result.returncode, time.perf_counter() - start))
    print("\nbenchmark            result        took")
    for name, code, took in rows:
        verdict = "ok" if code == 0 else f"FAILED ({code})"
        print(f"{name:<20} {verdict:<13} {took:5.1f} s")
    return 0 if all(code == 0 for _, code, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
