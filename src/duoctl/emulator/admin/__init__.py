"""The emulator's Duo Admin API: signed requests, permissions, users, integrations, and the
authentication log of every authorize decision. Sources: docs/emulator-fidelity.md."""

from duoctl.emulator.admin.permissions import ALL_PERMISSIONS

__all__ = ["ALL_PERMISSIONS"]
