"""The trail under load and under kill -9: parallel writers each get their record in one
valid chain, and a crash loop never leaves a config state without its record."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

from duoctl.audit.log import audit_path
from duoctl.audit.record import config_digest
from foundation.helpers import DUOCTL, child_env, config_with, run_duoctl, run_duoctl_many

WRITERS = 50
KILLS = 40


def test_fifty_parallel_writers_give_fifty_records_in_one_chain(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(config_with(WRITERS, mfa=False))
    config.chmod(0o600)
    calls = [(["provider", "disable", f"p{i}"], {"config": config}) for i in range(WRITERS)]
    results = run_duoctl_many(calls, workers=WRITERS)
    assert [r.returncode for r in results] == [0] * WRITERS, [r.stderr for r in results]

    records = [json.loads(line) for line in audit_path(config).read_text().splitlines()]
    assert len(records) == WRITERS
    assert sorted(r["targets"][0] for r in records) == sorted(
        f"provider p{i}" for i in range(WRITERS)
    )
    verified = run_duoctl(["audit", "verify", "--json"], config=config)
    assert verified.returncode == 0, verified.stderr
    data = json.loads(verified.stdout)["data"]
    assert data["records"] == WRITERS
    assert data["incomplete"] == []


def _duration_of_a_write(config: Path) -> float:
    """The slowest of three uninterrupted writes (each undone by the next)."""
    spans = []
    for verb in ("disable", "enable", "disable"):
        started = time.monotonic()
        assert run_duoctl(["provider", verb, "p3"], config=config).returncode == 0
        spans.append(time.monotonic() - started)
    return max(spans)


def test_kill_9_loop_leaves_a_valid_chain_and_every_state_its_record(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(config_with(4, mfa=False))
    config.chmod(0o600)
    seen = {config_digest(config.read_text())}
    initial = next(iter(seen))
    rng = random.Random(12)
    # How long a whole write takes on this machine, now: kills are spread over that span
    # (before, during and after the locked write), however fast or loaded the machine is.
    span = _duration_of_a_write(config)
    seen.add(config_digest(config.read_text()))
    killed = 0
    for attempt in range(KILLS):
        name = f"p{attempt % 4}"
        verb = "disable" if (attempt // 4) % 2 == 0 else "enable"
        child = subprocess.Popen(
            [DUOCTL, "provider", verb, name],
            env=child_env(config),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.05, 1.0) * span)
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            killed += 1
        child.wait(timeout=30)
        seen.add(config_digest(config.read_text()))
    assert killed >= KILLS // 4, "too few kills landed to test anything"

    finisher = run_duoctl(["provider", "disable", "p0"], config=config)
    assert finisher.returncode == 0, finisher.stderr
    seen.add(config_digest(config.read_text()))
    verified = run_duoctl(["audit", "verify", "--json"], config=config)
    assert verified.returncode == 0, verified.stderr
    records = [json.loads(line) for line in audit_path(config).read_text().splitlines()]
    recorded = {r["config_after"] for r in records} | {initial}
    assert seen <= recorded, "a config state exists that no record describes"
    # A record whose change never landed is reported, not hidden.
    incomplete = set(json.loads(verified.stdout)["data"]["incomplete"])
    for index, record in enumerate(records[:-1]):
        landed = record["config_after"] == records[index + 1]["config_before"]
        assert (record["seq"] in incomplete) == (not landed)
