"""Options shared by several commands, declared once."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from duoctl.cli.state import AppState

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print a versioned JSON envelope on stdout instead of text.")
]
# The write commands say their outcome on stderr either way; --json adds the data.
WriteJson = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Also print a versioned JSON envelope on stdout: what was done, and where "
        "(the status lines stay on stderr).",
    ),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Do it even if external MFA would be left on with no enabled provider (a "
        "lockout of every user).",
    ),
]


def finite_float(value: float) -> float:
    """The callback every float option takes: NaN and infinity are usage errors (exit 2).

    click's ``min``/``max`` checks let NaN through (every comparison with NaN is false),
    and a NaN or infinite deadline never expires: ``queue.get(timeout=nan)`` waits forever.
    """
    if not math.isfinite(value):
        raise typer.BadParameter(f"{value!r} is not a finite number")
    return value


class CommandGroup:
    """A command group whose Typer commands are built only when, and as far as, needed.

    Typer turns every registered function into a click command up front (~2 ms each), so
    the group collects its functions and :meth:`register` builds just the subcommand a
    command line names (all of them for help or an unknown word).
    """

    def __init__(self, name: str, help_text: str) -> None:
        self.name = name
        self.help_text = help_text
        self._commands: dict[str, Callable[..., None]] = {}
        self._groups: dict[str, CommandGroup] = {}

    def command(self, name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
        def collect(function: Callable[..., None]) -> Callable[..., None]:
            self._commands[name] = function
            return function

        return collect

    def group(self, name: str, help_text: str) -> CommandGroup:
        """A nested group (`provider secret reveal`), built only when its name is asked for."""
        child = CommandGroup(name, help_text)
        self._groups[name] = child
        return child

    def build(self, only: str | None = None) -> typer.Typer:
        group = typer.Typer(help=self.help_text, no_args_is_help=True)
        wanted = only in self._commands or only in self._groups
        for command_name in [only] if wanted else list(self._commands):
            if command_name in self._commands:
                group.command(command_name)(self._commands[command_name])
        for group_name in [only] if wanted else list(self._groups):
            if group_name in self._groups:
                group.add_typer(self._groups[group_name].build(), name=group_name)
        return group

    def register(self, root: typer.Typer, only: str | None = None) -> None:
        root.add_typer(self.build(only), name=self.name)


def confirm(state: AppState, question: str, *, yes: bool) -> None:
    """Go on only with a "yes": from --yes, or from a person at a terminal.

    Without a terminal there is nobody to ask: a script must say --yes rather than have
    its piped input read as an answer, and that is a usage error, not an interruption.
    """
    from duoctl.errors import Cancelled, UsageError

    if yes:
        return
    if not state.streams.can_prompt():
        raise UsageError(
            f'"{question}" needs an answer, and standard input is not a terminal',
            hint="pass --yes to confirm from a script",
        )
    if not typer.confirm(question, default=False, err=True):
        raise Cancelled("cancelled at the confirmation prompt; nothing was changed")
