"""``duoctl provider ...``: parse, call duoctl.providers, render. Nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from duoctl.cli.options import CommandGroup, ForceOption, JsonOption, WriteJson, YesOption, confirm
from duoctl.cli.secret_options import SecretStdin
from duoctl.cli.state import AppState
from duoctl.output import render, render_outcome

if TYPE_CHECKING:
    from duoctl.admin.provision import AppDeletion
    from duoctl.admin.session import AdminSession
    from duoctl.config.model import Provider
    from duoctl.errors import DuoctlError

HELP = "Manage Duo Security MFA providers.\n\nExample: duoctl provider list"

GROUP = CommandGroup("provider", HELP)


@GROUP.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Provider name: letters, digits, '-', '_', '.'.")],
    endpoint: Annotated[
        str, typer.Option(help="Duo API hostname, e.g. api-1234abcd.duosecurity.com.")
    ],
    client_id: Annotated[str, typer.Option(help="The Web SDK application's Client ID (20 chars).")],
    disabled: Annotated[bool, typer.Option("--disabled", help="Register it switched off.")] = False,
    ca_bundle: Annotated[
        str | None, typer.Option(help="PEM CA bundle to trust for this endpoint instead of Duo's.")
    ] = None,
    client_secret_stdin: SecretStdin = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Run Duo's health check with these credentials first; store nothing if it fails.",
        ),
    ] = False,
    json_output: WriteJson = False,
) -> None:
    """Register a Duo Security provider; its Client Secret goes to the secret store.

    The secret is read from a hidden prompt, from stdin (--client-secret-stdin) or from
    DUOCTL_CLIENT_SECRET; never from the command line. The name, endpoint and Client ID are
    checked, and the store too, before the secret is asked for.

    Example: duoctl provider add prod --endpoint api-1234abcd.duosecurity.com
    --client-id DIXXXXXXXXXXXXXXXXXX
    """
    from duoctl.outcomes.provider import ProviderAdded
    from duoctl.providers import add_provider, prepare_add
    from duoctl.secret_input import read_client_secret

    state: AppState = ctx.obj
    prepared = prepare_add(
        state.write_path,
        state.secrets(),
        name=name,
        endpoint=endpoint,
        client_id=client_id,
        enabled=not disabled,
        ca_bundle=ca_bundle,
    )
    for note in prepared.notes:
        state.streams.status(note)
    secret = read_client_secret(
        from_stdin=client_secret_stdin, streams=state.streams, notify=state.streams.warn
    )
    if verify:
        from duoctl.duoclient import DEFAULT_NETWORK_TIMEOUT
        from duoctl.providers import verify_credentials

        target = prepared.provider.endpoint
        state.streams.status(f"- health check of {target} with these credentials")
        health = verify_credentials(
            prepared.provider, secret, state.duo_client_factory, timeout=DEFAULT_NETWORK_TIMEOUT
        )
        state.streams.status(f"- Duo accepted them ({health.elapsed * 1000:.0f} ms)")
    view = add_provider(
        state.write_path,
        state.secrets(),
        name=name,
        endpoint=endpoint,
        client_id=client_id,
        client_secret=secret,
        enabled=not disabled,
        ca_bundle=ca_bundle,
        store_checked=True,
    )
    render(state.streams, "provider add", ProviderAdded(view), json_output=json_output)


@GROUP.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Provider name: letters, digits, '-', '_', '.'.")],
    disabled: Annotated[bool, typer.Option("--disabled", help="Register it switched off.")] = False,
    duo_name: Annotated[
        str | None,
        typer.Option("--duo-name", help="The application's name in Duo (default: NAME)."),
    ] = None,
    json_output: WriteJson = False,
) -> None:
    """Create the Web SDK application in Duo (Admin API) and register it as a provider.

    In order: creates the application, stores its Client Secret in the secret store (never
    shown), registers the provider with its Client ID and the API hostname, and runs Duo's
    health check with them. A failure undoes every step already done, the Duo application
    included, and says what remains. Needs 'duoctl admin login' first.

    Example: duoctl provider create prod --disabled --duo-name "PAM production"
    """
    from duoctl.admin.provision import create_provider
    from duoctl.duoclient import DEFAULT_NETWORK_TIMEOUT
    from duoctl.outcomes.provider import ProviderCreated
    from duoctl.providers import verify_credentials
    from duoctl.validation import validate_name

    state: AppState = ctx.obj
    validate_name(name)  # a typo is reported before the Admin API credential is read

    def health_check(provider: Provider, secret: str) -> float:
        result = verify_credentials(
            provider, secret, state.duo_client_factory, timeout=DEFAULT_NETWORK_TIMEOUT
        )
        return result.elapsed * 1000

    created = create_provider(
        state.write_path,
        state.secrets(),
        state.admin_session(),
        name=name,
        duo_name=duo_name,
        enabled=not disabled,
        health_check=health_check,
        notify=state.streams.status,
    )
    render(state.streams, "provider create", ProviderCreated(*created), json_output=json_output)


@GROUP.command("list")
def list_(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """List providers (never their secrets).

    Example: duoctl provider list --json
    """
    from duoctl.cli.plain import provider_list

    provider_list(ctx.obj, json_output)


@GROUP.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Provider name.")],
    json_output: JsonOption = False,
) -> None:
    """Show one provider, and whether its secret is in the secret store (never the secret).

    Example: duoctl provider show prod
    """
    from duoctl.providers import show_provider

    state: AppState = ctx.obj
    view = show_provider(state.config_path, name, state.secrets())
    render(state.streams, "provider show", view, json_output=json_output)


@GROUP.command("remove")
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Provider name.")],
    yes: YesOption = False,
    keep_secret: Annotated[
        bool,
        typer.Option(
            "--keep-secret",
            help="Leave the secret store untouched (e.g. a desktop keyring this session "
            "cannot reach); doctor then reports the secret as orphaned.",
        ),
    ] = False,
    force: ForceOption = False,
    delete_app: Annotated[
        bool,
        typer.Option(
            "--delete-app",
            help="Also delete its Web SDK application in Duo (Admin API; after a "
            "confirmation that names it).",
        ),
    ] = False,
    json_output: WriteJson = False,
) -> None:
    """Remove a provider and its secret (--delete-app: and its application in Duo).

    Example: duoctl provider remove prod --yes
    """
    from duoctl.config.reader import load_config
    from duoctl.outcomes.provider import ProviderRemoved, delete_app_after
    from duoctl.providers import remove_provider

    state: AppState = ctx.obj
    state_config = state.config_path
    app: AppDeletion | None = None
    session: AdminSession | None = None
    if delete_app:
        from duoctl.admin.provision import app_of

        session = state.admin_session()
        app = app_of(session, load_config(state_config).provider(name))
    if not yes or app is not None:
        load_config(state_config).provider(name)  # fail before asking about a ghost
        what = "" if keep_secret else " and its Client Secret"
        if app is not None and app.exists:
            what += (
                f", and DELETE the Duo application {app.duo_name!r} ({app.integration_key}) "
                "for good (every login through it stops)"
            )
        elif app is not None:
            what += f" (its Duo application {app.integration_key} is already gone)"
        confirm(state, f"Remove provider {name!r}{what}?", yes=yes)
    removal = remove_provider(
        state_config, name, state.secrets(), keep_secret=keep_secret, force=force
    )
    result = ProviderRemoved(removal, keep_secret, app)
    failure: DuoctlError | None = None
    if session is not None:
        result, failure = delete_app_after(state_config, session, result)
    render_outcome(state.streams, "provider remove", result, failure, json_output=json_output)


def _set_enabled(
    ctx: typer.Context, name: str, enabled: bool, json_output: bool, force: bool = False
) -> None:
    from duoctl.outcomes.provider import ProviderSwitched
    from duoctl.providers import set_enabled

    state: AppState = ctx.obj
    result = ProviderSwitched(*set_enabled(state.config_path, name, enabled, force=force))
    command = f"provider {'enable' if enabled else 'disable'}"
    render(state.streams, command, result, json_output=json_output)


@GROUP.command("enable")
def enable(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Provider name.")],
    json_output: WriteJson = False,
) -> None:
    """Switch a provider on. Example: duoctl provider enable prod"""
    _set_enabled(ctx, name, True, json_output)


@GROUP.command("disable")
def disable(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Provider name.")],
    force: ForceOption = False,
    json_output: WriteJson = False,
) -> None:
    """Switch a provider off (kept, with its secret); refused if it is the last enabled one
    while external MFA is on, unless --force.

    Example: duoctl provider disable prod
    """
    _set_enabled(ctx, name, False, json_output, force)


@GROUP.command("edit")
def edit(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Provider name.")],
    endpoint: Annotated[str | None, typer.Option(help="New Duo API hostname.")] = None,
    client_id: Annotated[str | None, typer.Option(help="New Client ID.")] = None,
    ca_bundle: Annotated[str | None, typer.Option(help="New PEM CA bundle path.")] = None,
    clear_ca_bundle: Annotated[
        bool, typer.Option("--clear-ca-bundle", help="Go back to Duo's pinned CA bundle.")
    ] = False,
    rotate_secret: Annotated[
        bool,
        typer.Option(
            "--rotate-secret",
            help="Replace the Client Secret (hidden prompt, --client-secret-stdin or "
            "DUOCTL_CLIENT_SECRET).",
        ),
    ] = False,
    client_secret_stdin: SecretStdin = False,
    json_output: WriteJson = False,
) -> None:
    """Change a provider's endpoint, Client ID or CA bundle, or rotate its secret.

    Example: duoctl provider edit prod --rotate-secret --client-secret-stdin < secret.txt
    """
    from duoctl.errors import UsageError
    from duoctl.outcomes.provider import ProviderEdited
    from duoctl.providers import edit_provider
    from duoctl.secret_input import read_client_secret

    state: AppState = ctx.obj
    if client_secret_stdin and not rotate_secret:
        raise UsageError(
            "--client-secret-stdin only makes sense with --rotate-secret",
            hint="duoctl provider edit NAME --rotate-secret --client-secret-stdin",
        )
    if ca_bundle is not None and clear_ca_bundle:
        raise UsageError("give either --ca-bundle or --clear-ca-bundle, not both")
    new_secret = (
        read_client_secret(
            from_stdin=client_secret_stdin,
            streams=state.streams,
            label="New Client Secret",
            notify=state.streams.warn,
        )
        if rotate_secret
        else None
    )
    view = edit_provider(
        state.config_path,
        name,
        state.secrets(),
        endpoint=endpoint,
        client_id=client_id,
        new_secret=new_secret,
        ca_bundle=ca_bundle,
        clear_ca_bundle=clear_ca_bundle,
    )
    result = ProviderEdited(view, secret_rotated=rotate_secret)
    render(state.streams, "provider edit", result, json_output=json_output)


SECRET = GROUP.group(
    "secret", "A provider's Client Secret.\n\nExample: duoctl provider secret reveal prod"
)


@SECRET.command("reveal")
def reveal(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Provider name.")],
    yes: YesOption = False,
    force_pipe: Annotated[
        bool,
        typer.Option("--force-pipe", help="Print it even when standard output is not a terminal."),
    ] = False,
) -> None:
    """Print a provider's Client Secret, for the platform's own provider form.

    Only to a terminal (unless --force-pipe), after a confirmation, and recorded in the
    audit trail. Like 'gh auth token': the deliberate way out of the store.

    Example: duoctl provider secret reveal prod
    """
    from duoctl.errors import UsageError
    from duoctl.secret_reveal import reveal_secret

    state: AppState = ctx.obj
    path = state.config_path
    if not force_pipe and not state.streams.out.isatty():
        raise UsageError(
            "standard output is not a terminal: the Client Secret is not printed into a "
            "pipe or a file",
            hint=f"run it at a terminal, or add --force-pipe: duoctl provider secret reveal "
            f"{name} --force-pipe",
        )
    from duoctl.config.reader import load_config

    load_config(path).provider(name)  # fail before asking about a ghost
    confirm(state, f"Print the Client Secret of provider {name!r}?", yes=yes)
    secret = reveal_secret(path, name, state.secrets())
    state.streams.out.write(secret + "\n")
    state.streams.out.flush()


def register(root: typer.Typer, only: str | None = None) -> None:
    GROUP.register(root, only)
