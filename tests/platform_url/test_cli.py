"""``duoctl platform url ...`` through the console script, and mfa enable's warning."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from foundation.helpers import config_with, run_duoctl, write_private


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    write_private(path, config_with(1))
    return path


def test_set_show_unset(tmp_path: Path) -> None:
    config = _config(tmp_path)
    shown = run_duoctl(["platform", "url", "show", "--json"], config=config)
    assert shown.returncode == 0
    assert json.loads(shown.stdout)["data"] == {"url": None, "ca_bundle": None}
    assert "not set" in shown.stderr

    done = run_duoctl(["platform", "url", "set", "https://PAM.example.com:8443/"], config=config)
    assert done.returncode == 0, done.stderr
    assert "set to https://pam.example.com:8443" in done.stderr
    assert "normalised from" in done.stderr
    assert done.stdout == ""
    assert 'url = "https://pam.example.com:8443"' in config.read_text()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600

    again = run_duoctl(["platform", "url", "set", "https://pam.example.com:8443"], config=config)
    assert "nothing changed" in again.stderr
    text = run_duoctl(["platform", "url", "show"], config=config)
    assert text.stdout == "url: https://pam.example.com:8443\n"

    gone = run_duoctl(["platform", "url", "unset"], config=config)
    assert gone.returncode == 0
    assert "removed" in gone.stderr
    assert "url =" not in config.read_text()
    assert "nothing changed" in run_duoctl(["platform", "url", "unset"], config=config).stderr


def test_ca_bundle_is_kept_with_the_url(tmp_path: Path) -> None:
    import trustme

    config = _config(tmp_path)
    bundle = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(bundle))
    done = run_duoctl(
        ["platform", "url", "set", "https://pam.example.com", "--ca-bundle", str(bundle)],
        config=config,
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(run_duoctl(["platform", "url", "show", "--json"], config=config).stdout)
    assert shown["data"] == {"url": "https://pam.example.com", "ca_bundle": str(bundle)}
    missing = run_duoctl(
        ["platform", "url", "set", "https://pam.example.com", "--ca-bundle", "/nope.pem"],
        config=config,
    )
    assert missing.returncode == 3


def test_bad_values_exit_3_with_one_message(tmp_path: Path) -> None:
    config = _config(tmp_path)
    before = config.read_bytes()
    for url, says in [
        ("http://pam.example.com", "must use https"),
        ("https://192.0.2.7", "Duo rejects IP literals"),
        ("https://a@pam.example.com", "user name or password"),
        ("https://pam.example.com/login", "no path"),
    ]:
        result = run_duoctl(["platform", "url", "set", url], config=config)
        assert result.returncode == 3, result.stderr
        assert says in result.stderr
        assert result.stderr.count("error:") == 1
        assert "Traceback" not in result.stderr
    assert config.read_bytes() == before


def test_a_bad_value_in_the_file_is_a_config_error(tmp_path: Path) -> None:
    config = _config(tmp_path)
    for table, code in [
        ('[platform]\nurl = "http://x.example.com"\n', "must use https"),
        ('[platform]\nurl = "https://PAM.example.com"\n', "not in its normal form"),
        ("[platform]\nurls = 1\n", "did you mean 'url'"),
    ]:
        write_private(config, config_with(1) + "\n" + table)
        result = run_duoctl(["mfa", "status"], config=config)
        assert result.returncode == 4
        assert code in result.stderr


def test_mfa_enable_warns_while_the_url_is_unset(tmp_path: Path) -> None:
    config = _config(tmp_path)
    enabled = run_duoctl(["mfa", "enable", "--yes", "--failmode", "closed"], config=config)
    assert enabled.returncode == 0
    assert "URL Application parameter is not set" in enabled.stderr
    run_duoctl(["mfa", "disable", "--yes"], config=config)
    run_duoctl(["platform", "url", "set", "https://pam.example.com"], config=config)
    quiet = run_duoctl(["mfa", "enable", "--yes", "--failmode", "closed"], config=config)
    assert quiet.returncode == 0
    assert "URL Application" not in quiet.stderr
