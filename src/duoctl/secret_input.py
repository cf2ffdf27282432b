"""Where a client secret may come from: never argv (shell history, ``ps``), only these."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import IO

from duoctl.errors import ValidationError

SECRET_ENV = "DUOCTL_CLIENT_SECRET"  # noqa: S105 (a variable name, not a secret)


def _hidden_prompt(label: str) -> str:
    import getpass

    # getpass talks to /dev/tty, so the prompt never lands in a captured stdout.
    first = getpass.getpass(f"{label}: ")
    second = getpass.getpass(f"{label} (again): ")
    if first != second:
        raise ValidationError("the two entries of the Client Secret differ; nothing was changed")
    return first


def read_client_secret(
    *,
    from_stdin: bool,
    stdin: IO[str],
    environ: dict[str, str] | os._Environ[str] | None = None,
    prompt: Callable[[str], str] = _hidden_prompt,
    label: str = "Client Secret",
) -> str:
    env = os.environ if environ is None else environ
    if from_stdin:
        value = stdin.readline().rstrip("\r\n")
        if not value:
            raise ValidationError("no Client Secret on standard input")
        return value
    from_env = env.get(SECRET_ENV)
    if from_env:
        # Taken out once read: child processes (a $BROWSER, a keyring helper) must not inherit it.
        env.pop(SECRET_ENV, None)
        return from_env
    if stdin.isatty():
        return prompt(label)
    raise ValidationError(
        "no Client Secret given",
        hint=f"type it at the hidden prompt (run in a terminal), pipe it with "
        f"--client-secret-stdin, or set {SECRET_ENV}",
    )
