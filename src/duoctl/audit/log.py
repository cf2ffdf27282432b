"""The audit log file: append under the config lock, read back, check the hash chain.

Each line is one JSON record carrying ``seq`` (1, 2, ...), ``prev`` (the previous record's
``hash``) and its own ``hash`` (SHA-256 of the record without that key, canonical JSON).
Editing a record breaks its own hash; deleting one breaks the ``seq`` and ``prev`` of the
record that now sits in its place. Both are named by :func:`verify`.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duoctl.errors import ConfigError
from duoctl.fileio import fsync_dir, open_private

GENESIS = "0" * 64
_TAIL = 65536


def audit_path(config_path: Path) -> Path:
    """``config.toml`` -> ``config.audit.jsonl``, in the same directory."""
    return config_path.with_name(f"{config_path.stem}.audit.jsonl")


def _canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(_canonical(body)).hexdigest()


def _last_complete_line(fd: int, size: int) -> tuple[bytes | None, int]:
    """The last newline-terminated line, and where the complete part of the file ends.

    Bytes after the last newline are a record a killed writer never finished.
    """
    start = max(0, size - _TAIL)
    while True:
        os.lseek(fd, start, os.SEEK_SET)
        chunk = b""
        while len(chunk) < size - start:
            more = os.read(fd, size - start - len(chunk))
            if not more:
                break
            chunk += more
        end = chunk.rfind(b"\n")
        if end == -1 and start > 0:
            start = max(0, start - _TAIL * 16)
            continue
        if end == -1:
            return None, 0
        prev_end = chunk.rfind(b"\n", 0, end)
        if prev_end == -1 and start > 0:
            start = max(0, start - _TAIL * 16)
            continue
        return chunk[prev_end + 1 : end], start + end + 1


def append(config_path: Path, fields: dict[str, Any]) -> dict[str, Any]:
    """Append one record (``seq``, ``prev`` and ``hash`` added); fsynced before returning.

    Call only under the config lock. A torn last line (a writer killed mid-append, before
    its config write) is cut off first: that change never happened.
    """
    path = audit_path(config_path)
    try:
        created = not path.exists()
        fd = open_private(path, os.O_RDWR)
    except OSError as exc:
        raise ConfigError(
            f"cannot open the audit trail {path}: {exc.strerror}",
            hint="nothing was changed: every change needs its audit record",
        ) from None
    try:
        size = os.fstat(fd).st_size
        last, complete_end = _last_complete_line(fd, size)
        if complete_end != size:
            os.ftruncate(fd, complete_end)
        prev, seq = GENESIS, 1
        if last is not None:
            try:
                previous = json.loads(last)
                prev, seq = str(previous["hash"]), int(previous["seq"]) + 1
            except (ValueError, KeyError, TypeError):
                raise ConfigError(
                    f"the last record of the audit trail {path} is damaged",
                    hint="run 'duoctl audit verify'; nothing was changed",
                ) from None
        record = {"seq": seq, **fields, "prev": prev}
        record["hash"] = record_hash(record)
        os.lseek(fd, 0, os.SEEK_END)
        os.write(fd, _canonical(record) + b"\n")
        os.fsync(fd)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the audit trail {path}: {exc.strerror}",
            hint="nothing was changed: every change needs its audit record",
        ) from None
    finally:
        os.close(fd)
    if created:
        fsync_dir(path.parent)
    return record


@dataclass
class Trail:
    records: list[dict[str, Any]] = field(default_factory=list)
    # A problem that ends the usable part: (1-based line, message). None: the chain holds.
    broken: tuple[int, str] | None = None
    torn_tail: bool = False  # bytes after the last newline: a writer killed mid-append


def read_trail(config_path: Path) -> Trail:
    """Every record, checking the chain as it goes; stops at the first broken record."""
    path = audit_path(config_path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Trail()
    except OSError as exc:
        raise ConfigError(f"cannot read the audit trail {path}: {exc.strerror}") from None
    trail = Trail()
    lines = raw.split(b"\n")
    trail.torn_tail = lines[-1] != b""
    prev, seq = GENESIS, 1
    for number, line in enumerate(lines[:-1], start=1):
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError
        except ValueError:
            trail.broken = (number, "not a JSON record")
            return trail
        if record.get("hash") != record_hash(record):
            trail.broken = (number, "its content does not match its hash (edited)")
        elif record.get("seq") != seq:
            trail.broken = (
                number,
                f"expected record {seq}, found {record.get('seq')!r} (a record was deleted "
                "or moved)",
            )
        elif record.get("prev") != prev:
            trail.broken = (number, "it does not follow the record before it (deleted or edited)")
        if trail.broken:
            return trail
        trail.records.append(record)
        prev, seq = record["hash"], seq + 1
    return trail


def incomplete(records: list[dict[str, Any]], current_digest: str | None) -> set[int]:
    """The ``seq`` of records whose config change is not what followed them.

    A record is written before its config: a kill between the two, or a config edited by
    hand afterwards, leaves a record whose ``config_after`` the next state does not match.
    Records a later failure record ``voids`` are reported as such, not here.
    """
    found: set[int] = set()
    voided = {r["voids"] for r in records if "voids" in r}  # said by a failure record
    for index, record in enumerate(records):
        if record["seq"] in voided:
            continue
        following = (
            records[index + 1].get("config_before") if index + 1 < len(records) else current_digest
        )
        if record.get("config_after") != following:
            found.add(int(record["seq"]))
    return found
