"""Benchmark: wall time of a whole ``duoctl test-login`` process vs a minimal reference script.

Both log ``alice`` in against the emulator (instant approve) with the Client Secret read from
a real Secret Service, and both do the same work: keyring read, health check, auth URL, the
authorize redirect followed with ``requests``, a loopback listener receiving the callback, the
code exchange through ``duo_universal`` (see bench/reference_login.py). The two processes
alternate, so drift on the machine hits both alike; medians are compared.

    python bench/test_login.py [--runs 15] [--target 1.25] [--against OTHER/src]

With ``--against SRC`` (another checkout's ``src``), that code's ``duoctl test-login`` runs in
the same rounds too, through PYTHONPATH: a before/after comparison under the same load.

The Secret Service: the one on DBUS_SESSION_BUS_ADDRESS when tests/support/secret_service.sh
started it (DUOCTL_TEST_SECRET_SERVICE=1); otherwise this script starts a private one and stops
it on exit. Exits 1 when the ratio misses the target, 2 when a login fails.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import BYTECODE_OFF, add_emulator_provider, alternated_all, paired_args, secret_service
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
    args = paired_args(__doc__, target=1.25, add=_against_option)

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
        commands = [(duoctl, env), (reference, env)]
        if args.against is not None:
            other_env = {**env, "PYTHONPATH": str(args.against.resolve())}
            commands.append((duoctl, other_env))
        timings = [lambda c=c, e=e: timed(c, e) for c, e in commands]
        samples = alternated_all(timings, args.runs)
        # Leave nothing in the keyring (it may be a long-lived one).
        subprocess.run(
            [str(DUOCTL), "--config", str(config), "provider", "remove", PROVIDER, "--yes"],
            capture_output=True,
            env=env,
            timeout=TIMEOUT,
            check=False,
        )

    reference_times = samples[1]
    reference_median = statistics.median(reference_times)
    print(f"keyring:            {keyring_used}")
    print(f"runs:               {args.runs} of each, alternated")
    print(f"load average:       {os.getloadavg()[0]:.1f} (1 min, at the end)")
    _line("reference script:", reference_times)
    ratio = _report("duoctl test-login:", samples[0], reference_median)
    if args.against is not None:
        _report(f"  {args.against}:", samples[2], reference_median)
    verdict = "OK" if ratio <= args.target else "MISSED"
    print(f"ratio (this code):  {ratio:.2f} (target <= {args.target:g}): {verdict}")
    return 0 if ratio <= args.target else 1


def _against_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--against", type=Path, help="another checkout's src, run alternated")


def _line(label: str, times: list[float]) -> None:
    print(
        f"{label:<19} median {statistics.median(times) * 1000:7.1f} ms "
        f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})"
    )


def _report(label: str, times: list[float], reference_median: float) -> float:
    _line(label, times)
    ratio = statistics.median(times) / reference_median
    print(f"{'':<19} ratio {ratio:.2f}")
    return ratio


if __name__ == "__main__":
    sys.exit(main())
