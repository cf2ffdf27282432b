"""Doctor's clock check (issue 15, row 5): the direction of the skew, the 1 s warning when
this machine is ahead of Duo, and whether NTP keeps the clock (synchronised, not, unknown).

NTP's answer comes from the real ``timedatectl`` when there is one; these tests put their
own ``timedatectl`` (a script printing yes or no), or none at all. The console-script run
against the emulator is in test_console_e2e.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from duoctl.doctor.checks_clock import clock_result
from duoctl.doctor.model import DoctorReport, Status
from duoctl.doctor.ntp import ntp_synchronised
from duoctl.duoclient import Skew, duo_time
from duoctl.emulator import Emulator
from duoctl.secrets.memory import MemorySecretStore
from support.fake_tools import fake_timedatectl

from .conftest import healthy_providers

Doctor = Callable[..., DoctorReport]

# ---- unit: the measurement and the verdict ---------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"stat": "FAIL", "code": 40002, "timestamp": 1700000000},
        {"stat": "OK", "response": {"timestamp": 1700000000}},
        {"stat": "OK", "response": {"time": 1700000000}},
    ],
)
def test_duos_time_is_read_from_every_body_shape(body: dict[str, object]) -> None:
    assert duo_time(body) == 1700000000.0


@pytest.mark.parametrize("body", [{}, {"timestamp": True}, {"response": "x"}, [], "x"])
def test_no_time_is_none_not_a_guess(body: object) -> None:
    assert duo_time(body) is None


def test_a_whole_second_stamp_is_taken_at_its_middle() -> None:
    # Duo truncates to the second: a stamp of t was taken in [t, t + 1).
    measured = Skew.measure(1000.0, started=1000.0, elapsed=0.2)
    assert measured.seconds == pytest.approx(0.4)
    assert measured.uncertainty == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("skew", "uncertainty", "status", "words"),
    [
        (-3.0, 0.6, Status.WARN, "3 s ahead of Duo's (at least 2.4 s): Duo allows no leeway"),
        # Not provably over 1 s ahead: fine, but the direction is still said.
        (-1.4, 0.6, Status.OK, "1 s ahead of Duo's, within what logins tolerate"),
        (3.0, 0.6, Status.OK, "3 s behind Duo's, within what logins tolerate"),  # SDK: 60 s
        (5.0, 0.6, Status.OK, "5 s behind Duo's, within what logins tolerate"),
        (0.3, 0.6, Status.OK, "in step with Duo's (within 1 s)"),
        (30.0, 0.6, Status.WARN, "30 s behind Duo's (logins break beyond 60 s)"),
        (-90.0, 0.6, Status.FAIL, "90 s ahead of Duo's: beyond the 60 s"),
    ],
)
def test_the_direction_decides_the_verdict(
    skew: float, uncertainty: float, status: Status, words: str
) -> None:
    result = clock_result("provider:p", Skew(skew, uncertainty), ntp=True)
    assert result.status is status
    assert words in result.detail
    assert result.detail.endswith("NTP synchronised: yes")
    assert result.data["direction"] == ("ahead" if skew < 0 else "behind")


@pytest.mark.parametrize(("ntp", "shown"), [(True, "yes"), (False, "no"), (None, "unknown")])
def test_ntp_is_shown_in_each_state(ntp: bool | None, shown: str) -> None:
    result = clock_result("provider:p", Skew(-5.0, 0.5), ntp=ntp)
    assert result.detail.endswith(f"NTP synchronised: {shown}")
    assert result.data["ntp_synchronised"] is ntp
    assert result.fix is not None
    assert ("chronyd or ntpd" in result.fix) is (ntp is None)


# ---- the seam to timedatectl -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ('[ "$*" = "show -p NTPSynchronized --value" ] && echo yes', True),
        ("echo no", False),
        ("echo 'System has not been booted with systemd' >&2; exit 1", None),
        ("echo maybe", None),
    ],
)
def test_timedatectl_answers_are_read_strictly(
    tmp_path: Path, script: str, expected: bool | None
) -> None:
    tool = fake_timedatectl(tmp_path / "bin", script) / "timedatectl"
    command = (str(tool), "show", "-p", "NTPSynchronized", "--value")
    assert ntp_synchronised(command) is expected


def test_no_timedatectl_is_unknown(tmp_path: Path) -> None:
    assert ntp_synchronised((str(tmp_path / "timedatectl"), "show")) is None


def test_a_hung_timedatectl_is_unknown(tmp_path: Path) -> None:
    tool = fake_timedatectl(tmp_path / "bin", "exec sleep 30") / "timedatectl"
    assert ntp_synchronised((str(tool),), timeout=0.2) is None


def test_ntp_is_asked_once_for_every_provider(
    config_path: Path, emu: Emulator, store: MemorySecretStore, doctor: Doctor
) -> None:
    healthy_providers(config_path, emu, store, "a", "b")
    asked: list[int] = []

    def ntp_status() -> bool | None:
        asked.append(1)
        return True

    report = doctor(config_path, ntp_status=ntp_status)
    clocks = [r for r in report.results if r.id == "clock"]
    assert [r.data["ntp_synchronised"] for r in clocks] == [True, True]
    assert len(asked) == 1
