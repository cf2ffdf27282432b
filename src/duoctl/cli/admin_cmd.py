"""``duoctl admin ...``: the Admin API credential. Parse, call duoctl.admin, render."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from duoctl.cli.options import CommandGroup, JsonOption, WriteJson, YesOption, confirm
from duoctl.cli.state import AppState
from duoctl.output import render

if TYPE_CHECKING:
    from duoctl.admin.status import AdminStatus

HELP = (
    "Duo's Admin API: the credential provider create and the support commands use.\n\n"
    "Example: duoctl admin login --host api-1234abcd.duosecurity.com --ikey DIXXXXXXXXXXXXXXXXXX"
)
GROUP = CommandGroup("admin", HELP)


@GROUP.command("login")
def login(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="The API hostname, e.g. api-1234abcd.duosecurity.com.")],
    ikey: Annotated[
        str, typer.Option(help="The Admin API application's integration key (DI + 18).")
    ],
    ca_bundle: Annotated[
        str | None, typer.Option(help="PEM CA bundle to trust for this host instead of Duo's.")
    ] = None,
    skey_stdin: Annotated[
        bool,
        typer.Option(
            "--skey-stdin",
            help="Read the secret key from the first line of standard input (hidden when "
            "typed at a terminal).",
        ),
    ] = False,
    no_verify: Annotated[
        bool,
        typer.Option("--no-verify", help="Store it without asking Duo whether it works."),
    ] = False,
    json_output: WriteJson = False,
) -> None:
    """Store the Admin API credential (one per config); its secret key goes to the secret store.

    The secret key is read from a hidden prompt, from stdin (--skey-stdin) or from
    DUOCTL_ADMIN_SKEY; never from the command line. Duo is asked first whether the
    credential works (nothing is stored if it is rejected), unless --no-verify.

    Example: duoctl admin login --host api-1234abcd.duosecurity.com --ikey DIXXXXXXXXXXXXXXXXXX
    """
    from duoctl.admin import credentials
    from duoctl.outcomes.admin import AdminStored
    from duoctl.secret_input import ADMIN_SKEY_ENV, read_client_secret
    from duoctl.validation import validate_admin_skey

    state: AppState = ctx.obj
    credential, notes = credentials.validated(host, ikey, ca_bundle)
    for note in notes:
        state.streams.status(note)
    path = state.write_path
    credentials.check_store(state.secrets())
    skey = validate_admin_skey(
        read_client_secret(
            from_stdin=skey_stdin,
            streams=state.streams,
            label="Admin API secret key",
            notify=state.streams.warn,
            env_name=ADMIN_SKEY_ENV,
            stdin_option="--skey-stdin",
        )
    )
    status: AdminStatus | None = None
    if not no_verify:
        from duoctl.admin.session import session_for
        from duoctl.admin.status import check

        state.streams.status(f"- checking the credential with {credential.host}")
        session = session_for(
            credential, skey, notify=state.streams.status, factory=state.admin_api_factory
        )
        status = check(session)
    label, backend = credentials.save(path, state.secrets(), credential, skey)
    result = AdminStored(credential, label, backend, status)
    render(state.streams, "admin login", result, json_output=json_output)


@GROUP.command("status")
def status_(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Check the stored credential with read-only calls; name the permissions it lacks.

    Exit 0 when Duo accepts the credential, even with permissions missing; 8 when rejected.

    Example: duoctl admin status --json
    """
    from duoctl.admin.status import check

    state: AppState = ctx.obj
    status = check(state.admin_session())
    render(state.streams, "admin status", status, json_output=json_output)


@GROUP.command("logout")
def logout(
    ctx: typer.Context,
    yes: YesOption = False,
    keep_secret: Annotated[
        bool,
        typer.Option(
            "--keep-secret",
            help="Leave the secret store untouched (one this session cannot reach); the "
            "key stays there, unused.",
        ),
    ] = False,
    json_output: WriteJson = False,
) -> None:
    # Raw, with "\[": Rich would read "[admin]" as markup and print "the  table".
    r"""Remove the Admin API credential: the \[admin] table and its secret key.

    Example: duoctl admin logout --yes
    """
    from duoctl.outcomes.admin import logout as remove_credential

    state: AppState = ctx.obj
    what = "" if keep_secret else " and its secret key"
    confirm(state, f"Remove the Admin API credential{what}?", yes=yes)
    result = remove_credential(state.config_path, state.secrets(), keep_secret=keep_secret)
    render(state.streams, "admin logout", result, json_output=json_output)


def register(root: typer.Typer, only: str | None = None) -> None:
    GROUP.register(root, only)
