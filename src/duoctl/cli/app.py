"""The CLI's entry: each command line run (by cli/plain.py or by Typer), and the one place
that maps errors to exit codes."""

from __future__ import annotations

import os
import sys

import click

from duoctl.cli.argv import audit_command, command_name, command_words, hoist_root_options
from duoctl.cli.state import AppState
from duoctl.errors import DuoctlError, ExitCode, Interrupted

DEBUG_ENV = "DUOCTL_DEBUG"


def __getattr__(name: str) -> object:
    # ``from duoctl.cli.app import app`` (tests, typer's own tooling) gets the full app;
    # typer is imported only then, never by the commands that run without it.
    if name == "app":
        from duoctl.cli.command_tree import build_app

        return build_app()
    raise AttributeError(name)


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

    state = state if state is not None else AppState()
    try:
        return contextvars.copy_context().run(_run, args, state)
    finally:
        state.close()


def _run(args: list[str], state: AppState) -> int:
    args = hoist_root_options(args)
    streams = state.streams
    from duoctl.audit.context import current_command, current_provider

    current_command.set(audit_command(args))
    words = command_words(args)
    if words[:1] == ["provider"] and len(words) > 2:
        # `provider secret reveal NAME` names it one word later than `provider show NAME`.
        named = words[3:4] if words[1] == "secret" else words[2:3]
        current_provider.set(named[0] if named else None)
    json_mode = "--json" in args
    try:
        result = _dispatch(args, state)
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

            streams.json(error_envelope(command_name(args), err))
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
            streams.json(error_envelope(command_name(args), usage))
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


def _dispatch(args: list[str], state: AppState) -> object:
    """Run the command: without typer when the command line is one of the plain commands'
    exact shapes (importing typer costs ~12 ms, a tenth of `provider list`), else by typer,
    which also answers help and reports usage errors."""
    from duoctl.cli.plain import plain_command

    plain = plain_command(args, state)
    if plain is not None:
        plain()
        return 0
    import typer

    from duoctl.cli.command_tree import build_app

    command = typer.main.get_command(build_app(args))
    return command.main(args=args, prog_name="duoctl", standalone_mode=False, obj=state)


def main() -> None:
    sys.exit(run(sys.argv[1:]))
