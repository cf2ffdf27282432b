"""Where a client secret may come from: never argv (shell history, ``ps``), only these."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from duoctl.errors import SecretStoreError, ValidationError

if TYPE_CHECKING:
    from duoctl.output import Streams

SECRET_ENV = "DUOCTL_CLIENT_SECRET"  # noqa: S105 (a variable name, not a secret)
ADMIN_SKEY_ENV = "DUOCTL_ADMIN_SKEY"  # the Admin API secret key, for `admin login`
PASSPHRASE_FILE_ENV = "DUOCTL_STORE_PASSPHRASE_FILE"  # noqa: S105 (a variable name)
PROMPT_ATTEMPTS = 3


def _getpass(prompt: str) -> str:
    import getpass

    # getpass talks to /dev/tty, so the prompt never lands in a captured stdout.
    return getpass.getpass(prompt)


def confirmed_prompt(label: str, ask: Callable[[str], str] = _getpass) -> str:
    """Ask twice, hidden; on a mismatch ask again, up to three times."""
    for attempt in range(1, PROMPT_ATTEMPTS + 1):
        first = ask(f"{label}: ")
        second = ask(f"{label} (again): ")
        if first == second:
            return first
        if attempt < PROMPT_ATTEMPTS:
            import sys

            sys.stderr.write(f"the two entries differ; try again ({attempt} of 3)\n")
    raise ValidationError(
        f"the two entries of the {label} differed {PROMPT_ATTEMPTS} times; nothing was changed"
    )


def read_client_secret(
    *,
    from_stdin: bool,
    streams: Streams,
    environ: dict[str, str] | os._Environ[str] | None = None,
    prompt: Callable[[str], str] | None = None,
    label: str = "Client Secret",
    confirm: bool = True,
    notify: Callable[[str], None] | None = None,
    env_name: str = SECRET_ENV,
    stdin_option: str = "--client-secret-stdin",
) -> str:
    """The secret from stdin (hidden at a terminal), $DUOCTL_CLIENT_SECRET (``env_name``),
    or a prompt.

    ``confirm``: a secret that will be stored is typed twice; a one-shot one once.
    ``notify`` hears where the secret came from when that is easy to forget (the variable).
    """
    env = os.environ if environ is None else environ
    if from_stdin:
        if streams.can_prompt():
            # A person is typing: hide it, as a prompt would (stdin would echo it).
            value = (prompt or _getpass)(f"{label}: ")
        else:
            value = streams.stdin.readline().rstrip("\r\n")
        if not value:
            raise ValidationError(f"no {label} on standard input")
        return value
    from_env = env.get(env_name)
    if from_env:
        # Taken out once read: child processes (a $BROWSER, a keyring helper) must not inherit it.
        env.pop(env_name, None)
        if notify is not None:
            notify(f"using the {label} from ${env_name} (unset it if that is not intended)")
        return from_env
    if streams.can_prompt():
        ask = prompt or _getpass
        return confirmed_prompt(label, ask) if confirm else ask(f"{label}: ")
    raise ValidationError(
        f"no {label} given",
        hint=f"type it at the hidden prompt (run in a terminal), pipe it with "
        f"{stdin_option}, or set {env_name}",
    )


def read_store_passphrase(
    *,
    confirm: bool,
    interactive: bool,
    environ: Mapping[str, str] | None = None,
    ask: Callable[[str], str] = _getpass,
) -> str:
    """The encrypted-file store's passphrase: from $DUOCTL_STORE_PASSPHRASE_FILE, or typed."""
    env = os.environ if environ is None else environ
    path = env.get(PASSPHRASE_FILE_ENV)
    label = "passphrase of the encrypted-file secret store"
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                if os.fstat(handle.fileno()).st_mode & 0o077:
                    raise SecretStoreError(
                        f"{PASSPHRASE_FILE_ENV} names {path}, which others may read",
                        hint=f"chmod 600 {path}",
                    )
                value = handle.readline(4096).rstrip("\r\n")
        except OSError as exc:
            raise SecretStoreError(
                f"cannot read the store passphrase from {path} ({PASSPHRASE_FILE_ENV}): "
                f"{exc.strerror}"
            ) from None
        if not value:
            raise SecretStoreError(f"{path} ({PASSPHRASE_FILE_ENV}) holds no passphrase")
        return value
    if interactive:
        return (
            confirmed_prompt(label.capitalize(), ask) if confirm else ask(f"{label.capitalize()}: ")
        )
    raise SecretStoreError(
        "the encrypted-file secret store needs its passphrase, and no terminal can ask for it",
        hint=f"set {PASSPHRASE_FILE_ENV} to a 0600 file holding the passphrase, or run in a "
        "terminal",
    )
