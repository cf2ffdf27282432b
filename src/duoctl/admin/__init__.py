"""Duo's Admin API, through its official client ``duo_client`` (imported only here, lazily).

- :mod:`~duoctl.admin.credentials`: the one Admin API credential of a config ([admin] table,
  its secret key in the secret store);
- :mod:`~duoctl.admin.client`: the seam that builds ``duo_client.Admin``;
- :mod:`~duoctl.admin.failures`: its errors as duoctl's (exit codes 7, 8, 14, ...);
- :mod:`~duoctl.admin.session`: :class:`AdminSession`, the typed calls commands make, each
  bounded in time, retried on 429;
- :mod:`~duoctl.admin.status`: which permissions the credential has;
- :mod:`~duoctl.admin.provision`: ``provider create`` as a transaction with rollback.
"""
