"""Benchmark: a whole ``duoctl doctor`` process for 10 healthy providers vs for 1.

Every provider points at the emulator (real TLS on loopback) with its Client Secret in a real
Secret Service, so each runs every check (DNS of ``localhost``, TCP, TLS, Duo's health check)
and passes. The two configs are checked alternately, so drift on the machine hits both alike;
medians are compared. What the ratio measures is what ten providers add: their secret reads,
their threads, their rows in the report.

    python bench/doctor.py [--runs 15] [--target 1.5] [--providers 10]

The Secret Service: the one on DBUS_SESSION_BUS_ADDRESS when tests/support/secret_service.sh
started it (DUOCTL_TEST_SECRET_SERVICE=1); otherwise this script starts a private one and
stops it on exit. Exits 1 when the ratio misses the target or a doctor run fails (its
stderr is printed).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from common import DUOCTL, add_emulator_provider, alternated, paired_args, secret_service, wall
from reference_login import PROXY_VARIABLES

if TYPE_CHECKING:
    from duoctl.emulator import Emulator

TIMEOUT = 60


def add_providers(config: Path, count: int, emu: Emulator, env: dict[str, str]) -> None:
    for n in range(count):
        add_emulator_provider(config, f"p{n}", emu, env)


def remove_providers(config: Path, count: int, env: dict[str, str]) -> None:
    """Leave nothing in the keyring (it may be a long-lived one)."""
    for n in range(count):
        subprocess.run(
            [DUOCTL, "--config", str(config), "provider", "remove", f"p{n}", "--yes"],
            capture_output=True,
            env=env,
            timeout=TIMEOUT,
            check=False,
        )


def describe(name: str, samples: list[float]) -> str:
    median = statistics.median(samples) * 1000
    return (
        f"{name:<22} median {median:7.1f} ms "
        f"(min {min(samples) * 1000:.1f}, max {max(samples) * 1000:.1f})"
    )


def main() -> int:
    args = paired_args(
        __doc__,
        target=1.5,
        add=lambda p: p.add_argument(
            "--providers", type=int, default=10, help="providers in the big run"
        ),
    )

    from duoctl.emulator import EmulatedUser, Emulator

    with (
        secret_service() as keyring_used,
        tempfile.TemporaryDirectory(prefix="duoctl-bench-") as tmp,
        Emulator([EmulatedUser("alice")]) as emu,
    ):
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
        for name in PROXY_VARIABLES:
            env.pop(name, None)
        one, many = Path(tmp) / "one.toml", Path(tmp) / "many.toml"
        add_providers(one, 1, emu, env)
        add_providers(many, args.providers, emu, env)
        # External MFA stays off in these configs: say so, or doctor fails on it.
        doctor = ["doctor", "--expect-mfa-disabled"]
        one_cmd = [DUOCTL, "--config", str(one), *doctor]
        many_cmd = [DUOCTL, "--config", str(many), *doctor]
        try:
            many_times, one_times = alternated(
                lambda: wall(many_cmd, env), lambda: wall(one_cmd, env), args.runs
            )
        finally:
            remove_providers(one, 1, env)
            remove_providers(many, args.providers, env)

    ratio = statistics.median(many_times) / statistics.median(one_times)
    print(f"keyring:               {keyring_used}")
    print(f"runs:                  {args.runs} of each, alternated; load {os.getloadavg()[0]:.1f}")
    print(describe(f"doctor, {args.providers} providers:", many_times))
    print(describe("doctor, 1 provider:", one_times))
    # What the other providers add, in ms: steadier than the ratio on a loaded machine,
    # where the constant cost (start-up, imports) grows and the ratio shrinks.
    added = (statistics.median(many_times) - statistics.median(one_times)) * 1000
    print(f"added by {args.providers - 1} more:    {added:7.1f} ms")
    verdict = "OK" if ratio <= args.target else "MISSED"
    print(f"ratio:                 {ratio:.2f} (target <= {args.target:g}): {verdict}")
    return 0 if ratio <= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
