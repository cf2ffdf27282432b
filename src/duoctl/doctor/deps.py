"""What a doctor run is handed: its side effects (so that tests can replace them) and its
time limits."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from duoctl.doctor.checks_network import CERT_WARN_DAYS, Resolver, system_resolver
from duoctl.doctor.ntp import NtpStatus, ntp_synchronised
from duoctl.duoclient import DuoClientFactory, official_client
from duoctl.secrets import SecretStore


@dataclass(frozen=True)
class Timeouts:
    """Seconds. The defaults keep a run under 10 s even when every host black-holes."""

    dns: float = 3.0
    connect: float = 3.0
    tls: float = 3.0
    health: float = 4.0
    keyring: float = 3.0
    overall: float = 9.0


@dataclass(frozen=True)
class DoctorDeps:
    """Everything with a side effect, handed in so that tests can replace it."""

    secrets: SecretStore
    resolver: Resolver = system_resolver
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    client_factory: DuoClientFactory = official_client
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    timeouts: Timeouts = Timeouts()
    cert_warn_days: float = CERT_WARN_DAYS
    ntp_status: NtpStatus = ntp_synchronised
