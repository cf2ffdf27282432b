"""Benchmark: wall time of a whole ``duoctl test-login`` process vs a minimal reference script.

Both log ``alice`` in against the emulator (instant approve) with the Client Secret read from
a real Secret Service, and both do the same work: keyring read, health check, auth URL, the
authorize redirect followed with ``requests``, a loopback listener receiving the callback, the
code exchange through ``duo_universal`` (see bench/reference_login.py). The two processes
alternate, so drift on the machine hits both alike; medians are compared.

    python bench/test_login.py [--runs 15] [--target 1.25]

The Secret Service: the one on DBUS_SESSION_BUS_ADDRESS when tests/support/secret_service.sh
started it (DUOCTL_TEST_SECRET_SERVICE=1); otherwise this script starts a private one and stops
it on exit. Exits 1 when the ratio misses the target, 2 when a login fails.
"""

from __future__ import annotations

import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import BYTECODE_OFF, add_emulator_provider, alternated, paired_args, secret_service
from reference_login import PROXY_VARIABLES

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(__file__).resolve().parent / "reference_login.py"
DUOCTL = Path(sys.executable).parent / "duoctl"
PROVIDER = "bench"
TIMEOUT = 60
# Every request here goes to loopback (the emulator, the callback listener): no proxy
# variable may route it anywhere else, nor a NO_PROXY decide for us what counts as local.
# The reference script holds the one list (it strips them itself when run by hand).


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=TIMEOUT, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        print(f"FAILED ({result.returncode}): {shlex.join(command)}\n{result.stderr}")
        sys.exit(2)
    return elapsed


def main() -> int:
    args = paired_args(__doc__, target=1.25)

    from duoctl.emulator import EmulatedUser, Emulator, Outcome
    from duoctl.secrets.keyring_store import service_for

    with (
        secret_service() as keyring_used,
        tempfile.TemporaryDirectory(prefix="duoctl-bench-") as tmp,
        Emulator([EmulatedUser("alice", Outcome.APPROVE, delay=0)]) as emu,
    ):
        config = Path(tmp) / "config.toml"
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
        for name in ("BROWSER", *PROXY_VARIABLES, *BYTECODE_OFF):
            env.pop(name, None)
        add_emulator_provider(config, PROVIDER, emu, env)
        duoctl = [
            str(DUOCTL),
            "--config",
            str(config),
            "test-login",
            PROVIDER,
            "--username",
            "alice",
            "--browser",
            "follow",
        ]
        reference = [
            sys.executable,
            str(REFERENCE),
            service_for(config),
            PROVIDER,
            emu.api_host,
            emu.client_id,
            str(emu.ca_bundle),
            "alice",
        ]
        duoctl_times, reference_times = alternated(
            lambda: timed(duoctl, env), lambda: timed(reference, env), args.runs
        )
        # Leave nothing in the keyring (it may be a long-lived one).
        subprocess.run(
            [str(DUOCTL), "--config", str(config), "provider", "remove", PROVIDER, "--yes"],
            capture_output=True,
            env=env,
            timeout=TIMEOUT,
            check=False,
        )

    duoctl_median = statistics.median(duoctl_times)
    reference_median = statistics.median(reference_times)
    ratio = duoctl_median / reference_median
    print(f"keyring:            {keyring_used}")
    print(f"runs:               {args.runs} of each, alternated")
    print(f"load average:       {os.getloadavg()[0]:.1f} (1 min, at the end)")
    print(
        f"duoctl test-login:  median {duoctl_median * 1000:7.1f} ms "
        f"(min {min(duoctl_times) * 1000:.1f}, max {max(duoctl_times) * 1000:.1f})"
    )
    print(
        f"reference script:   median {reference_median * 1000:7.1f} ms "
        f"(min {min(reference_times) * 1000:.1f}, max {max(reference_times) * 1000:.1f})"
    )
    verdict = "OK" if ratio <= args.target else "MISSED"
    print(f"ratio:              {ratio:.2f} (target <= {args.target:g}): {verdict}")
    return 0 if ratio <= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
