"""Sustained health-check throughput of the emulator, as `duoctl emulator` runs it.

For 1, 4 and 16 concurrent clients, 20,000 health checks each (every one with a fresh,
signed client assertion, as the SDKs send), over kept-alive TLS connections. The emulator
runs in its own process (the code path of `duoctl emulator`, request log on); the clients
run in two other processes, so neither side's GIL throttles the other. Reported: requests
per second over the first and the last 2,000 requests, their ratio, and the server's
resident memory at the start, when the first 2,000 are done, half-way and at the end.

Assertions here live 10 s (the SDKs use up to 300 s) so that replay-cache pruning starts
within the run: "memory flat once pruning starts" is then something this run can show.

Targets (issue 10): >= 500/s sustained over the last 2,000 on 2 cores, last/first >= 0.9.
Exit 1 when a target is missed. A before/after figure: run it with PYTHONPATH set to an older
checkout's src/ (the emulator process imports duoctl from there; the clients are the same).
`--quick` runs 2,000 requests per configuration; `--clients=N` runs only that row.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import secrets
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import requests

HERE = Path(__file__).resolve().parent
WINDOW = 2_000
TOTAL = 20_000
CLIENTS = (1, 4, 16)
PROCESSES = 2
ASSERTION_LIFETIME = 10.0
TARGET_RATE = 500.0
TARGET_RATIO = 0.9


@dataclass(frozen=True)
class Target:
    """What a client needs (picklable: it crosses into the client processes)."""

    host: str
    client_id: str
    secret: str
    ca: str


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[str]
    target: Target


def start_server() -> Server:
    env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARIABLES}
    process = subprocess.Popen(
        [sys.executable, str(HERE / "_emulator_server.py"), "log"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    fields: dict[str, str] = {}
    while "CA bundle" not in fields:
        line = process.stdout.readline()
        if not line:
            raise SystemExit("the emulator did not start")
        name, _, value = line.partition(":")
        fields[name.strip()] = value.strip()
    target = Target(
        fields["api host"], fields["client ID"], fields["client secret"], fields["CA bundle"]
    )
    return Server(process, target)


_PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _assertion(server: Target, url: str) -> str:
    claims = {
        "iss": server.client_id,
        "sub": server.client_id,
        "aud": url,
        "exp": time.time() + ASSERTION_LIFETIME,
        "jti": secrets.token_hex(18),
    }
    return jwt.encode(claims, server.secret, algorithm="HS512")


def client_process(server: Target, threads: int, per_thread: int, go: Any = None) -> list[float]:
    """Run ``threads`` clients, each with its own kept-alive session; completion times.
    ``go``: a barrier to wait at once ready, so process start-up is not counted."""
    warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
    url = f"https://{server.host}/oauth/v1/health_check"
    done: list[float] = []
    lock = threading.Lock()
    failures: list[str] = []

    def one_client() -> None:
        session = requests.Session()
        session.trust_env = False  # loopback only, never through a proxy
        mine: list[float] = []
        for _ in range(per_thread):
            form = {"client_id": server.client_id, "client_assertion": _assertion(server, url)}
            response = session.post(url, data=form, verify=server.ca, timeout=30)
            if response.status_code != 200:
                failures.append(f"{response.status_code} {response.text[:200]}")
                return
            mine.append(time.monotonic())
        with lock:
            done.extend(mine)

    workers = [threading.Thread(target=one_client) for _ in range(threads)]
    if go is not None:
        go.wait()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise RuntimeError(f"{len(failures)} client(s) failed: {failures[0]}")
    return done


def _worker(args: tuple[Target, int, int], go: Any, queue: Any) -> None:
    try:
        queue.put(client_process(*args, go=go))
    except BaseException as exc:  # reported by the parent, which would otherwise wait forever
        queue.put(f"{type(exc).__name__}: {exc}")
        raise


@dataclass(frozen=True)
class Result:
    clients: int
    first: float
    last: float
    rss_start: int
    rss_window: int  # when the first window ended
    rss_half: int  # half-way through
    rss_end: int
    rates: list[float]  # per window

    @property
    def ratio(self) -> float:
        return self.last / self.first


def measure(clients: int, total: int) -> Result:
    server = start_server()
    try:
        pid = server.process.pid
        processes = min(PROCESSES, clients)
        threads = clients // processes
        per_thread = total // (processes * threads)
        rss_start = rss_kib(pid)
        context = multiprocessing.get_context("spawn")
        queue: Any = context.Queue()
        go = context.Barrier(processes + 1)
        args = (server.target, threads, per_thread)
        workers = [
            context.Process(target=_worker, args=(args, go, queue)) for _ in range(processes)
        ]
        for worker in workers:
            worker.start()
        go.wait()
        started = time.monotonic()
        # Sample the server's memory every quarter second while the load runs.
        samples: list[tuple[float, int]] = []
        times: list[float] = []
        results = 0
        while results < processes:
            try:
                got = queue.get(timeout=0.25)
            except Exception:  # queue.Empty: still running
                samples.append((time.monotonic(), rss_kib(pid)))
                if not any(w.is_alive() for w in workers) and queue.empty():
                    raise SystemExit("a client process died without a result") from None
                continue
            if isinstance(got, str):
                raise SystemExit(f"a client process failed: {got}")
            times.extend(got)
            results += 1
        for worker in workers:
            worker.join()
        rss_end = rss_kib(pid)
    finally:
        assert server.process.stdin is not None
        server.process.stdin.close()
        server.process.wait(timeout=30)
    times.sort()
    window = min(WINDOW, len(times) // 2)
    first = window / (times[window - 1] - started)
    last = window / (times[-1] - times[-window - 1])
    # Every window's rate, to show a trend (or its absence) between the first and the last.
    edges = [started, *times[window - 1 :: window]]
    rates = [window / (b - a) for a, b in itertools.pairwise(edges)]
    # Memory when the first window ended, half-way, and at the end.
    after = [rss for t, rss in samples if t >= times[window - 1]] or [rss_end]
    half = [rss for t, rss in samples if t >= times[len(times) // 2]] or [rss_end]
    return Result(clients, first, last, rss_start, after[0], half[0], rss_end, rates)


def main() -> int:
    total = 2_000 if "--quick" in sys.argv else TOTAL
    print(f"health checks/s, {total:,} requests per row, windows of {min(WINDOW, total // 2):,}")
    print(
        "clients  first/s  last/s  last/first  server RSS (MiB): start -> first window ->"
        " half-way -> end   [every window, /s]"
    )
    ok = True
    only = [int(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--clients=")]
    for clients in only or CLIENTS:
        result = measure(clients, total)
        print(
            f"{result.clients:>7}  {result.first:7.0f}  {result.last:6.0f}  {result.ratio:10.2f}"
            f"  {result.rss_start / 1024:.1f} -> {result.rss_window / 1024:.1f}"
            f" -> {result.rss_half / 1024:.1f} -> {result.rss_end / 1024:.1f}"
            f"   [{' '.join(f'{r:.0f}' for r in result.rates)}]",
            flush=True,
        )
        ok = ok and result.last >= TARGET_RATE and result.ratio >= TARGET_RATIO
    print(f"targets: last >= {TARGET_RATE:.0f}/s and last/first >= {TARGET_RATIO}: "
          f"{'met' if ok else 'MISSED'}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
