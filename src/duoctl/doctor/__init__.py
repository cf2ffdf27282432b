"""``duoctl doctor``: check every link between this machine and Duo, and say what to fix.

:mod:`~duoctl.doctor.model` holds the result types and the check-id scheme,
:mod:`~duoctl.doctor.checks_local` the config/keyring/MFA checks,
:mod:`~duoctl.doctor.checks_network` the per-endpoint DNS/TCP/TLS/proxy/clock/credential
checks, :mod:`~duoctl.doctor.runner` the ordering, concurrency and deadline,
:mod:`~duoctl.doctor.render` the tables, plain lines and live progress, and
:mod:`~duoctl.doctor.result` the result rendered (text or JSON) and the failure it ends in.
"""
