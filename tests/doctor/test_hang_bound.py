"""Every doctor test runs under DOCTOR_TEST_TIMEOUT_S (its conftest), not the suite default."""

from __future__ import annotations

import pytest

from doctor.conftest import DOCTOR_TEST_TIMEOUT_S


def test_doctor_tests_carry_the_hang_bound(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("timeout")
    assert marker is not None
    assert marker.args == (DOCTOR_TEST_TIMEOUT_S,)
