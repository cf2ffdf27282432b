"""pytest plugin (entry point ``duoctl_emulator``): the ``duo_emulator`` fixture."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from duoctl.emulator import Emulator


@pytest.fixture
def duo_emulator() -> Iterator[Emulator]:
    """A started emulator with one user, ``alice``, who approves at once. Stopped after
    the test; mutate ``faults`` or call ``add_user`` freely, nothing leaks between tests."""
    # Imported here: pytest loads this plugin in every session of every project that has
    # duoctl installed, and cryptography is not free to import.
    from duoctl.emulator import EmulatedUser, Emulator, Outcome

    with Emulator([EmulatedUser("alice", Outcome.APPROVE)]) as emulator:
        yield emulator
