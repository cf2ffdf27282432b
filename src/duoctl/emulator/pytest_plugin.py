"""pytest plugin (entry point ``duoctl_emulator``): the ``duo_emulator`` fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from duoctl.emulator import EmulatedUser, Emulator, Outcome


@pytest.fixture
def duo_emulator() -> Iterator[Emulator]:
    """A started emulator with one user, ``alice``, who approves at once. Stopped after
    the test; mutate ``faults`` or call ``add_user`` freely, nothing leaks between tests."""
    with Emulator([EmulatedUser("alice", Outcome.APPROVE)]) as emulator:
        yield emulator
