"""How long Duo takes to show an authentication in its log, and so how long ``--explain``
waits for it. Import-free: `test-login` loads it at start for an option's default, and the
Admin API modules behind ``--explain`` cost ~5 ms it should pay only when asked."""

LOG_DELAY = 120.0  # seconds before Duo shows a new record (Admin API docs, cited in authlog.py)
EXPLAIN_WAIT = LOG_DELAY + 30.0
