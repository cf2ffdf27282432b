"""The Typer application and the one place that maps errors to exit codes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import click
import typer

from duoctl import __version__
from duoctl.cli.state import AppState
from duoctl.errors import DuoctlError, ExitCode, Interrupted

DEBUG_ENV = "DUOCTL_DEBUG"

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
    "demo": "testlogin_cmd",
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
    import importlib

    app = typer.Typer(
        name="duoctl",
        help=ROOT_HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(root)
    words = _command_words(args) if args is not None else []
    wanted = _COMMAND_MODULES.get(words[0]) if words else None
    modules = [wanted] if wanted else list(dict.fromkeys(_COMMAND_MODULES.values()))
    for module_name in modules:
        module = importlib.import_module(f"duoctl.cli.{module_name}")
        if wanted in _GROUP_MODULES:
            module.register(app, only=words[1] if len(words) > 1 else None)
        else:
            module.register(app)
    return app


def __getattr__(name: str) -> typer.Typer:
    # ``from duoctl.cli.app import app`` (tests, typer's own tooling) gets the full app.
    if name == "app":
        return build_app()
    raise AttributeError(name)


_ROOT_OPTIONS_WITH_VALUE = ("--config", "-c")
_GROUPS = ("provider", "mfa", "config", "secrets", "audit", "platform", "admin", "user")


def hoist_root_options(args: list[str]) -> list[str]:
    """Move --config/-c and --system to the front: people type them after the subcommand
    (`duoctl provider list --config X`) as often as before it, and no subcommand has an
    option of those names. Nothing after a `--` is touched."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg in _ROOT_OPTIONS_WITH_VALUE and i + 1 < len(args):
            front += args[i : i + 2]
            i += 2
            continue
        if arg.startswith("--config=") or arg == "--system":
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def _command_words(args: list[str]) -> list[str]:
    """The non-option words of ``args``, skipping the values of root options."""
    words: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _ROOT_OPTIONS_WITH_VALUE:
            skip = not words  # only root options come before the first command word
        elif not arg.startswith("-"):
            words.append(arg)
    return words


def _command_name(args: list[str]) -> str:
    """The command as named in error envelopes: "provider show", "doctor"..."""
    words = _command_words(args)
    return " ".join(words[:2]) if words[:1] and words[0] in _GROUPS else " ".join(words[:1])


def _audit_command(args: list[str]) -> str:
    """The command as audit records name it: "provider add", "platform url set"..."""
    words = _command_words(args)
    nested = (["platform", "url"], ["provider", "secret"])
    return " ".join(words[:3]) if words[:2] in nested else _command_name(args)


def _one_suggestion(exc: click.ClickException) -> None:
    """typer adds "Did you mean 'list'?" to an unknown command's message, and click (8.4+)
    adds its own when it formats the message: drop typer's when click will add one."""
    if getattr(exc, "possibilities", None):
        exc.message = exc.message.partition(" Did you mean ")[0]  # type: ignore[misc]


def run(args: list[str], state: AppState | None = None) -> int:
    """Run the CLI on ``args``; return the exit status. Never lets a traceback escape.

    In a context of its own: what this run tells the audit trail (the command) must not
    outlive it in a process that runs several (the in-process tests).
    """
    import contextvars

    return contextvars.copy_context().run(_run, args, state)


def _run(args: list[str], state: AppState | None) -> int:
    args = hoist_root_options(args)
    command = typer.main.get_command(build_app(args))
    state = state if state is not None else AppState()
    streams = state.streams
    from duoctl.audit.context import current_command, current_provider

    current_command.set(_audit_command(args))
    words = _command_words(args)
    if words[:1] == ["provider"] and len(words) > 2:
        # `provider secret reveal NAME` names it one word later than `provider show NAME`.
        named = words[3:4] if words[1] == "secret" else words[2:3]
        current_provider.set(named[0] if named else None)
    json_mode = "--json" in args
    try:
        result = command.main(args=args, prog_name="duoctl", standalone_mode=False, obj=state)
        if state.creating is not None and state.creating.exists():
            streams.status(f"created {state.creating}")
        if result == ExitCode.INTERRUPTED:
            # Typer turns Ctrl+C into a silent exit 130 (nothing in duoctl returns 130);
            # give it a message and, under --json, an envelope like any other error.
            raise Interrupted(
                "interrupted (Ctrl+C)",
                hint="the step that was running was abandoned; stored configuration and "
                "secrets are unchanged by it",
            )
    except DuoctlError as err:
        if json_mode:
            from duoctl.output import error_envelope

            streams.json(error_envelope(_command_name(args), err))
        streams.error(err)
        return int(err.exit_code)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        streams.err.write("\ninterrupted; nothing was changed by the interrupted step\n")
        return int(ExitCode.INTERRUPTED)
    except click.ClickException as exc:
        _one_suggestion(exc)
        if json_mode:
            from duoctl.errors import UsageError
            from duoctl.output import error_envelope

            usage = UsageError(exc.format_message(), hint="run with --help")
            streams.json(error_envelope(_command_name(args), usage))
        exc.show(file=streams.err)
        return int(ExitCode.USAGE) if exc.exit_code == 2 else int(exc.exit_code)
    except Exception as exc:
        if os.environ.get(DEBUG_ENV) == "1":
            raise
        # No traceback and no exception text: an unexpected message might carry a secret.
        streams.err.write(
            f"internal error ({type(exc).__name__}); this is a duoctl bug. "
            f"Re-run with {DEBUG_ENV}=1 for a traceback.\n"
        )
        return int(ExitCode.INTERNAL)
    return result if isinstance(result, int) else 0


def main() -> None:
    sys.exit(run(sys.argv[1:]))
