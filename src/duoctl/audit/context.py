"""What the CLI edge tells the audit trail about this invocation; set once per run.

A module of its own, importing nothing else: every command sets it at start-up.
"""

from __future__ import annotations

import contextvars

# The command a record names ("provider add"); the CLI edge sets it once per invocation.
current_command: contextvars.ContextVar[str] = contextvars.ContextVar(
    "duoctl_audit_command", default="duoctl (library call)"
)
# The provider a `provider ...` command names: the target of a record of its failure, when
# it failed before saying which change it meant (an unknown name).
current_provider: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "duoctl_audit_provider", default=None
)
