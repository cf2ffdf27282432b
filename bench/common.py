"""Helpers shared by the bench scripts (not a benchmark itself: run_all.py skips it)."""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from duoctl.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PYTHON = str(BIN / "python")
DUOCTL = str(BIN / "duoctl")
SECRET_SERVICE = ROOT / "tests" / "support" / "secret_service.sh"
TIMEOUT = 60
# An installed duoctl has its .pyc files (pip compiles them); with this set, every measured
# run would compile duoctl's sources again while the libraries and the floor load theirs.
# The unmeasured first run of each command writes them.
BYTECODE_OFF = ("PYTHONDONTWRITEBYTECODE",)


def provider_config(count: int) -> str:
    head = "schema_version = 1\n\n[external_mfa]\nenabled = false\n"
    blocks = [
        f'\n[providers.p{i}]\ntype = "duo"\nenabled = true\n'
        f'endpoint = "api-{i:08x}.duosecurity.com"\nclient_id = "DI{i:018d}"\n'
        for i in range(count)
    ]
    return head + "".join(blocks)


def write_config(path: Path, count: int) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(provider_config(count))
    path.chmod(0o600)


def wall(argv: Sequence[str], env: Mapping[str, str], stdin: str = "", check: bool = True) -> float:
    """Wall time of one run, in seconds; a failing command is an error, not a figure."""
    start = time.perf_counter()
    result = subprocess.run(
        list(argv),
        input=stdin,
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=120,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if check and result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr}")
    return elapsed


def paired_args(
    doc: str, *, target: float, add: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.Namespace:
    """``--runs`` (at least 10) and ``--target`` of a paired benchmark, plus what ``add`` adds."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each (>= 10)")
    parser.add_argument("--target", type=float, default=target, help="maximum median ratio")
    if add is not None:
        add(parser)
    args = parser.parse_args()
    if args.runs < 10:
        parser.error("--runs must be at least 10")
    return args


def alternated(
    first: Callable[[], float], second: Callable[[], float], runs: int
) -> tuple[list[float], list[float]]:
    """Each timing ``runs`` times, alternated so that drift on the machine hits both alike,
    after one unmeasured run each (page cache, .pyc files, a keyring's first unlock)."""
    samples = alternated_all([first, second], runs)
    return samples[0], samples[1]


def alternated_all(timings: Sequence[Callable[[], float]], runs: int) -> list[list[float]]:
    """:func:`alternated` for any number of timings, each round in the same order."""
    for timing in timings:
        timing()
    samples: list[list[float]] = [[] for _ in timings]
    for _ in range(runs):
        for timing, sample in zip(timings, samples, strict=True):
            sample.append(timing())
    return samples


def add_emulator_provider(config: Path, name: str, emu: Emulator, env: Mapping[str, str]) -> None:
    """``duoctl provider add`` of a provider on the emulator, its secret into the store."""
    added = subprocess.run(
        [
            DUOCTL,
            "--config",
            str(config),
            "provider",
            "add",
            name,
            "--endpoint",
            emu.api_host,
            "--client-id",
            emu.client_id,
            "--ca-bundle",
            str(emu.ca_bundle),
            "--client-secret-stdin",
        ],
        input=emu.client_secret + "\n",
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=TIMEOUT,
        check=False,
    )
    if added.returncode != 0:
        sys.exit(f"duoctl provider add failed:\n{added.stderr}")


def base_env(config: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DUOCTL_CLIENT_SECRET", "DUOCTL_DEBUG", "PYTHON_KEYRING_BACKEND", *BYTECODE_OFF):
        env.pop(name, None)
    env.update({"DUOCTL_CONFIG": str(config), "NO_COLOR": "1", "COLUMNS": "200"})
    return env


def median_ms(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000


@contextmanager
def secret_service() -> Iterator[str]:
    """Yield a description of the Secret Service in use; start a private one if needed."""
    if os.environ.get("DUOCTL_TEST_SECRET_SERVICE") == "1" and os.environ.get(
        "DBUS_SESSION_BUS_ADDRESS"
    ):
        yield "the Secret Service already on DBUS_SESSION_BUS_ADDRESS"
        return
    started = subprocess.run(
        ["bash", str(SECRET_SERVICE), "start", "--owner", str(os.getpid())],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if started.returncode != 0:
        sys.exit(f"could not start a Secret Service:\n{started.stderr}")
    for line in started.stdout.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        os.environ[name] = shlex.split(value)[0]
    try:
        yield "a private Secret Service started by tests/support/secret_service.sh"
    finally:
        subprocess.run(
            ["bash", str(SECRET_SERVICE), "stop"], capture_output=True, timeout=TIMEOUT, check=False
        )
