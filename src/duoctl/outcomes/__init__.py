"""What each write command did, as one result type a command (pipx's result.py).

Each type's ``to_dict()`` is the --json envelope's "data" (what changed, ``changed``, the
store's label and backend when the store was involved); its ``rows()`` are the outcome
sentences the command says on stderr (``duoctl.output.Said``). None holds a secret.
"""
