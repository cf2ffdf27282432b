"""``duoctl platform url ...``: the platform's URL Application parameter."""

from __future__ import annotations

from typing import Annotated

import typer

from duoctl.cli.options import JsonOption
from duoctl.cli.state import AppState

HELP = "Platform parameters Duo depends on.\n\nExample: duoctl platform url show"
URL_HELP = (
    'The "URL Application" parameter: the https URL, with the instance\'s DNS name, that Duo '
    "sends users' browsers back to.\n\nExample: duoctl platform url set https://pam.example.com"
)


def set_url(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="https://NAME[:PORT], e.g. https://pam.example.com")],
    ca_bundle: Annotated[
        str | None,
        typer.Option("--ca-bundle", help="PEM file with the CA that signs its certificate."),
    ] = None,
) -> None:
    """Set the URL Application parameter (https, a DNS name, no path).

    Example: duoctl platform url set https://pam.example.com
    """
    from duoctl.platform_url import set_platform_url

    state: AppState = ctx.obj
    result = set_platform_url(state.write_path, url, ca_bundle=ca_bundle)
    if result.changed:
        state.streams.status(f"platform URL Application parameter set to {result.url}")
    else:
        state.streams.status(f"platform URL is already {result.url}; nothing changed")
    if result.url != url.strip():
        state.streams.status(f"(normalised from {url.strip()!r})")


def show_url(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Show the URL Application parameter.

    Example: duoctl platform url show --json
    """
    from duoctl.output import render
    from duoctl.platform_url import show_platform_url

    state: AppState = ctx.obj
    result = show_platform_url(state.config_path)
    render(state.streams, "platform url show", result, json_output=json_output)


def unset_url(ctx: typer.Context) -> None:
    """Remove the URL Application parameter from the config.

    Example: duoctl platform url unset
    """
    from duoctl.platform_url import unset_platform_url

    state: AppState = ctx.obj
    result = unset_platform_url(state.write_path)
    state.streams.status(
        "platform URL Application parameter removed"
        if result.changed
        else "platform URL is not set; nothing changed"
    )


def register(root: typer.Typer, only: str | None = None) -> None:
    platform = typer.Typer(help=HELP, no_args_is_help=True)
    url = typer.Typer(help=URL_HELP, no_args_is_help=True)
    url.command("set")(set_url)
    url.command("show")(show_url)
    url.command("unset")(unset_url)
    platform.add_typer(url, name="url")
    root.add_typer(platform, name="platform")
