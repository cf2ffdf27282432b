"""How a Client Secret reaches a command: the option, and one-shot use for a single run."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from duoctl.cli.state import AppState

SecretStdin = Annotated[
    bool,
    typer.Option(
        "--client-secret-stdin",
        help="Read the Client Secret from the first line of standard input (hidden when "
        "typed at a terminal).",
    ),
]


def take_one_shot_secret(state: AppState, from_stdin: bool) -> bool:
    """Use a secret given for this run only (stdin or $DUOCTL_CLIENT_SECRET), if any.

    Support staff often cannot read the store (a root-only one), or want to try a secret
    before storing it. Returns whether one was taken; it is never stored.
    """
    from duoctl.secret_input import SECRET_ENV, read_client_secret

    if not from_stdin and not os.environ.get(SECRET_ENV):
        return False
    source = "standard input" if from_stdin else f"${SECRET_ENV}"
    secret = read_client_secret(
        from_stdin=from_stdin, streams=state.streams, confirm=False, notify=state.streams.warn
    )
    state.use_one_shot_secret(secret, f"{source}, this run only")
    return True
