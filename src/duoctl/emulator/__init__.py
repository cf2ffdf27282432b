"""A local Duo (Universal Prompt / OIDC) emulator for tests and demos.

``with Emulator() as emu:`` serves ``/oauth/v1/health_check``, ``/oauth/v1/authorize`` and
``/oauth/v1/token`` over real TLS on loopback, trusted through ``emu.ca_bundle``; the official
``duo_universal.Client(host=emu.api_host, duo_certs=str(emu.ca_bundle), ...)`` works with it
unmodified. Users answer as scripted (:class:`Outcome`); :class:`Faults` break it on purpose.
A test in any language scripts a running one through the control API under ``/emulator/``
(bearer ``emu.control_token``; :mod:`duoctl.emulator.control`), or in Python through the
same operations on :class:`Emulator` (``add_user``, ``remove_user``, ``set_outcome``,
``clear_faults``, ``recent_requests``, ``reset``).

The same host serves Duo's Admin API (:mod:`duoctl.emulator.admin`): signed with
``emu.admin_ikey`` / ``emu.admin_skey``, limited by ``emu.admin_permissions``; its
authentication log holds every authorize decision.

Fidelity: the emulator aims to be exactly as strict as Duo, no more and no less. Every rule,
with its source (an SDK's file, a Duo document, an issue thread) or "unverified", is listed in
docs/emulator-fidelity.md.
"""

from duoctl.emulator.faults import Faults
from duoctl.emulator.lifecycle import Emulator
from duoctl.emulator.server import SeenRequest
from duoctl.emulator.users import EmulatedUser, NewUserPolicy, Outcome

__all__ = ["EmulatedUser", "Emulator", "Faults", "NewUserPolicy", "Outcome", "SeenRequest"]
