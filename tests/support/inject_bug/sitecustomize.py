"""Loaded by Python at start-up when this directory is on PYTHONPATH: a deliberate bug.

With DUOCTL_TEST_INJECT_BUG=1, `duoctl mfa status` raises an unexpected exception whose
message carries a canary, so a test can see what the console script does with a real bug
(exit 1, the type only, no traceback, no message text) without patching anything in-process.
"""

from __future__ import annotations

import os

if os.environ.get("DUOCTL_TEST_INJECT_BUG") == "1":
    import duoctl.mfa

    def _broken(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError(os.environ.get("DUOCTL_TEST_BUG_TEXT", "injected bug"))

    duoctl.mfa.mfa_status = _broken  # type: ignore[assignment]
