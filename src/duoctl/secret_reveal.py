"""`provider secret reveal`: the one way a stored Client Secret leaves duoctl.

The platform's own provider form (step 3 of its guide) needs the Client Secret typed in, and
`provider create` never shows it. Reading it is recorded in the audit trail first, like
`gh auth token` is the deliberate way to print a stored token.
"""

from __future__ import annotations

from pathlib import Path

from duoctl.config.edit import edit_config
from duoctl.errors import SecretStoreError
from duoctl.secret_edits import store_label
from duoctl.secrets import SecretStore


def reveal_secret(path: Path, name: str, secrets: SecretStore) -> str:
    """The provider's stored secret, after an audit record says it was revealed."""
    secrets.preload()
    with edit_config(path) as edit:
        edit.before.provider(name)  # exit 4 for an unknown name, recorded as refused
        secret = secrets.get(name)
        if secret is None:
            raise SecretStoreError(
                f"provider {name!r} has no secret in {store_label(secrets)}",
                hint=f"store one: duoctl provider edit {name} --rotate-secret",
            )
        edit.note_secret(name, "revealed")
        edit.record_now()
    return secret
