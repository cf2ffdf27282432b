"""The audit trail: one JSON Lines record per change, hash-chained, beside the config.

- :mod:`duoctl.audit.record`: who, what, when (a record's fields, the config diff, secret
  fingerprints);
- :mod:`duoctl.audit.log`: appending under the config lock, reading, the chain check;
- :mod:`duoctl.audit.forward`: the optional copy to syslog/journald.
"""
