"""``duoctl emulator --json`` as a CI would run it: a subprocess, its banner read from stdout,
the control API driven over HTTPS with the CA the banner names."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duo_universal
import requests

BANNER_TIMEOUT = 60.0  # generous: two shared cores under a full suite
REDIRECT_URI = "http://localhost:8080/duo-callback"


def duoctl_argv() -> list[str]:
    """This checkout's console script (the venv's bin is first on PATH in make test)."""
    found = shutil.which("duoctl")
    if found is not None:
        return [found]
    return [sys.executable, "-m", "duoctl"]


def clean_env() -> dict[str, str]:
    env = {**os.environ, "NO_COLOR": "1"}
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        env.pop(name, None)  # loopback only, never through a proxy
    return env


@dataclass
class RunningEmulator:
    process: subprocess.Popen[str]
    banner: dict[str, Any]
    stdout_rest: queue.Queue[str]

    @property
    def ca(self) -> str:
        return str(self.banner["ca_bundle"])

    def control(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        control = self.banner["control"]
        headers = {"Authorization": f"Bearer {control['token']}", **kwargs.pop("headers", {})}
        return requests.request(
            method, control["url"] + path, headers=headers, verify=self.ca, timeout=10, **kwargs
        )

    def secret(self) -> str:
        return Path(self.banner["client_secret_file"]).read_text().strip()

    def client(self, client_id: str | None = None, secret: str | None = None) -> Any:
        return duo_universal.Client(
            client_id or self.banner["client_id"],
            secret or self.secret(),
            self.banner["api_host"],
            REDIRECT_URI,
            duo_certs=self.ca,
        )


def _pump(stream: Any, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)
    lines.put("")  # end of stream


@contextmanager
def running_emulator(*args: str, cwd: Path | None = None) -> Iterator[RunningEmulator]:
    """Start ``duoctl emulator --json ARGS``, yield once its banner is read, SIGTERM it after
    (and check it exited 0 with nothing more on stdout)."""
    process = subprocess.Popen(
        [*duoctl_argv(), "emulator", "--json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
        cwd=cwd,
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    try:
        first = lines.get(timeout=BANNER_TIMEOUT)
        if not first:
            process.wait(10)
            assert process.stderr is not None
            raise AssertionError(f"no banner; exit {process.returncode}: {process.stderr.read()}")
        document = json.loads(first)
        assert document["ok"] is True
        assert (document["duoctl"], document["command"]) == (1, "emulator")
        running = RunningEmulator(process, document["data"], lines)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert lines.get(timeout=5) == "", "stdout holds more than the JSON document"


def prose_banner(*args: str) -> str:
    """``duoctl emulator ARGS`` (no ``--json``): its stdout up to the ``users:`` line, which
    ends the banner's head; the process is terminated after."""
    process = subprocess.Popen(
        [*duoctl_argv(), "emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=clean_env(),
    )
    text = ""
    try:
        assert process.stdout is not None
        line = "-"
        while line != "users:\n":
            line = process.stdout.readline()
            assert line, text
            text += line
    finally:
        process.terminate()
        process.wait(20)
    return text


def run_failing(*args: str) -> subprocess.CompletedProcess[str]:
    """``duoctl emulator --json ARGS`` expected to exit before any banner."""
    return subprocess.run(
        [*duoctl_argv(), "emulator", "--json", *args],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=BANNER_TIMEOUT,
        check=False,
    )


def login(client: Any, username: str) -> dict[str, Any]:
    """The SDK's whole flow, the browser's first hop done by requests (redirect not
    followed): what the callback carried and, when there was a code, the token's claims."""
    state = client.generate_state()
    hop = requests.get(
        client.create_auth_url(username, state),
        verify=client._duo_certs,
        allow_redirects=False,
        timeout=30,
    )
    location = hop.headers.get("Location")
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()} if location else {}
    result: dict[str, Any] = {"status": hop.status_code, "callback": params}
    if "duo_code" in params:
        result["token"] = client.exchange_authorization_code_for_2fa_result(
            params["duo_code"], username
        )
    return result


def names(seen: Sequence[dict[str, Any]]) -> list[str]:
    return [f"{r['method']} {r['path']} {r['status']}" for r in seen]
