"""The Typer application and the one place that maps errors to exit codes."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import click
import typer

from duoctl import __version__
from duoctl.cli import mfa_cmd, provider_cmd
from duoctl.cli.state import AppState
from duoctl.errors import DuoctlError, ExitCode, Interrupted

DEBUG_ENV = "DUOCTL_DEBUG"

app = typer.Typer(
    name="duoctl",
    help="Configure and test Duo Security MFA (Universal Prompt) for the platform.\n\n"
    "Admins: provider add/list/show/edit/remove. Operators: mfa enable/disable/status. "
    "Support: test-login, doctor. Try it offline: demo, emulator.\n\n"
    "Example: duoctl demo",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(provider_cmd.app, name="provider")
app.add_typer(mfa_cmd.app, name="mfa")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"duoctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Config file (default: $DUOCTL_CONFIG, else the user config dir).",
            show_default=False,
        ),
    ] = None,
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


def _register_optional_commands() -> None:
    # Each feature registers itself; a feature module missing from a build must not break
    # the commands that do exist.
    import importlib

    for module_name in ("emulator_cmd", "testlogin_cmd", "doctor_cmd"):
        try:
            module = importlib.import_module(f"duoctl.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"duoctl.cli.{module_name}":
                raise
            continue
        module.register(app)


_register_optional_commands()


_ROOT_OPTIONS_WITH_VALUE = ("--config", "-c")
_GROUPS = ("provider", "mfa")


def _command_name(args: list[str]) -> str:
    """The command words of ``args`` (for error envelopes), skipping root option values."""
    words: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _ROOT_OPTIONS_WITH_VALUE:
            skip = not words  # only root options come before the first command word
        elif not arg.startswith("-"):
            words.append(arg)
    return " ".join(words[:2]) if words[:1] and words[0] in _GROUPS else " ".join(words[:1])


@contextlib.contextmanager
def _interrupt_as_error() -> Iterator[None]:
    """Turn Ctrl+C into :class:`Interrupted` so it reaches the one error table.

    Typer would otherwise swallow KeyboardInterrupt into a bare exit 130 with no message and,
    under --json, no envelope. Only the main thread may set a signal handler.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(_signum: int, _frame: object) -> None:
        raise Interrupted(
            "interrupted (Ctrl+C)",
            hint="the step that was running was abandoned; stored configuration and secrets "
            "are unchanged by it",
        )

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run(args: list[str], state: AppState | None = None) -> int:
    """Run the CLI on ``args``; return the exit status. Never lets a traceback escape."""
    command = typer.main.get_command(app)
    streams = state.streams if state is not None else AppState().streams
    json_mode = "--json" in args
    try:
        with _interrupt_as_error():
            result = command.main(args=args, prog_name="duoctl", standalone_mode=False, obj=state)
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
