"""The Typer command tree: the root options, and each command built as far as needed."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer

from duoctl import __version__
from duoctl.cli.argv import command_words
from duoctl.cli.state import AppState

ROOT_HELP = (
    "Configure and test Duo Security MFA (Universal Prompt) for the platform.\n\n"
    "Admins: provider add/create/list/show/edit/remove, admin login/status/logout, secrets "
    "migrate, config path, audit. "
    "Operators: mfa enable/disable/status, platform url set/show/unset. Support: test-login, "
    "doctor, user show, logs. Try it offline: demo, emulator.\n\n"
    "Example: duoctl demo"
)

# Which module provides each top-level command. Only the one a command line names is
# imported and turned into a click command: building every command costs ~30 ms, which
# `duoctl provider list` should not pay. Help, completion and unknown words get them all.
_COMMAND_MODULES = {
    "provider": "provider_cmd",
    "mfa": "mfa_cmd",
    "test-login": "testlogin_cmd",
    "demo": "demo_cmd",
    "doctor": "doctor_cmd",
    "emulator": "emulator_cmd",
    "config": "config_cmd",
    "secrets": "secrets_cmd",
    "audit": "audit_cmd",
    "platform": "platform_cmd",
    "admin": "admin_cmd",
    "user": "user_cmd",
    "logs": "logs_cmd",
}
# Modules whose command is a group built one subcommand at a time (CommandGroup).
_GROUP_MODULES = (
    "provider_cmd",
    "mfa_cmd",
    "config_cmd",
    "secrets_cmd",
    "admin_cmd",
    "user_cmd",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"duoctl {__version__}")
        raise typer.Exit()


def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Config file (default: $DUOCTL_CONFIG, else --system's, else the user "
            "config dir).",
            show_default=False,
        ),
    ] = None,
    system: Annotated[
        bool,
        typer.Option(
            "--system",
            help="Use the host-wide config, /etc/duoctl/config.toml, and its secrets under "
            "/var/lib/duoctl (also DUOCTL_SCOPE=system).",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    if ctx.obj is None:
        ctx.obj = AppState()
    state: AppState = ctx.obj
    if config is not None:
        state.config_option = config
    if system:
        state.system = True


def build_app(args: list[str] | None = None) -> typer.Typer:
    """The root Typer app with the commands ``args`` needs (all of them for None)."""
    app = typer.Typer(
        name="duoctl",
        help=ROOT_HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(root)
    words = command_words(args) if args is not None else []
    wanted = _COMMAND_MODULES.get(words[0]) if words else None
    modules = [wanted] if wanted else list(dict.fromkeys(_COMMAND_MODULES.values()))
    for module_name in modules:
        module = importlib.import_module(f"duoctl.cli.{module_name}")
        if wanted in _GROUP_MODULES:
            module.register(app, only=words[1] if len(words) > 1 else None)
        else:
            module.register(app)
    return app
