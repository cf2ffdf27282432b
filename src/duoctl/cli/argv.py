"""The command line as duoctl reads it before any parser does: root options moved to the
front, the command words, and the names errors and audit records give the command."""

from __future__ import annotations

ROOT_OPTIONS_WITH_VALUE = ("--config", "-c")
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
        if arg in ROOT_OPTIONS_WITH_VALUE and i + 1 < len(args):
            front += args[i : i + 2]
            i += 2
            continue
        if arg.startswith("--config=") or arg == "--system":
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def command_words(args: list[str]) -> list[str]:
    """The non-option words of ``args``, skipping the values of root options."""
    words: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ROOT_OPTIONS_WITH_VALUE:
            skip = not words  # only root options come before the first command word
        elif not arg.startswith("-"):
            words.append(arg)
    return words


def command_name(args: list[str]) -> str:
    """The command as named in error envelopes: "provider show", "doctor"..."""
    words = command_words(args)
    return " ".join(words[:2]) if words[:1] and words[0] in _GROUPS else " ".join(words[:1])


def audit_command(args: list[str]) -> str:
    """The command as audit records name it: "provider add", "platform url set"..."""
    words = command_words(args)
    nested = (["platform", "url"], ["provider", "secret"])
    return " ".join(words[:3]) if words[:2] in nested else command_name(args)
