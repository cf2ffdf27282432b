"""doctor's result (DoctorResult through duoctl.output.render): the report's data and plain
lines, the failure it ends in, and a pipe that gets plain text without rich."""

from __future__ import annotations

from pathlib import Path

from duoctl.doctor.model import DoctorReport, fail, ok, skipped, warn
from duoctl.doctor.result import DoctorResult
from duoctl.errors import ExitCode
from foundation.helpers import run_duoctl, run_probed

from .conftest import write_config

REPORT = DoctorReport(
    Path("/etc/duoctl/config.toml"),
    (
        ok("global", "config.found", "found /etc/duoctl/config.toml"),
        warn("global", "config.permissions", "readable by all", "chmod 600 /etc/duoctl"),
        fail("provider:prod", "dns", "cannot resolve api-1.example", "check resolv.conf"),
        skipped("provider:prod", "tcp", "skipped: 'DNS' failed", "fix 'DNS' first"),
    ),
    ("prod",),
    0.5,
)


def test_the_text_in_a_pipe_is_a_plain_line_a_check_and_its_fix_under_it() -> None:
    lines = [line for (line,) in DoctorResult(REPORT, strict=False).rows()]
    assert lines == [
        "This machine",
        "  Config file         ok       found /etc/duoctl/config.toml",
        "  Config permissions  WARN     readable by all",
        "                               fix: chmod 600 /etc/duoctl",
        "",
        "Provider prod",
        "  DNS          FAIL     cannot resolve api-1.example",
        "                        fix: check resolv.conf",
        "  TCP connect  skipped  skipped: 'DNS' failed",
        "                        fix: fix 'DNS' first",
        "",
        "doctor FAILED: 1 ok, 1 warning(s), 1 failed, 1 skipped",
    ]


def test_the_data_is_the_report_as_the_run_judged_it() -> None:
    assert DoctorResult(REPORT, strict=True).to_dict() == REPORT.to_dict(strict=True)
    assert DoctorResult(REPORT, strict=True).to_dict()["strict"] is True


def test_a_failed_check_fails_the_run_with_the_report_as_data() -> None:
    failure = DoctorResult(REPORT, strict=False).failure()
    assert failure is not None
    assert failure.exit_code == ExitCode.CHECKS_FAILED
    assert failure.message == "doctor: 1 check(s) failed: DNS (provider prod)"
    assert failure.data == REPORT.to_dict(strict=False)


def test_warnings_fail_only_a_strict_run() -> None:
    warned = DoctorReport(REPORT.config_path, REPORT.results[:2], (), 0.1)
    assert DoctorResult(warned, strict=False).failure() is None
    failure = DoctorResult(warned, strict=True).failure()
    assert failure is not None
    assert failure.message == "doctor --strict: 1 check(s) warned: Config permissions"


def test_with_both_outputs_in_pipes_there_is_no_rich_and_no_escape(tmp_path: Path) -> None:
    # FORCE_COLOR (CI systems set it) makes rich take any stream for a terminal: a pipe is
    # told by isatty, so it still gets plain text and no live display.
    config = write_config(tmp_path / "cfg.toml", {}, mfa=False, mode=0o644)
    env = {
        "FORCE_COLOR": "1",
        "TERM": "xterm-256color",
        "DUOCTL_TEST_KEYRING_FILE": str(tmp_path / "keyring.json"),
        "DUOCTL_ALLOW_PLAINTEXT_KEYRING": "1",
    }
    args = ["doctor", "--strict", "--expect-mfa-disabled"]
    keyring = "support.keyring_backends.PlaintextFileKeyring"
    result = run_duoctl(args, config=config, keyring_backend=keyring, env=env)
    assert result.returncode == ExitCode.CHECKS_FAILED, result.stderr
    assert result.stdout.startswith("This machine\n")
    assert "error: doctor --strict:" in result.stderr
    assert "\x1b" not in result.stdout + result.stderr
    probed = run_probed(args, config=config, keyring_backend=keyring, env=env)
    assert probed.code == ExitCode.CHECKS_FAILED, probed.stderr
    assert "rich.console" not in probed.modules
